"""The quota ledger: purchases, debits and refunds of deployment units.

Rules (PRODUCT.md): one unit is debited per deployment of an ``uploaded`` certificate when its
task is submitted, and refunded when that deployment fails or is cancelled. Every change is an
append-only :class:`~ledger.models.QuotaEntry` written in the same transaction as the balance row
update, so:

* the balance can never go negative (``UPDATE … WHERE units >= n`` plus a CHECK constraint);
* a deployment can be debited at most once and refunded at most once (unique constraint);
* a refund requires a debit (checked here, audited by :func:`audit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from ledger.db import changed
from ledger.errors import InputError, QuotaExhausted
from ledger.models import Deployment, QuotaBalance, QuotaEntry
from ledger.timeutil import utcnow

BALANCE_ROW = 1
REFUNDABLE_STATES = ("failed", "cancelled")


def balance(session: Session) -> int:
    """Units available now."""
    return session.execute(
        select(QuotaBalance.units).where(QuotaBalance.id == BALANCE_ROW)
    ).scalar_one()


def buy(session: Session, units: int, note: str | None = None) -> int:
    """Record a purchased pack; returns the new balance."""
    if units <= 0:
        raise InputError("units", f"a pack must add at least 1 unit, got {units}")
    session.add(QuotaEntry(kind="purchase", units=units, note=note))
    session.execute(
        update(QuotaBalance)
        .where(QuotaBalance.id == BALANCE_ROW)
        .values(units=QuotaBalance.units + units)
    )
    return balance(session)


# Debits and refunds run once per deployment, thousands of times a minute across a fleet, so
# their statements are built once, over the tables (not the ORM classes), with bound
# parameters: building an expression and its cache key on every call cost more client CPU than
# the database spent running it.
_ENTRIES = cast(Table, QuotaEntry.__table__)
_DEPLOYMENTS = cast(Table, Deployment.__table__)
_BALANCE = cast(Table, QuotaBalance.__table__)
_DEBIT_ENTRY = insert(_ENTRIES).values(
    kind="debit", units=-1, deployment_id=bindparam("deployment_id")
)
_MARK_CHARGED = (
    update(_DEPLOYMENTS)
    .where(_DEPLOYMENTS.c.id.in_(bindparam("ids", expanding=True)))
    .values(charged=bindparam("charged"))
)
_TAKE = (
    update(_BALANCE)
    .where(_BALANCE.c.id == BALANCE_ROW, _BALANCE.c.units >= bindparam("n"))
    .values(units=_BALANCE.c.units - bindparam("n"))
)
_GIVE_BACK = (
    update(_BALANCE)
    .where(_BALANCE.c.id == BALANCE_ROW)
    .values(units=_BALANCE.c.units + bindparam("n"))
)
_UNDO_DEBITS = delete(_ENTRIES).where(
    _ENTRIES.c.kind == "debit", _ENTRIES.c.deployment_id.in_(bindparam("ids", expanding=True))
)
_earlier = _ENTRIES.alias("earlier")
_OWED = select(
    literal("refund"),
    literal(1),
    _DEPLOYMENTS.c.id,
    bindparam("note", type_=_ENTRIES.c.note.type),
    bindparam("created_at", type_=_ENTRIES.c.created_at.type),
).where(
    _DEPLOYMENTS.c.id == bindparam("deployment_id"),
    _DEPLOYMENTS.c.state.in_(REFUNDABLE_STATES),
    select(_earlier.c.id)
    .where(_earlier.c.deployment_id == _DEPLOYMENTS.c.id, _earlier.c.kind == "debit")
    .exists(),
    ~select(_earlier.c.id)
    .where(_earlier.c.deployment_id == _DEPLOYMENTS.c.id, _earlier.c.kind == "refund")
    .exists(),
)
_REFUND_ENTRY = (
    insert(_ENTRIES)
    .from_select(["kind", "units", "deployment_id", "note", "created_at"], _OWED)
    .returning(_ENTRIES.c.id)
)


def debit(session: Session, deployment_ids: Sequence[int]) -> None:
    """Debit one unit per deployment, all or nothing; raises :class:`QuotaExhausted`.

    The conditional UPDATE of the balance row comes last: every debit and refund of the fleet
    queues on that row's lock, which is held until commit, so the journal rows are written
    first and the lock is taken only for the final statement and the commit.
    """
    needed = len(deployment_ids)
    if needed == 0:
        return
    ids = list(deployment_ids)
    session.execute(_DEBIT_ENTRY, [{"deployment_id": d} for d in ids])
    session.execute(_MARK_CHARGED, {"ids": ids, "charged": True})
    if changed(session, _TAKE, {"n": needed}) != 1:
        # Undo this call's writes even if a caller kept the transaction after the error.
        session.execute(_UNDO_DEBITS, {"ids": ids})
        session.execute(_MARK_CHARGED, {"ids": ids, "charged": False})
        raise QuotaExhausted(needed, balance(session))


def refund(session: Session, deployment_id: int, note: str | None = None) -> bool:
    """Give back the unit a failed or cancelled deployment consumed; False if none is owed.

    Idempotent: a deployment that was never debited, was already refunded, or has not failed
    (or been cancelled) gets nothing, and the unique (deployment_id, kind) constraint stops a
    concurrent second refund at commit. The conditions and the journal row are one
    ``INSERT … SELECT`` and the balance row is updated last (see :func:`debit`).
    """
    written = session.execute(
        _REFUND_ENTRY,
        {"deployment_id": deployment_id, "note": note, "created_at": utcnow()},
    ).first()
    if written is None:
        return False
    session.execute(_GIVE_BACK, {"n": 1})
    return True


@dataclass(frozen=True)
class QuotaSummary:
    """Totals for ``certfleet quota show`` and for audits."""

    balance: int
    purchased: int
    debited: int
    refunded: int
    journal_sum: int

    @property
    def consistent(self) -> bool:
        """The balance row equals the sum of the append-only journal."""
        return self.balance == self.journal_sum


def summary(session: Session) -> QuotaSummary:
    """Balance and journal totals in one consistent read."""
    rows = dict(
        session.execute(
            select(QuotaEntry.kind, func.coalesce(func.sum(QuotaEntry.units), 0)).group_by(
                QuotaEntry.kind
            )
        ).all()
    )
    purchased = int(rows.get("purchase", 0))
    debited = -int(rows.get("debit", 0))
    refunded = int(rows.get("refund", 0))
    return QuotaSummary(
        balance=balance(session),
        purchased=purchased,
        debited=debited,
        refunded=refunded,
        journal_sum=purchased - debited + refunded,
    )


def audit(session: Session) -> list[str]:
    """Every broken invariant, as sentences; an empty list means the ledger is sound."""
    problems: list[str] = []
    totals = summary(session)
    if not totals.consistent:
        problems.append(
            f"balance {totals.balance} differs from the journal's sum {totals.journal_sum}"
        )
    debited = select(QuotaEntry.deployment_id).where(QuotaEntry.kind == "debit")
    orphan_refunds = session.execute(
        select(func.count())
        .select_from(QuotaEntry)
        .where(QuotaEntry.kind == "refund", QuotaEntry.deployment_id.not_in(debited))
    ).scalar_one()
    if orphan_refunds:
        problems.append(f"{orphan_refunds} refunds have no matching debit")
    refunded_ok = session.execute(
        select(func.count())
        .select_from(QuotaEntry)
        .join(Deployment, Deployment.id == QuotaEntry.deployment_id)
        .where(QuotaEntry.kind == "refund", Deployment.state == "succeeded")
    ).scalar_one()
    if refunded_ok:
        problems.append(f"{refunded_ok} succeeded deployments were refunded")
    return problems
