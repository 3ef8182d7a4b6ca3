"""The scheduler's reaper: messages that may be lost are sent again, late ones are not."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from ledger import deployments, quota, tasks
from ledger.db import Database
from ledger.models import Deployment
from ledger.timeutil import utcnow
from ledger.vault import Vault
from providers.emulators.pki import Authority
from scheduler.service import Scheduler
from tests.ledger import builders

GRACE = 30


class Sent:
    """An ``Enqueue`` that records what the scheduler sent."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def __call__(self, ids: Sequence[int], provider: str, account_id: int) -> None:
        self.ids.extend(ids)


def _started_task(database: Database, vault: Vault, authority: Authority, name: str) -> list[int]:
    """A running task of a new account with 4 queued deployments (their messages sent)."""
    with database.unit_of_work() as s:
        acct = builders.account(s, vault, name)
        cert = builders.certificate(s, vault, authority, [f"*.{name}.com"], "issued")
        res = builders.resources(s, acct, [f"h{i}.{name}.com" for i in range(4)])
        task_id = builders.draft(s, acct, cert, res, name)
        quota.buy(s, 1)
        tasks.submit(s, task_id)
        (started,) = tasks.start_due_tasks(s, utcnow())
    return started.deployment_ids


def _a_worker_just_took_one(database: Database, ids: list[int]) -> datetime:
    """A time past the grace, at which a worker claimed one of ``ids`` a second ago."""
    later = utcnow() + timedelta(seconds=GRACE + 5)
    with database.unit_of_work() as s:
        assert deployments.claim(s, ids[0], later - timedelta(seconds=1), 60) is not None
    return later


def _scheduler(database: Database, sent: Sent, at: datetime) -> Scheduler:
    return Scheduler(database, sent, reap_grace_seconds=GRACE, clock=lambda: at)


def test_queued_messages_of_a_queue_that_delivers_nothing_are_sent_again(
    database: Database, vault: Vault, authority: Authority
) -> None:
    ids = _started_task(database, vault, authority, "idle")
    sent = Sent()
    tick = _scheduler(database, sent, utcnow() + timedelta(seconds=GRACE + 5)).tick()
    assert tick.reaped == len(ids) and sorted(sent.ids) == sorted(ids)


@pytest.mark.parametrize("shared_queue", [False, True], ids=["own-queues", "one-queue"])
def test_waiting_messages_of_a_queue_that_delivers_are_late_not_lost(
    database: Database, vault: Vault, authority: Authority, shared_queue: bool
) -> None:
    """The other account is reaped while its queue is idle, not while it shares the busy one."""
    busy = _started_task(database, vault, authority, "busy")
    other = _started_task(database, vault, authority, "other")
    later = _a_worker_just_took_one(database, busy)
    sent = Sent()
    Scheduler(
        database,
        sent,
        reap_grace_seconds=GRACE,
        clock=lambda: later,
        queue_of=(lambda provider, account: f"deploy.{provider}.0") if shared_queue else None,
    ).tick()
    # busy's other three are still in its queue either way
    assert sorted(sent.ids) == ([] if shared_queue else sorted(other))


def test_messages_sent_long_before_one_the_queue_delivered_were_lost(
    database: Database, vault: Vault, authority: Authority
) -> None:
    """A trickle of deliveries (retries sent after Redis lost the queue) does not hide the loss:
    the queue delivered a message sent after these, so theirs are gone."""
    ids = _started_task(database, vault, authority, "busy")
    later = utcnow() + timedelta(seconds=3 * GRACE)
    with database.unit_of_work() as s:  # a retry of ids[1], sent well after the others
        s.execute(update(Deployment).where(Deployment.id == ids[1]).values(due_at=later))
        assert deployments.claim(s, ids[1], later, 60) is not None
    sent = Sent()
    _scheduler(database, sent, later + timedelta(seconds=1)).tick()
    assert sorted(sent.ids) == sorted([ids[0], *ids[2:]])


def test_an_expired_lease_is_reaped_even_while_the_queue_delivers(
    database: Database, vault: Vault, authority: Authority
) -> None:
    ids = _started_task(database, vault, authority, "busy")
    now = utcnow()
    with database.unit_of_work() as s:
        assert deployments.claim(s, ids[0], now, 1) is not None  # a worker died holding it
        assert deployments.claim(s, ids[1], now, 600) is not None  # another is working
    sent = Sent()
    _scheduler(database, sent, now + timedelta(seconds=5)).tick()
    assert sent.ids == [ids[0]]
    # Sent once, not on every pass until a worker takes it; the dead attempt stays fenced off.
    _scheduler(database, sent, now + timedelta(seconds=6)).tick()
    assert sent.ids == [ids[0]]
    with database.unit_of_work() as s:
        assert s.get(Deployment, ids[0]).state == "queued"  # type: ignore[union-attr]
        again = deployments.claim(s, ids[0], now + timedelta(seconds=7), 60)
    assert again is not None and again.attempt == 2
