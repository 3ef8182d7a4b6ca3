"""boto3 clients for an :class:`Account`: the one place that builds them.

- ``account.api_endpoint`` (an emulator, a VPC endpoint) replaces AWS's endpoint for every
  service; a loopback endpoint is never reached through an environment proxy.
- Retries are off: certfleet retries itself with backoff shared by the whole fleet, and
  botocore's silent retries would hide throttles from it. Note botocore's ``max_attempts``
  counts *retries* (``max_attempts=1`` still retries once); ``total_max_attempts=1`` is one
  attempt in all.
- ``account.options["role_arn"]`` (optionally ``external_id``) makes every client act as that
  role through STS AssumeRole; the temporary credentials are reused until shortly before they
  expire. ``account.options["request_timeout"]`` sets the read timeout in whole seconds.

Clients are built from one shared boto3 session (under a lock: sessions are not
thread-safe, clients are) and cached: building a client parses the service's model, which
costs far more than a call, and a cached client keeps its connections alive.

botocore logs request parameters (private keys in
ImportCertificate) and response bodies (temporary secrets in AssumeRole) at DEBUG, so those
loggers are capped at INFO: turning on debug logging must never write a secret to a log.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Final

import boto3
from botocore.config import Config

from providers.aws.errors import SDK_FAILURES, classify
from providers.base import Account
from providers.endpoints import is_loopback, request_timeout, with_scheme
from providers.secrets import Secret

GLOBAL_REGION: Final = "us-east-1"  # IAM, STS and CloudFront (and CloudFront's ACM)
# Regions every account has enabled (opt-in regions are left out: calling one that is not
# enabled fails authentication). Set Account.regions to narrow or widen discovery.
DEFAULT_REGIONS: Final = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
)
CONNECT_TIMEOUT_SECONDS: Final = 5
DEFAULT_READ_TIMEOUT_SECONDS: Final = 30
_ROLE_SECONDS: Final = 3600
_ROLE_MARGIN_SECONDS: Final = 300  # renew temporary credentials this long before expiry
_CACHE_LIMIT: Final = 512  # cached clients; beyond it the cache starts afresh
_session = boto3.session.Session()  # only ever used under _clients_lock
_clients: dict[tuple[object, ...], Any] = {}
_clients_lock = threading.Lock()
_roles_lock = threading.Lock()

for _name in ("botocore.endpoint", "botocore.parsers", "botocore.auth"):
    logging.getLogger(_name).setLevel(logging.INFO)


@dataclass(frozen=True)
class _Keys:
    access_key_id: str
    secret: Secret
    session_token: Secret | None = None
    expires_at: float = float("inf")  # time.monotonic() deadline


_roles: dict[tuple[object, ...], _Keys] = {}


def regions_of(account: Account) -> tuple[str, ...]:
    """The regions to discover in: the account's own list, else :data:`DEFAULT_REGIONS`."""
    return account.regions or DEFAULT_REGIONS


def client(account: Account, service: str, region: str = GLOBAL_REGION) -> Any:
    """A boto3 client for ``service`` in ``region`` acting for ``account``.

    Raises Permanent for bad account options, and AuthFailed (or another classified error)
    when the account's role cannot be assumed.
    """
    keys = _keys(account)
    # The Secret objects are part of the key (they hash their value): a rotated secret gets a
    # new client, and the value never leaves this dict.
    key = (service, region, account.key, keys, account.api_endpoint, _read_timeout(account))
    with _clients_lock:
        found = _clients.get(key)
        if found is None:
            if len(_clients) >= _CACHE_LIMIT:
                _clients.clear()
            found = _clients[key] = _build(account, service, region, keys)
    return found


def _build(account: Account, service: str, region: str, keys: _Keys) -> Any:
    endpoint = _endpoint(account)
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=_read_timeout(account),
        user_agent_extra="certfleet",
        proxies={} if endpoint and is_loopback(endpoint) else None,
    )
    return _session.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        config=config,
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret.reveal(),
        aws_session_token=keys.session_token.reveal() if keys.session_token else None,
    )


def _keys(account: Account) -> _Keys:
    """The account's own key pair, or temporary keys of its role (assumed when needed)."""
    own = _Keys(account.access_key_id, account.secret)
    role_arn = account.options.get("role_arn")
    if not role_arn:
        return own
    external_id = account.options.get("external_id")
    cache_key = (account.key, own, account.api_endpoint, role_arn, external_id)
    with _roles_lock:
        held = _roles.get(cache_key)
    if held is not None and held.expires_at - _ROLE_MARGIN_SECONDS > time.monotonic():
        return held
    fresh = _assume(account, own, role_arn, external_id)
    with _roles_lock:
        _roles[cache_key] = fresh
    return fresh


def _assume(account: Account, own: _Keys, role_arn: str, external_id: str | None) -> _Keys:
    with _clients_lock:
        sts = _build(account, "sts", account.regions[0] if account.regions else GLOBAL_REGION, own)
    request: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": "certfleet",
        "DurationSeconds": _ROLE_SECONDS,
    }
    if external_id:
        request["ExternalId"] = external_id
    started = time.monotonic()
    try:
        answer = sts.assume_role(**request)["Credentials"]
    except SDK_FAILURES as error:
        raise classify(
            error,
            account=account,
            action="AssumeRole",
            permissions=(f"sts:AssumeRole on {role_arn} (and a trust policy allowing it)",),
        ) from None
    return _Keys(
        str(answer["AccessKeyId"]),
        Secret(str(answer["SecretAccessKey"])),
        Secret(str(answer["SessionToken"])),
        started + _ROLE_SECONDS,
    )


def _endpoint(account: Account) -> str | None:
    endpoint = (account.api_endpoint or "").strip()
    if not endpoint:
        return None
    return with_scheme(endpoint)  # host:port, as the other vendors' accounts are written


def _read_timeout(account: Account) -> int:
    return request_timeout(account, DEFAULT_READ_TIMEOUT_SECONDS)
