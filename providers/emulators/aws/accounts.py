"""Who may call: access keys, their secrets and the moto account each one acts in.

moto maps every unknown access key to one default account and checks no signature. Here each
registered access key belongs to its own account (sent to moto as ``x-moto-account-id``), and
temporary credentials from STS AssumeRole (captured as they pass through) act in the role's
account, so role-based access is tested end to end.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Final

from providers.emulators.aws.calls import Call
from providers.emulators.aws.wire import Reply, error_reply, namespace_of, parse_xml, text_of

_FIRST_ACCOUNT: Final = 210_000_000_000
# moto's state is process-wide: emulators in one process must never hand out the same id.
_account_ids = itertools.count(_FIRST_ACCOUNT)
_ids_lock = threading.Lock()


@dataclass(frozen=True)
class Credential:
    """An access key's secret (never shown), its account and, for STS keys, the token."""

    secret: str
    account: str
    session_token: str | None = None

    def __repr__(self) -> str:
        return f"Credential(account={self.account!r}, secret=********)"


def new_account_id() -> str:
    with _ids_lock:
        return f"{next(_account_ids):012d}"


class Accounts:
    """Registered access keys; the AssumeRole correction adds temporary ones."""

    actions = frozenset({("sts", "AssumeRole")})

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, Credential] = {}
        self._accounts: set[str] = set()

    def add(self, access_key: str, secret: str, account: str | None = None) -> str:
        """Register a long-term key; a new account unless ``account`` names a known one."""
        with self._lock:
            if access_key in self._keys:
                raise ValueError(f"access key {access_key} is already registered")
            account_id = account or new_account_id()
            self._keys[access_key] = Credential(secret, account_id)
            self._accounts.add(account_id)
            return account_id

    def credential(self, access_key: str) -> Credential | None:
        with self._lock:
            return self._keys.get(access_key)

    def account_of(self, access_key: str) -> str:
        found = self.credential(access_key)
        if found is None:
            raise KeyError(f"no emulated account has access key {access_key}")
        return found.account

    # -- AssumeRole -------------------------------------------------------------------------

    def before(self, call: Call) -> Reply | None:
        role = call.request.param("RoleArn")
        parts = role.split(":")
        with self._lock:
            known = len(parts) >= 6 and parts[4] in self._accounts
        if not known:
            return error_reply(
                "sts",
                "AccessDenied",
                f"User: arn:aws:iam::{call.account}:user/certfleet is not authorized to "
                f"perform: sts:AssumeRole on resource: {role}",
                403,
            )
        return None

    def after(self, call: Call, reply: Reply) -> Reply:
        if reply.status != 200:
            return reply
        root = parse_xml(reply.body)
        ns = namespace_of(root)
        credentials = root.find(f".//{ns}Credentials")
        if credentials is None:
            return reply
        role_account = call.request.param("RoleArn").split(":")[4]
        with self._lock:
            self._keys[text_of(credentials, ns, "AccessKeyId")] = Credential(
                text_of(credentials, ns, "SecretAccessKey"),
                role_account,
                text_of(credentials, ns, "SessionToken"),
            )
        return reply
