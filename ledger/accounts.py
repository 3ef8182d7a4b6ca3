"""Cloud accounts (AccessKey pairs): registration, look-up and health-check results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.errors import InputError, NotFound
from ledger.models import Account
from ledger.timeutil import utcnow
from ledger.vault import Vault

PROVIDERS = ("tencent", "aws", "huawei")


@dataclass(frozen=True)
class AccountView:
    """A detached, read-only account for code outside a transaction; the secret stays sealed."""

    id: int
    name: str
    provider: str
    access_key_id: str
    regions: tuple[str, ...]
    api_endpoint: str | None
    tls_edge: str | None
    options: dict[str, str]
    secret_ciphertext: bytes = field(repr=False)

    @classmethod
    def of(cls, row: Account) -> AccountView:
        return cls(
            id=row.id,
            name=row.name,
            provider=row.provider,
            access_key_id=row.access_key_id,
            regions=tuple(row.regions),
            api_endpoint=row.api_endpoint,
            tls_edge=row.tls_edge,
            options={str(k): str(v) for k, v in row.options.items()},
            secret_ciphertext=row.secret_ciphertext,
        )


def add_account(
    session: Session,
    vault: Vault,
    *,
    name: str,
    provider: str,
    access_key_id: str,
    secret: str,
    regions: Sequence[str] = (),
    api_endpoint: str | None = None,
    tls_edge: str | None = None,
    options: dict[str, str] | None = None,
) -> Account:
    """Store a new account with its secret encrypted; the name must be unique."""
    if provider not in PROVIDERS:
        raise InputError("provider", f"unknown provider {provider!r}; use one of {PROVIDERS}")
    if not name.strip():
        raise InputError("name", "an account needs a name")
    if not access_key_id.strip():
        raise InputError("access-key-id", "an AccessKey id is required")
    if not secret:
        raise InputError("secret", "the AccessKey secret is empty")
    account = Account(
        name=name.strip(),
        provider=provider,
        access_key_id=access_key_id.strip(),
        secret_ciphertext=vault.encrypt(secret, "account-secret"),
        regions=list(regions),
        api_endpoint=api_endpoint,
        tls_edge=tls_edge,
        options=dict(options or {}),
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        raise InputError("name", f"an account named {name!r} exists; choose another") from None
    return account


def get_account(session: Session, name_or_id: str | int) -> Account:
    """An account by name or numeric id."""
    if isinstance(name_or_id, int) or str(name_or_id).isdigit():
        found = session.get(Account, int(name_or_id))
    else:
        found = session.execute(
            select(Account).where(Account.name == name_or_id)
        ).scalar_one_or_none()
    if found is None:
        raise NotFound("account", f"no account {name_or_id!r}; see `certfleet account list`")
    return found


def list_accounts(session: Session) -> list[Account]:
    """All accounts, by name."""
    return list(session.execute(select(Account).order_by(Account.name)).scalars())


def reveal_secret(vault: Vault, account: Account | AccountView) -> str:
    """The plaintext secret, for the one SDK call that needs it; never log the result."""
    return vault.decrypt(account.secret_ciphertext, "account-secret")


def record_check(session: Session, account: Account, error: str | None) -> None:
    """Remember the last credential check's outcome."""
    account.checked_at = utcnow()
    account.check_error = error
