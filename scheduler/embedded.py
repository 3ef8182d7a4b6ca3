"""The embedded mode: scheduler loop and dramatiq worker threads in this one process.

It runs exactly the actors and ledger operations a fleet runs, over a StubBroker, so the demo
and the end-to-end tests exercise the production code paths without Redis or PostgreSQL.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from types import TracebackType

import dramatiq

from ledger import tasks
from ledger.models import TERMINAL_STATES
from scheduler.notifications.dispatch import Dispatcher
from scheduler.service import Scheduler
from workers import actors, runtime
from workers.broker import BROKER
from workers.runtime import Runtime

TERMINAL_TASK = ("succeeded", "partial", "failed", "cancelled")
Progress = Callable[[dict[int, Counter[str]]], None]


class EmbeddedRunner:
    """Context manager: worker threads start on enter and stop on exit."""

    def __init__(self, rt: Runtime, *, threads: int | None = None, tick_seconds: float = 0.2):
        self.runtime = rt
        self.threads = threads or rt.settings.worker_threads
        self.tick_seconds = tick_seconds
        self.scheduler = Scheduler(
            rt.database,
            actors.enqueue,
            reap_grace_seconds=rt.settings.reap_grace_seconds,
            queue_of=actors.queue_of,
            notifier=Dispatcher.from_environment(
                rt.database, rt.settings.smtp_url, rt.settings.webhook_secret
            ),
        )
        self._worker: dramatiq.Worker | None = None

    def __enter__(self) -> EmbeddedRunner:
        runtime.install(self.runtime)
        if self.runtime.settings.embedded:
            self._worker = dramatiq.Worker(BROKER, worker_threads=self.threads, worker_timeout=50)
            self._worker.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._worker is not None:
            self._worker.stop()
            # dramatiq leaves a stopped worker's middleware on the broker; drop it so the next
            # runner in this process does not stack another one beside it.
            BROKER.middleware[:] = [
                m for m in BROKER.middleware if getattr(m, "worker", None) is not self._worker
            ]
            self._worker = None
            # The in-memory queues die with this runner anyway; emptying them now keeps a later
            # runner in this process from receiving stale messages. The database still knows
            # every unfinished deployment, and the reaper re-enqueues them.
            BROKER.flush_all()

    def run_until_done(
        self,
        task_ids: Sequence[int],
        on_progress: Progress | None = None,
        timeout: float | None = None,
    ) -> dict[int, str]:
        """Tick the scheduler until every task is finished; returns each task's status.

        In distributed mode (a broker URL is set) the fleet does the work and this only
        schedules and watches.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.scheduler.tick()
            with self.runtime.database.unit_of_work() as session:
                counts = {t: tasks.progress(session, t) for t in task_ids}
                statuses = {t: tasks.get_task(session, t).status for t in task_ids}
            if on_progress is not None:
                on_progress(counts)
            if all(s in TERMINAL_TASK for s in statuses.values()) and all(
                set(c) <= set(TERMINAL_STATES) for c in counts.values()
            ):
                self.scheduler.notify()  # tasks that just finished wrote theirs after this tick
                return statuses
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"tasks {list(task_ids)} still running after {timeout}s")
            time.sleep(self.tick_seconds)
