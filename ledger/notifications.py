"""The notification outbox: rows written when a task finishes, sent later by a dispatcher.

Writing the rows in the transaction that closes the task means a notification can never be
forgotten (a crash after the commit just delays it); sending is at-least-once, with the row's id
as the delivery id receivers can de-duplicate on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger.models import Notification

IN_FLIGHT_SECONDS = 120  # a send that has not reported by then is presumed lost and retried


@dataclass(frozen=True)
class Outgoing:
    """A notification to send now."""

    id: int
    task_id: int
    event: str
    recipient: str
    payload: dict[str, Any]
    attempts: int


def claim_due(session: Session, now: datetime, limit: int = 50) -> list[Outgoing]:
    """Notifications due now, pushed ahead by the in-flight window so no one else sends them."""
    query = (
        select(Notification)
        .where(
            Notification.sent_at.is_(None),
            Notification.gave_up_at.is_(None),
            Notification.next_attempt_at <= now,
        )
        .order_by(Notification.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.execute(query).scalars())
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + timedelta(seconds=IN_FLIGHT_SECONDS)
    return [
        Outgoing(r.id, r.task_id, r.event, r.recipient, dict(r.payload), r.attempts) for r in rows
    ]


def mark_sent(session: Session, notification_id: int, now: datetime) -> None:
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(sent_at=now, error=None, next_attempt_at=None)
    )


def mark_failed(
    session: Session, notification_id: int, error: str, retry_at: datetime | None, now: datetime
) -> None:
    """Record a failed send; ``retry_at=None`` means stop trying."""
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(
            error=error[:1000],
            next_attempt_at=retry_at,
            gave_up_at=now if retry_at is None else None,
        )
    )


def for_task(session: Session, task_id: int) -> list[Notification]:
    return list(
        session.execute(
            select(Notification).where(Notification.task_id == task_id).order_by(Notification.id)
        ).scalars()
    )
