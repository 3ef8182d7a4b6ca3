"""The scheduling loop: start due tasks, enqueue their deployments, re-enqueue orphans.

Several schedulers may run at once (each tick's claims are row-locked with SKIP LOCKED on
PostgreSQL). Enqueueing happens after the commit that marks deployments queued; if the process
dies in between, those deployments are "queued but never sent" and the reaper sends them once
they are overdue — the database is the outbox.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ledger import deployments, tasks
from ledger.accounts import list_accounts
from ledger.db import Database
from ledger.timeutil import utcnow
from scheduler.notifications.dispatch import Dispatcher

log = logging.getLogger("certfleet.scheduler")

Enqueue = Callable[[Sequence[int], str, int], None]  # (deployment ids, provider, account id)
QueueOf = Callable[[str, int], str]  # (provider, account id) -> the queue its messages go to


@dataclass(frozen=True)
class Tick:
    """What one pass of the loop did."""

    started_tasks: int
    enqueued: int
    reaped: int
    notified: int = 0


class Scheduler:
    """Moves due work from the database to the broker."""

    def __init__(
        self,
        database: Database,
        enqueue: Enqueue,
        *,
        reap_grace_seconds: int = 30,
        notifier: Dispatcher | None = None,
        clock: Callable[[], datetime] = utcnow,
        queue_of: QueueOf | None = None,
    ) -> None:
        self._database = database
        self._queue_of = queue_of or (lambda provider, account_id: f"{provider}:{account_id}")
        self._notifier = notifier
        self._enqueue = enqueue
        self._grace = reap_grace_seconds
        self._clock = clock

    def tick(self) -> Tick:
        """One pass: start what is due, then re-enqueue what looks orphaned."""
        now = self._clock()
        with self._database.unit_of_work() as session:
            started = tasks.start_due_tasks(session, now)
        enqueued = 0
        for task in started:
            self._enqueue(task.deployment_ids, task.provider, task.account_id)
            enqueued += len(task.deployment_ids)
            log.info("task %s started: %d deployments enqueued", task.task_id, enqueued)
        with self._database.unit_of_work() as session:
            horizons = self._horizons(session, now)
            orphans = deployments.overdue(session, now, self._grace, horizons=horizons)
        groups: dict[tuple[str, int], list[int]] = defaultdict(list)
        for routed in orphans:
            groups[(routed.provider, routed.account_id)].append(routed.deployment_id)
        for (provider, account_id), ids in groups.items():
            self._enqueue(ids, provider, account_id)
        if orphans:
            log.warning("re-enqueued %d overdue deployments", len(orphans))
        return Tick(len(started), enqueued, len(orphans), self.notify())

    def _horizons(self, session: Session, now: datetime) -> dict[int, datetime]:
        """How far each delivering queue got (see :func:`ledger.deployments.overdue`), for
        every account on it: accounts sharing a queue share its order of delivery."""
        delivered = deployments.delivery_horizons(session, now - timedelta(seconds=self._grace))
        if not delivered:
            return {}
        reached: dict[str, datetime] = {}
        for account, (provider, due) in delivered.items():
            queue = self._queue_of(provider, account)
            reached[queue] = max(due, reached.get(queue, due))
        return {
            account.id: reached[queue]
            for account in list_accounts(session)
            if (queue := self._queue_of(account.provider, account.id)) in reached
        }

    def notify(self) -> int:
        """Send the notifications that are due; returns how many went out."""
        return self._notifier.deliver_due().sent if self._notifier else 0
