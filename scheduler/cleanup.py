"""Old-certificate clean-up: delete certfleet's expired uploads that nothing serves any more.

Vendors keep every upload forever, and some (Tencent's SSL service without ``IsCheckResource``)
delete a certificate even while it is bound, breaking HTTPS where it was. So nothing is deleted
on the vendor's word: each account is discovered afresh across all its products, and an upload
is a candidate only when it has expired, no resource serves it and no unfinished deployment
(or rollback) still means to bind it. Dry-run by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from ledger.accounts import AccountView, get_account, list_accounts
from ledger.db import Database
from ledger.models import TERMINAL_STATES, Deployment, RemoteCertificate, Resource
from ledger.vault import Vault
from providers import registry
from providers.base import Account, NoHooks, SupportsCleanup, UploadedCertificate
from providers.errors import ProviderError
from scheduler.discovery import discover
from workers.credentials import provider_account


@dataclass(frozen=True)
class Candidate:
    """One upload and the verdict on it."""

    account: str
    store: str
    certificate: UploadedCertificate
    delete: bool
    reason: str


def _in_use(database: Database, account_id: int) -> set[str]:
    """Remote ids any live resource serves or any unfinished deployment will bind."""
    with database.unit_of_work() as session:
        served = session.execute(
            select(Resource.served_remote_id).where(
                Resource.account_id == account_id, Resource.gone_at.is_(None)
            )
        ).scalars()
        pending = session.execute(
            select(Deployment.remote_cert_id, Deployment.target_remote_id)
            .join(Resource, Resource.id == Deployment.resource_id)
            .where(Resource.account_id == account_id, Deployment.state.not_in(TERMINAL_STATES))
        ).all()
    used = {r for r in served if r}
    used |= {r for row in pending for r in row if r}
    return used


def _stores(account: Account) -> dict[str, SupportsCleanup]:
    """One adapter per certificate store of the account's provider."""
    stores: dict[str, SupportsCleanup] = {}
    for name, info in registry.PRODUCTS.items():
        if name.startswith(account.provider + "."):
            adapter = info.factory(NoHooks())
            if isinstance(adapter, SupportsCleanup):
                stores.setdefault(adapter.certificate_store, adapter)
    return stores


def plan_cleanup(
    database: Database, vault: Vault, *, accounts: Sequence[str], now: datetime
) -> list[Candidate]:
    """Every certfleet upload in the accounts, each with a delete / keep verdict and why."""
    with database.unit_of_work() as session:
        chosen = [get_account(session, a) for a in accounts] or list_accounts(session)
        views = [AccountView.of(a) for a in chosen]
    verdicts: list[Candidate] = []
    for view in views:
        unread = _refresh(database, vault, view)  # the fresh read every verdict rests on
        used = _in_use(database, view.id)
        account = provider_account(view, vault)
        for store, adapter in _stores(account).items():
            for upload in adapter.uploaded_certificates(account):
                verdicts.append(_judge(view.name, store, upload, used, now=now, unread=unread))
    return verdicts


def _refresh(database: Database, vault: Vault, view: AccountView) -> str | None:
    """Discover every product of the account; the first product that could not be read."""
    for product in (p for p in registry.PRODUCTS if p.startswith(view.provider + ".")):
        try:
            discover(database, vault, view.name, [product])
        except ProviderError as error:
            return f"{product} could not be read ({error}), so bindings are unknown"
    return None


def _judge(
    account: str,
    store: str,
    upload: UploadedCertificate,
    used: set[str],
    *,
    now: datetime,
    unread: str | None,
) -> Candidate:
    if unread is not None:
        return Candidate(account, store, upload, False, unread)
    if upload.remote_id in used:
        return Candidate(account, store, upload, False, "still served or about to be bound")
    if upload.not_after is None:
        return Candidate(account, store, upload, False, "the vendor gives no expiry date")
    if upload.not_after > now:
        return Candidate(account, store, upload, False, "not expired yet")
    return Candidate(account, store, upload, True, "expired and bound nowhere")


def apply_cleanup(database: Database, vault: Vault, candidates: Sequence[Candidate]) -> int:
    """Delete the candidates judged deletable; returns how many were deleted."""
    deleted = 0
    for candidate in (c for c in candidates if c.delete):
        with database.unit_of_work() as session:
            view = AccountView.of(get_account(session, candidate.account))
        account = provider_account(view, vault)
        _stores(account)[candidate.store].delete_certificate(account, candidate.certificate)
        with database.unit_of_work() as session:  # never reuse a deleted id from the cache
            session.execute(
                delete(RemoteCertificate).where(
                    RemoteCertificate.account_id == view.id,
                    RemoteCertificate.remote_id == candidate.certificate.remote_id,
                )
            )
        deleted += 1
    return deleted
