"""Renewal campaigns: every resource serving a certificate that expires soon gets a new one.

For each account (a task uses one account's AccessKey, so a campaign is one task per account):
refresh the inventory when it is older than the freshness limit, select the resources whose
served certificate expires within the window, match them against the new certificates, and
report what is covered, what is not and why. Submitting creates and submits every task in one
transaction, so a campaign is charged all at once or not at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import quota, tasks
from ledger.accounts import get_account, list_accounts
from ledger.certstore import get_certificates
from ledger.db import Database
from ledger.errors import InputError
from ledger.models import Resource
from ledger.resources import live_resources
from ledger.tasks import PlannedDeployment, Rollout
from ledger.vault import Vault
from providers import registry
from providers.errors import ProviderError
from scheduler.discovery import discover
from scheduler.matching import CandidateCert, match


@dataclass(frozen=True)
class Uncovered:
    account: str
    product: str
    resource: str
    expires: datetime | None
    reason: str


@dataclass
class AccountPlan:
    """One account's share of the campaign: becomes one task."""

    account_id: int
    account: str
    products: tuple[str, ...]
    plan: list[PlannedDeployment] = field(default_factory=list)
    per_product: Counter[str] = field(default_factory=Counter)


@dataclass
class CampaignPlan:
    """What ``certfleet renew`` previews and submits."""

    name: str
    within: timedelta
    cert_type: str
    certificate_ids: tuple[int, ...]
    accounts: list[AccountPlan] = field(default_factory=list)
    uncovered: list[Uncovered] = field(default_factory=list)
    expiring: int = 0
    # (account, product, why) that could not be inventoried: their resources are not renewed
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return sum(len(a.plan) for a in self.accounts)

    @property
    def quota_to_consume(self) -> int:
        return self.matched if self.cert_type == "uploaded" else 0

    def as_dict(self) -> dict[str, object]:
        return {
            "campaign": self.name,
            "within_days": self.within.days,
            "expiring": self.expiring,
            "matched": self.matched,
            "quota_to_consume": self.quota_to_consume,
            "accounts": [
                {
                    "account": a.account,
                    "deployments": len(a.plan),
                    "by_product": dict(a.per_product),
                }
                for a in self.accounts
            ],
            "unreadable": [
                {"account": a, "product": p, "reason": why} for a, p, why in self.unreadable
            ],
            "uncovered": [
                {
                    "account": u.account,
                    "product": u.product,
                    "resource": u.resource,
                    "expires": u.expires.isoformat() if u.expires else None,
                    "reason": u.reason,
                }
                for u in self.uncovered
            ],
        }


def _stale(session: Session, account_id: int, product: str, fresh_after: datetime) -> bool:
    newest = session.execute(
        select(func.max(Resource.discovered_at)).where(
            Resource.account_id == account_id, Resource.product == product
        )
    ).scalar_one_or_none()
    return newest is None or newest < fresh_after


def _products_for(provider: str, wanted: Sequence[str]) -> tuple[str, ...]:
    mine = [p for p in registry.PRODUCTS if p.startswith(provider + ".")]
    return tuple(p for p in mine if not wanted or p in wanted)


