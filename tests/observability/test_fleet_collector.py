"""The ledger's view of the fleet: queue depth and ages, stuck leases, tasks, quota, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update

from ledger import quota, tasks
from ledger.db import Database
from ledger.models import Deployment, Resource, Task
from ledger.timeutil import utcnow
from ledger.vault import Vault
from providers.emulators.pki import Authority
from scheduler.fleet_metrics import FleetCollector
from tests.ledger import builders
from tests.services import postgres_url

NOW = utcnow().replace(microsecond=0)
CDN = {"provider": "tencent", "product": "tencent.cdn", "account": "acme"}


def _samples(database: Database) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    registry = CollectorRegistry()
    registry.register(FleetCollector(database, clock=lambda: NOW, cache_seconds=0))
    text = generate_latest(registry).decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def _seed(database: Database, vault: Vault, authority: Authority) -> list[int]:
    """Ten CDN domains of one account, one submitted task started an hour before NOW."""
    with database.unit_of_work() as session:
        account_id = builders.account(session, vault)
        cert = builders.certificate(session, vault, authority, ["*.m.test"], "uploaded")
        ids = builders.resources(session, account_id, [f"d{i}.m.test" for i in range(10)])
        quota.buy(session, 100)
        task_id = builders.draft(session, account_id, cert, ids)
        tasks.submit(session, task_id)
        session.execute(update(Task).values(status="running", started_at=NOW - timedelta(hours=1)))
        rows = session.execute(
            select(Deployment.id, Deployment.resource_id).order_by(Deployment.id)
        ).all()
        # What the resources of d0, d1, d2, d3 and d5 serve: expired, in 5, 20, 365 and 3 days.
        for (_, rid), days in zip(rows[:4] + rows[5:6], (-1, 5, 20, 365, 3), strict=True):
            session.execute(
                update(Resource)
                .where(Resource.id == rid)
                .values(served_not_after=NOW + timedelta(days=days))
            )
        return [d for d, _ in rows]


def _set(database: Database, deployment_id: int, **values: object) -> None:
    with database.unit_of_work() as session:
        session.execute(update(Deployment).where(Deployment.id == deployment_id).values(**values))


def _exercise(database: Database, vault: Vault, authority: Authority) -> None:
    d = _seed(database, vault, authority)
    minute = timedelta(minutes=1)
    # d0: never attempted, due since the task started (1 h); d1: retried, last began 10 min
    # ago, due now; d2: waiting for a retry later; d3: running, lease live, began 3 min ago;
    # d4: running with an expired lease, began 30 min ago; d5, d6: done; the rest pending.
    _set(database, d[0], state="queued", due_at=NOW - 60 * minute)
    _set(database, d[1], state="queued", due_at=NOW - minute, started_at=NOW - 10 * minute)
    _set(database, d[2], state="queued", due_at=NOW + 5 * minute, started_at=NOW - minute)
    _set(database, d[3], state="running", started_at=NOW - 3 * minute, lease_until=NOW + minute)
    _set(database, d[4], state="running", started_at=NOW - 30 * minute, lease_until=NOW - minute)
    _set(database, d[5], state="succeeded")
    _set(database, d[6], state="failed")
    samples = _samples(database)

    assert _value(samples, "certfleet_queue_depth", **CDN) == 2
    assert _value(samples, "certfleet_queue_oldest_age_seconds", **CDN) == 3600
    assert _value(samples, "certfleet_running_oldest_age_seconds", **CDN) == 1800
    assert _value(samples, "certfleet_deployments_lease_expired", **CDN) == 1
    open_ = {
        s: _value(samples, "certfleet_deployments_open", **CDN, state=s)
        for s in ("pending", "queued", "running", "paused")
    }
    assert open_ == {"pending": 3, "queued": 3, "running": 2, "paused": 0}
    assert _value(samples, "certfleet_tasks", status="running") == 1
    assert _value(samples, "certfleet_tasks", status="draft") == 0
    assert _value(samples, "certfleet_quota_balance_units") == 90
    assert _value(samples, "certfleet_quota_units_total", kind="debit") == 10
    assert _value(samples, "certfleet_quota_journal_consistent") == 1
    assert _value(samples, "certfleet_ledger_up") == 1
    served = {
        dict(labels)["expires_in"]: value
        for (name, labels), value in samples.items()
        if name == "certfleet_served_certificates"
    }
    assert served == {"expired": 1, "0-7d": 2, "14-30d": 1, "90d+": 1}
    # Only d5's resource has no deployment that will still run (d5 succeeded).
    unplanned = {
        dict(labels)["expires_in"]: value
        for (name, labels), value in samples.items()
        if name == "certfleet_served_certificates_unplanned"
    }
    assert unplanned == {"0-7d": 1}
    imported = [v for (name, _), v in samples.items() if name == "certfleet_imported_certificates"]
    assert imported == [1]


def test_collector_reads_the_ledger_on_sqlite(database, vault, authority) -> None:
    _exercise(database, vault, authority)


@pytest.mark.services
def test_collector_reads_the_ledger_on_postgresql(vault, authority) -> None:
    db = Database(postgres_url(fresh_schema=True))
    db.upgrade()
    try:
        _exercise(db, vault, authority)
    finally:
        db.dispose()
