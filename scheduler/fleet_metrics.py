"""Metrics of the fleet as the ledger knows it, exported by the scheduler.

The database is the truth for queue depth, quota, tasks and certificate expiry, so these are
computed from it at scrape time (cached for a few seconds) rather than counted by processes that
may crash. Several schedulers may run; each exports the same figures, so dashboards and alerts
aggregate them with ``max``, never ``sum``, across scheduler instances.

Read-only aggregate queries live here rather than in ``ledger/`` because they serve only this
view; they use the indexed columns (deployment state, task status) and group in the database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ledger import quota
from ledger.db import Database
from ledger.models import TASK_STATUSES, Account, Certificate, Deployment, Resource, Task
from ledger.timeutil import utcnow

log = logging.getLogger("certfleet.scheduler")

OPEN_STATES = ("pending", "queued", "running", "paused")
# Deployments that will run without anyone acting: the inventory counts them as "planned".
PLANNED_STATES = ("pending", "queued", "running")
PLANNED_TASK_STATUSES = ("scheduled", "running")
GROUP_LABELS = ("provider", "product", "account")
# Disjoint expiry windows, in days from now; the last bucket is everything later.
EXPIRY_BUCKETS: tuple[tuple[str, int], ...] = (
    ("0-7d", 7),
    ("7-14d", 14),
    ("14-30d", 30),
    ("30-60d", 60),
    ("60-90d", 90),
)
EXPIRED, LATER = "expired", "90d+"
CACHE_SECONDS = 5.0

Group = tuple[str, str, str]  # (provider, product, account name)


@dataclass
class FleetSnapshot:
    """One consistent-enough read of everything the collector exports."""

    groups: set[Group] = field(default_factory=set)
    open_by_state: dict[tuple[Group, str], int] = field(default_factory=dict)
    ready: dict[Group, int] = field(default_factory=dict)
    oldest_ready: dict[Group, float] = field(default_factory=dict)
    oldest_running: dict[Group, float] = field(default_factory=dict)
    lease_expired: dict[Group, int] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)
    quota: quota.QuotaSummary | None = None
    served: dict[tuple[Group, str], int] = field(default_factory=dict)
    unplanned: dict[tuple[Group, str], int] = field(default_factory=dict)
    imported: dict[tuple[str, str], int] = field(default_factory=dict)


def expiry_bucket(
    column: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None], now: datetime
) -> ColumnElement[str]:
    """SQL for the expiry window a ``not_after`` column falls in (bound cut-offs, any backend)."""
    whens: list[tuple[ColumnElement[bool], str]] = [(column < now, EXPIRED)]
    whens += [(column < now + timedelta(days=days), name) for name, days in EXPIRY_BUCKETS]
    return case(*whens, else_=LATER)


def _seconds(now: datetime, then: datetime | None) -> float:
    return 0.0 if then is None else max(0.0, (now - then).total_seconds())


def _read_groups(session: Session, snap: FleetSnapshot) -> None:
    rows = session.execute(
        select(Resource.provider, Resource.product, Account.name)
        .join(Account, Account.id == Resource.account_id)
        .where(Resource.gone_at.is_(None))
        .distinct()
    ).all()
    snap.groups.update((p, q, a) for p, q, a in rows)


def _read_open_deployments(session: Session, snap: FleetSnapshot, now: datetime) -> None:
    ready = and_(Deployment.state == "queued", Deployment.due_at <= now)
    # Waiting since its last attempt began, or since its task started when it never ran.
    waiting_since = func.coalesce(Deployment.started_at, Task.started_at)
    running = Deployment.state == "running"
    rows = session.execute(
        select(
            Resource.provider,
            Resource.product,
            Account.name,
            Deployment.state,
            func.count(),
            func.sum(case((ready, 1), else_=0)),
            func.min(case((ready, waiting_since), else_=None)),
            func.min(case((running, Deployment.started_at), else_=None)),
            func.sum(case((and_(running, Deployment.lease_until < now), 1), else_=0)),
        )
        .join(Resource, Resource.id == Deployment.resource_id)
        .join(Account, Account.id == Resource.account_id)
        .join(Task, Task.id == Deployment.task_id)
        .where(Deployment.state.in_(OPEN_STATES), Task.status != "draft")
        .group_by(Resource.provider, Resource.product, Account.name, Deployment.state)
    ).all()
    for provider, product, account, state, count, ready_n, since, started, expired in rows:
        group = (provider, product, account)
        snap.groups.add(group)
        snap.open_by_state[(group, state)] = int(count)
        if ready_n:
            snap.ready[group] = snap.ready.get(group, 0) + int(ready_n)
            snap.oldest_ready[group] = max(snap.oldest_ready.get(group, 0.0), _seconds(now, since))
        if started is not None:
            snap.oldest_running[group] = _seconds(now, started)
        if expired:
            snap.lease_expired[group] = int(expired)


def _read_inventory(session: Session, snap: FleetSnapshot, now: datetime) -> None:
    planned = (
        select(Deployment.resource_id)
        .join(Task, Task.id == Deployment.task_id)
        .where(Deployment.state.in_(PLANNED_STATES), Task.status.in_(PLANNED_TASK_STATUSES))
        .distinct()
        .subquery()
    )
    bucket = expiry_bucket(Resource.served_not_after, now).label("bucket")
    rows = session.execute(
        select(
            Resource.provider,
            Resource.product,
            Account.name,
            bucket,
            func.count(),
            func.sum(case((planned.c.resource_id.is_(None), 1), else_=0)),
        )
        .join(Account, Account.id == Resource.account_id)
        .outerjoin(planned, planned.c.resource_id == Resource.id)
        .where(Resource.gone_at.is_(None), Resource.served_not_after.is_not(None))
        .group_by(Resource.provider, Resource.product, Account.name, bucket)
    ).all()
    for provider, product, account, window, count, unplanned in rows:
        group = (provider, product, account)
        snap.served[(group, window)] = int(count)
        if unplanned:
            snap.unplanned[(group, window)] = int(unplanned)
    imported = expiry_bucket(Certificate.not_after, now).label("bucket")
    for cert_type, window, count in session.execute(
        select(Certificate.cert_type, imported, func.count()).group_by(
            Certificate.cert_type, imported
        )
    ).all():
        snap.imported[(cert_type, window)] = int(count)


def read_snapshot(session: Session, now: datetime) -> FleetSnapshot:
    """Everything the collector exports, read from the ledger."""
    snap = FleetSnapshot()
    _read_groups(session, snap)
    _read_open_deployments(session, snap, now)
    snap.tasks = {status: 0 for status in TASK_STATUSES}
    for status, count in session.execute(select(Task.status, func.count()).group_by(Task.status)):
        snap.tasks[status] = int(count)
    snap.quota = quota.summary(session)
    _read_inventory(session, snap, now)
    return snap


def _gauge(name: str, doc: str, labels: Iterable[str] = GROUP_LABELS) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels))


def _group_metrics(snap: FleetSnapshot) -> Iterator[Metric]:
    depth = _gauge(
        "certfleet_queue_depth",
        "Deployments queued and due now, waiting for a worker (ledger).",
    )
    age = _gauge(
        "certfleet_queue_oldest_age_seconds",
        "How long the longest-waiting due deployment has waited since it was queued or last "
        "attempted; 0 when none waits (ledger).",
    )
    running_age = _gauge(
        "certfleet_running_oldest_age_seconds",
        "How long the oldest running attempt has run; 0 when none runs (ledger).",
    )
    expired = _gauge(
        "certfleet_deployments_lease_expired",
        "Running deployments whose worker lease has expired: orphaned until re-claimed (ledger).",
    )
    by_state = _gauge(
        "certfleet_deployments_open",
        "Deployments of submitted tasks not yet finished, by state (ledger).",
        [*GROUP_LABELS, "state"],
    )
    for group in sorted(snap.groups):
        depth.add_metric(group, snap.ready.get(group, 0))
        age.add_metric(group, snap.oldest_ready.get(group, 0.0))
        running_age.add_metric(group, snap.oldest_running.get(group, 0.0))
        expired.add_metric(group, snap.lease_expired.get(group, 0))
        for state in OPEN_STATES:
            by_state.add_metric([*group, state], snap.open_by_state.get((group, state), 0))
    yield from (depth, age, running_age, expired, by_state)


def _inventory_metrics(snap: FleetSnapshot) -> Iterator[Metric]:
    served = _gauge(
        "certfleet_served_certificates",
        "Resources by when the certificate they serve expires (disjoint windows).",
        [*GROUP_LABELS, "expires_in"],
    )
    unplanned = _gauge(
        "certfleet_served_certificates_unplanned",
        "Resources by when their certificate expires, counting only those no scheduled or "
        "running task will deploy to.",
        [*GROUP_LABELS, "expires_in"],
    )
    for (group, window), count in sorted(snap.served.items()):
        served.add_metric([*group, window], count)
    for (group, window), count in sorted(snap.unplanned.items()):
        unplanned.add_metric([*group, window], count)
    imported = _gauge(
        "certfleet_imported_certificates",
        "Imported certificates by when they expire (disjoint windows).",
        ["cert_type", "expires_in"],
    )
    for (cert_type, window), count in sorted(snap.imported.items()):
        imported.add_metric([cert_type, window], count)
    yield from (served, unplanned, imported)


def _ledger_metrics(snap: FleetSnapshot) -> Iterator[Metric]:
    tasks = _gauge("certfleet_tasks", "Tasks by status (ledger).", ["status"])
    for status, count in snap.tasks.items():
        tasks.add_metric([status], count)
    yield tasks
    if snap.quota is not None:
        yield GaugeMetricFamily(
            "certfleet_quota_balance_units",
            "Deployment units left to spend.",
            value=snap.quota.balance,
        )
        units = CounterMetricFamily(
            "certfleet_quota_units",
            "Quota journal totals: units purchased, debited at submission, refunded on failure.",
            labels=["kind"],
        )
        units.add_metric(["purchase"], snap.quota.purchased)
        units.add_metric(["debit"], snap.quota.debited)
        units.add_metric(["refund"], snap.quota.refunded)
        yield units
        yield GaugeMetricFamily(
            "certfleet_quota_journal_consistent",
            "1 when the balance equals the sum of the append-only journal, else 0.",
            value=1 if snap.quota.consistent else 0,
        )


class FleetCollector(Collector):
    """Exports a :class:`FleetSnapshot`, re-read from the ledger at most every few seconds."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._database = database
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cached: tuple[float, FleetSnapshot] | None = None
        self._read_seconds = 0.0

    def snapshot(self) -> FleetSnapshot | None:
        """The latest snapshot, re-read when stale; None when the ledger cannot be read."""
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] >= self._cache_seconds:
                try:
                    with self._database.unit_of_work() as session:
                        snap = read_snapshot(session, self._clock())
                except Exception:  # a scrape must still answer (with certfleet_ledger_up 0)
                    log.warning("fleet metrics: the ledger could not be read", exc_info=True)
                    self._cached = None
                    return None
                self._read_seconds = time.monotonic() - now
                self._cached = (now, snap)
            return self._cached[1]

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterable[Metric]:
        snap = self.snapshot()
        yield GaugeMetricFamily(
            "certfleet_ledger_up",
            "1 when the last read of the ledger succeeded.",
            value=0 if snap is None else 1,
        )
        yield GaugeMetricFamily(
            "certfleet_ledger_read_seconds",
            "How long the last read of the ledger for these metrics took.",
            value=self._read_seconds,
        )
        if snap is None:
            return
        yield from _group_metrics(snap)
        yield from _inventory_metrics(snap)
        yield from _ledger_metrics(snap)


class SchedulerMetrics:
    """The scheduler process's own counters, in the registry its endpoint serves."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.ticks = Counter(
            "certfleet_scheduler_ticks_total",
            "Scheduler passes, by result (ok, error).",
            ["result"],
            registry=registry,
        )
        self.tasks_started = Counter(
            "certfleet_scheduler_tasks_started_total",
            "Tasks this scheduler started.",
            registry=registry,
        )
        self.enqueued = Counter(
            "certfleet_scheduler_enqueued_total",
            "Deployment messages sent to the broker: first sends (started) and re-sends of "
            "orphaned deployments (reaped).",
            ["reason"],
            registry=registry,
        )
        self.notifications = Counter(
            "certfleet_scheduler_notifications_sent_total",
            "Task notifications (e-mail, webhook) this scheduler delivered.",
            registry=registry,
        )
        self.last_success = Gauge(
            "certfleet_scheduler_last_success_timestamp_seconds",
            "When the last scheduler pass succeeded (Unix time).",
            registry=registry,
        )
        for result in ("ok", "error"):
            self.ticks.labels(result)
        for reason in ("started", "reaped"):
            self.enqueued.labels(reason)