def plan_campaign(
    database: Database,
    vault: Vault,
    *,
    name: str,
    certificate_ids: Sequence[int],
    within: timedelta,
    now: datetime,
    accounts: Sequence[str] = (),
    products: Sequence[str] = (),
    freshness: timedelta = timedelta(hours=1),
) -> CampaignPlan:
    """Discover what is stale, then select and match what expires within ``within``."""
    unknown = [p for p in products if p not in registry.PRODUCTS]
    if unknown:
        raise InputError("--product", f"unknown product {unknown[0]!r}; see certfleet providers")
    with database.unit_of_work() as session:
        certs = get_certificates(session, list(certificate_ids))
        types = {c.cert_type for c in certs}
        if len(types) != 1:
            raise InputError("--cert", "a campaign's certificates must all be of one type")
        chosen = [get_account(session, a) for a in accounts] or list_accounts(session)
        targets = [(a.id, a.name, _products_for(a.provider, products)) for a in chosen]
        stale = [
            (name_, p)
            for id_, name_, ps in targets
            for p in ps
            if _stale(session, id_, p, now - freshness)
        ]
    if not chosen:
        raise InputError("--account", "no accounts registered; see certfleet account add")
    unreadable: list[tuple[str, str, str]] = []
    for account_name, product in stale:
        try:
            discover(database, vault, account_name, [product])
        except ProviderError as error:  # say so in the preview; renew what can be read
            unreadable.append((account_name, product, str(error)))
    candidates = [
        CandidateCert(c.id, tuple(c.names), c.not_after, c.fingerprint)
        for c in certs
        if c.not_after > now + within
    ]
    if not candidates:
        raise InputError("--cert", "every selected certificate itself expires within the window")
    result = CampaignPlan(name, within, types.pop(), tuple(certificate_ids), unreadable=unreadable)
    with database.unit_of_work() as session:
        for target in targets:
            result.accounts.append(_plan_account(session, result, target, candidates, now + within))
    result.accounts = [a for a in result.accounts if a.plan]
    return result


def _plan_account(
    session: Session,
    result: CampaignPlan,
    target: tuple[int, str, tuple[str, ...]],
    candidates: list[CandidateCert],
    deadline: datetime,
) -> AccountPlan:
    account_id, account_name, products = target
    share = AccountPlan(account_id, account_name, products)
    expiring = []
    for r in live_resources(session, account_id, products):
        if r.served_not_after is None:
            result.uncovered.append(
                Uncovered(
                    account_name,
                    r.product,
                    r.native_id,
                    None,
                    "the vendor does not report the served certificate's expiry; use task create",
                )
            )
        elif r.served_not_after <= deadline:
            expiring.append(r)
    result.expiring += len(expiring)
    by_id = {r.id: r for r in expiring}
    report = match(((r.id, tuple(r.hostnames)) for r in expiring), candidates)
    for m in report.matched:
        share.plan.append(PlannedDeployment(m.key, m.cert.id))
        share.per_product[by_id[m.key].product] += 1
    for u in report.unmatched:
        r = by_id[u.key]
        result.uncovered.append(
            Uncovered(account_name, r.product, r.native_id, r.served_not_after, u.reason)
        )
    return share


def submit_campaign(
    database: Database,
    plan: CampaignPlan,
    *,
    contacts: Sequence[str],
    run_at: datetime,
    rollout: Rollout | None = None,
) -> list[int]:
    """One task per account, all drafted and submitted in one transaction."""
    if not plan.matched:
        raise InputError("--cert", "0 matches: nothing that expires in the window is covered")
    with database.unit_of_work() as session:
        needed, balance = plan.quota_to_consume, quota.balance(session)
        if needed > balance:
            raise InputError(
                "quota", f"the campaign needs {needed} units, the balance is {balance}"
            )
        ids = []
        for share in plan.accounts:
            task = tasks.create_draft(
                session,
                name=f"{plan.name} / {share.account}",
                account_id=share.account_id,
                contacts=contacts,
                products=share.products,
                certificate_ids=plan.certificate_ids,
                cert_type=plan.cert_type,
                run_at=run_at,
                plan=share.plan,
                rollout=rollout,
                campaign=plan.name,
            )
            tasks.submit(session, task.id)
            ids.append(task.id)
        return ids


def expiring_inventory(session: Session, within: timedelta, now: datetime) -> list[Resource]:
    """Resources whose served certificate (as last seen or bound) expires within ``within``."""
    return list(
        session.execute(
            select(Resource)
            .where(Resource.gone_at.is_(None), Resource.served_not_after <= now + within)
            .order_by(Resource.served_not_after)
        ).scalars()
    )
