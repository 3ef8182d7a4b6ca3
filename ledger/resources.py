"""The resource inventory: what discovery found in each account and product."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import String, cast, select, update
from sqlalchemy.orm import Session

from ledger.models import Resource
from ledger.timeutil import utcnow


@dataclass(frozen=True)
class ResourceSnapshot:
    """One resource as a discovery pass saw it (the ledger's view of a provider Resource)."""

    native_id: str
    hostnames: tuple[str, ...]
    region: str | None = None
    https_endpoint: bool = True
    served_remote_id: str | None = None
    served_fingerprint: str | None = None
    served_not_after: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


def record_discovery(
    session: Session,
    *,
    account_id: int,
    provider: str,
    product: str,
    snapshots: Iterable[ResourceSnapshot],
) -> int:
    """Upsert every snapshot and mark resources no longer seen as gone; returns the count seen.

    Resources are kept (not deleted) when they disappear, because past deployments refer to them.
    """
    now = utcnow()
    existing = {
        r.native_id: r
        for r in session.execute(
            select(Resource).where(Resource.account_id == account_id, Resource.product == product)
        ).scalars()
    }
    seen = 0
    for snap in snapshots:
        seen += 1
        row = existing.pop(snap.native_id, None)
        if row is None:
            row = Resource(
                account_id=account_id, provider=provider, product=product, native_id=snap.native_id
            )
            session.add(row)
        row.hostnames = list(snap.hostnames)
        row.region = snap.region
        row.https_endpoint = snap.https_endpoint
        row.attributes = dict(snap.attributes)
        row.served_remote_id = snap.served_remote_id
        row.served_fingerprint = snap.served_fingerprint
        row.served_not_after = snap.served_not_after
        row.discovered_at = now
        row.gone_at = None
    if existing:
        session.execute(
            update(Resource)
            .where(Resource.id.in_([r.id for r in existing.values()]), Resource.gone_at.is_(None))
            .values(gone_at=now)
        )
    session.flush()
    return seen


class LiveResource(NamedTuple):
    """What planning reads of a live resource: plain values, no ORM identity to keep."""

    id: int
    product: str
    native_id: str
    hostnames: tuple[str, ...]
    served_remote_id: str | None
    served_not_after: datetime | None


def live_resources(
    session: Session, account_id: int, products: Sequence[str]
) -> list[LiveResource]:
    """Resources of ``products`` in the account that the last discovery still saw.

    Read as plain rows, not ORM objects: a preview reads 100,000 of them, and building and
    tracking an object per row costs several times the query itself. The hostnames come as
    JSON text parsed here in one call each: through the driver's JSON loader they cost four
    times the rest of the query.
    """
    rows = session.execute(
        select(
            Resource.id,
            Resource.product,
            Resource.native_id,
            cast(Resource.hostnames, String),
            Resource.served_remote_id,
            Resource.served_not_after,
        )
        .where(
            Resource.account_id == account_id,
            Resource.product.in_(products),
            Resource.gone_at.is_(None),
        )
        .order_by(Resource.id)
    )
    return [
        LiveResource(id_, product, native_id, tuple(orjson.loads(hostnames)), remote_id, not_after)
        for id_, product, native_id, hostnames, remote_id, not_after in rows
    ]


def serving(session: Session, hostnames: Sequence[str], *, exclude_id: int) -> list[Resource]:
    """Other live resources (any product or account) that serve any of ``hostnames``.

    Only used to explain a failed verification, so a scan is acceptable here.
    """
    wanted = {h.lower() for h in hostnames}
    return [
        r
        for r in session.execute(
            select(Resource).where(Resource.gone_at.is_(None), Resource.id != exclude_id)
        ).scalars()
        if wanted & {h.lower() for h in r.hostnames}
    ]
