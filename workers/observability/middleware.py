"""The dramatiq middleware that makes a worker observable.

Why not dramatiq's own ``Prometheus`` middleware: it exports ``dramatiq_*`` series labelled by
queue and actor (not provider, product and account), runs its own server on
``dramatiq_prom_port`` beside ours, keeps its files in a fixed directory it never empties, and
switches prometheus-client to multiprocess mode in ``after_process_boot`` — after our actor
module has already imported prometheus-client, which is too late for either set of metrics.
This middleware does the parts we need under certfleet's names:

* worker processes, threads and attempts in progress (gauges summed over the live processes);
* a heartbeat per worker process for the host's ``/healthz``;
* the log context (deployment, task and message ids) around each deployment attempt;
* the host's endpoint, started by dramatiq as a fork process when ``CERTFLEET_METRICS_PORT``
  is set and the processes share a metrics directory (``python -m workers`` arranges both).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from contextvars import Token
from typing import Any

import dramatiq
from dramatiq.broker import Broker
from dramatiq.middleware import Middleware

from ledger.settings import Settings
from workers import metrics
from workers.observability import logs, multiprocess
from workers.observability.heartbeat import Heartbeat

log = logging.getLogger("certfleet.worker")

DEPLOY_ACTOR = "deploy"
TaskLookup = Callable[[int], int | None]


def task_of(deployment_id: int) -> int | None:
    """The task a deployment belongs to, for the log context (None if it cannot be read)."""
    from sqlalchemy import select  # noqa: PLC0415 - keeps the worker's import light

    from ledger.models import Deployment  # noqa: PLC0415
    from workers import runtime  # noqa: PLC0415 - runtime imports this package's users

    with runtime.current().database.unit_of_work() as session:
        found: int | None = session.execute(
            select(Deployment.task_id).where(Deployment.id == deployment_id)
        ).scalar_one_or_none()
    return found


class Observability(Middleware):
    """Metrics, heartbeats, log context and the metrics endpoint of a worker host."""

    def __init__(self, settings: Settings, lookup_task: TaskLookup = task_of) -> None:
        self._settings = settings
        self._lookup_task = lookup_task
        self._heartbeat: Heartbeat | None = None
        self._local = threading.local()

    @property
    def forks(self) -> list[Callable[[], int]]:
        """The host endpoint, when a port is configured and the processes share a directory."""
        if self._settings.metrics_port is None:
            return []
        if multiprocess.directory() is None:
            log.error(
                "CERTFLEET_METRICS_PORT is set but the processes share no metrics directory: "
                "start workers with `certfleet worker` or `python -m workers`, which set it up"
            )
            return []
        from workers.observability.host import serve  # noqa: PLC0415 - imported by the fork

        return [serve]

    def after_worker_boot(self, broker: Broker, worker: dramatiq.Worker) -> None:
        metrics.WORKER_PROCESSES.set(1)
        metrics.WORKER_THREADS.set(worker.worker_threads)
        directory = multiprocess.directory()
        if directory is not None:
            self._heartbeat = Heartbeat(directory).start()

    def after_worker_shutdown(self, broker: Broker, worker: dramatiq.Worker) -> None:
        metrics.WORKER_PROCESSES.set(0)
        metrics.WORKER_THREADS.set(0)
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        directory = multiprocess.directory()
        if directory is not None:
            multiprocess.mark_process_dead(os.getpid(), directory)

    def before_process_message(self, broker: Broker, message: Any) -> None:
        metrics.IN_PROGRESS.inc()
        self._local.token = logs.bind(**self._context(message))

    def after_process_message(
        self,
        broker: Broker,
        message: Any,
        *,
        result: Any | None = None,
        exception: BaseException | None = None,
    ) -> None:
        token: Token[Any] | None = getattr(self._local, "token", None)
        if token is None:  # skipped before our before_process_message ran
            return
        self._local.token = None
        metrics.IN_PROGRESS.dec()
        logs.reset(token)

    def after_skip_message(self, broker: Broker, message: Any) -> None:
        self.after_process_message(broker, message)

    def _context(self, message: Any) -> dict[str, object]:
        fields: dict[str, object] = {
            "message_id": message.message_id,
            "retries": message.options.get("retries", 0),
        }
        if message.actor_name == DEPLOY_ACTOR and message.args:
            deployment_id = int(message.args[0])
            fields["deployment_id"] = deployment_id
            try:
                fields["task_id"] = self._lookup_task(deployment_id)
            except Exception:  # the attempt itself will meet (and report) a database problem
                log.debug("deployment %s: task id unavailable for the log context", deployment_id)
        return fields
