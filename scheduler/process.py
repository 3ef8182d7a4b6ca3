"""The scheduler as a long-running process: passes until told to stop, with metrics and health.

SIGTERM (or SIGINT) stops it *between* passes: a pass in progress finishes, so the deployments
it marked queued are also sent (and if the process dies anyway, the reaper of any scheduler
sends them later — the database is the outbox). A second signal exits at once.

Its endpoint (``CERTFLEET_METRICS_PORT`` or ``--metrics-port``) serves the ledger's view of the
fleet (:mod:`scheduler.fleet_metrics`) and the scheduler's own counters, plus

* ``/healthz``: a pass started recently and none has been running for too long;
* ``/readyz``: the last pass succeeded recently (so the database and the broker answer).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from prometheus_client import CollectorRegistry, ProcessCollector

from ledger.db import Database
from scheduler.fleet_metrics import FleetCollector, SchedulerMetrics
from scheduler.service import Scheduler, Tick
from workers.observability import exposition
from workers.observability.exposition import Endpoint

log = logging.getLogger("certfleet.scheduler")

# One pass may be long (a campaign of 100k deployments is enqueued in one), so "stuck" is
# generous; "idle" is how long without any pass starting before the process counts as hung.
STUCK_AFTER_SECONDS = 900.0
IDLE_AFTER_MIN_SECONDS = 60.0


class SchedulerProcess:
    """Runs :class:`Scheduler` passes and remembers enough about them to answer probes."""

    def __init__(
        self,
        loop: Scheduler,
        *,
        interval: float,
        metrics: SchedulerMetrics | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.loop = loop
        self.interval = interval
        self.metrics = metrics
        self._clock = clock
        self._wall_clock = wall_clock
        self._started_at = clock()
        self._pass_started: float | None = None
        self._last_finished: float | None = None
        self._last_success: float | None = None

    @property
    def idle_after(self) -> float:
        return max(IDLE_AFTER_MIN_SECONDS, 10 * self.interval)

    def tick_once(self) -> Tick | None:
        """One pass; its failure is logged and counted, never raised."""
        self._pass_started = self._clock()
        try:
            tick = self.loop.tick()
        except Exception:  # a database or broker blip must not end the scheduler
            log.exception("scheduler pass failed; retrying")
            self._record(None)
            return None
        self._record(tick)
        return tick

    def _record(self, tick: Tick | None) -> None:
        now = self._clock()
        self._pass_started = None
        self._last_finished = now
        if tick is not None:
            self._last_success = now
        if self.metrics is None:
            return
        self.metrics.ticks.labels("ok" if tick else "error").inc()
        if tick is not None:
            self.metrics.tasks_started.inc(tick.started_tasks)
            self.metrics.enqueued.labels("started").inc(tick.enqueued)
            self.metrics.enqueued.labels("reaped").inc(tick.reaped)
            self.metrics.notifications.inc(tick.notified)
            self.metrics.last_success.set(self._wall_clock())

    def run_once(self, stop: threading.Event | None = None) -> Tick | None:
        """Retry until one pass succeeds (None if stopped first)."""
        stop = stop or threading.Event()
        while not stop.is_set():
            tick = self.tick_once()
            if tick is not None:
                return tick
            stop.wait(self.interval)
        return None

    def run(self, stop: threading.Event) -> None:
        """Pass after pass until ``stop`` is set; a pass in progress always completes."""
        while not stop.is_set():
            self.tick_once()
            stop.wait(self.interval)
        log.info("scheduler stopped")

    def liveness(self) -> str | None:
        """A hung process fails this: no pass started lately, or one runs far too long."""
        now = self._clock()
        if self._pass_started is not None:
            running = now - self._pass_started
            if running > STUCK_AFTER_SECONDS:
                return f"the current pass has run for {running:.0f}s"
            return None
        last = self._last_finished if self._last_finished is not None else self._started_at
        if now - last > self.idle_after:
            return f"no pass for {now - last:.0f}s"
        return None

    def readiness(self) -> str | None:
        """Ready while passes succeed: the database and the broker answer."""
        if self._last_success is None:
            return "no successful pass yet"
        age = self._clock() - self._last_success
        if age > self.idle_after:
            return f"last successful pass {age:.0f}s ago"
        return None


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM/SIGINT set ``stop`` (the loop ends after the current pass); a second one exits."""

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise SystemExit(128 + signum)
        log.info("%s: stopping after the current pass", signal.Signals(signum).name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handle)


def endpoint(process: SchedulerProcess, database: Database) -> Endpoint:
    """The scheduler's registry (ledger view, own counters, process stats) and checks."""
    registry = CollectorRegistry()
    process.metrics = SchedulerMetrics(registry)
    registry.register(FleetCollector(database))
    ProcessCollector(registry=registry)
    return Endpoint(
        registry=registry,
        liveness={"scheduler_loop": process.liveness},
        readiness={"last_pass": process.readiness},
    )


def serve(process: SchedulerProcess, database: Database, host: str, port: int | None) -> None:
    """Run passes until SIGTERM, serving the endpoint on ``port`` when one is given."""
    stop = threading.Event()
    stop_on_signals(stop)
    server = exposition.start(endpoint(process, database), host, port) if port else None
    try:
        process.run(stop)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
