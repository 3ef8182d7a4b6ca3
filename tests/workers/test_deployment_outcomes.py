"""How a deployment ends under vendor behaviour: throttles, transient errors, refusals, duplicates.

Driven through the real path: ledger → scheduler tick → dramatiq actor on the StubBroker →
adapter → real tencentcloud SDK → emulator → TLS edge.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ledger import quota
from ledger.models import Deployment, Resource, Task
from ledger.timeutil import utcnow
from scheduler.embedded import EmbeddedRunner
from tests.workers.conftest import AK
from workers import actors


def _deployments(world, task_id: int) -> list[Deployment]:
    with world.database.unit_of_work() as session:
        return list(
            session.execute(
                select(Deployment).where(Deployment.task_id == task_id).order_by(Deployment.id)
            ).scalars()
        )


def test_throttles_are_retried_and_never_counted_as_failures(world) -> None:
    w = world([f"d{i}.w.test" for i in range(6)])
    task_id = w.submit()
    w.emulator.inject(None, error_code="RequestLimitExceeded", times=8, secret_id=AK)
    assert w.run(task_id) == {task_id: "succeeded"}
    rows = _deployments(w, task_id)
    assert all(d.state == "succeeded" and d.transient_failures == 0 for d in rows)
    assert all(d.verified_at is not None for d in rows)


def test_transient_errors_back_off_then_succeed(world) -> None:
    w = world(["a.w.test"])
    w.emulator.inject("UpdateDomainConfig", http_status=502, times=2, secret_id=AK)
    task_id = w.submit()
    assert w.run(task_id) == {task_id: "succeeded"}
    (row,) = _deployments(w, task_id)
    assert row.transient_failures == 2 and row.attempts == 3


def test_permanent_refusal_fails_at_once_and_refunds(world) -> None:
    w = world(["ok.w.test", "locked.w.test"], locked=("locked.w.test",))
    task_id = w.submit()
    assert w.run(task_id) == {task_id: "partial"}
    by_domain = {}
    with w.database.unit_of_work() as session:
        for d in _deployments(w, task_id):
            by_domain[d.resource_id] = d
        assert quota.balance(session) == 1000 - 2 + 1
        assert quota.audit(session) == []
    failed = [d for d in by_domain.values() if d.state == "failed"]
    assert len(failed) == 1 and failed[0].attempts == 1
    assert "CdnHostIsLocked" in (failed[0].error or "")


def test_transient_errors_that_persist_fail_with_the_reason_and_refund(world) -> None:
    w = world(["flaky.w.test"], max_failures=3)
    w.emulator.inject("UpdateDomainConfig", http_status=502, times=None, secret_id=AK)
    task_id = w.submit()
    assert w.run(task_id) == {task_id: "failed"}
    (row,) = _deployments(w, task_id)
    assert row.state == "failed" and row.transient_failures == 2
    assert "gave up after 3 attempts" in (row.error or "")
    with w.database.unit_of_work() as session:
        assert quota.balance(session) == 1000


def test_a_message_delivered_twice_binds_once(world) -> None:
    w = world([f"dup{i}.w.test" for i in range(4)])
    task_id = w.submit()
    with EmbeddedRunner(w.runtime, threads=4, tick_seconds=0.05) as runner:
        started = runner.scheduler.tick()
        assert started.enqueued == 4
        ids = [d.id for d in _deployments(w, task_id)]
        actors.enqueue(ids, "tencent", 1)  # at-least-once delivery: every message again
        runner.run_until_done([task_id], timeout=30)
    assert all(d.state == "succeeded" for d in _deployments(w, task_id))
    for i in range(4):
        assert w.emulator.calls[(AK, "UpdateDomainConfig", f"dup{i}.w.test")] == 1
    assert w.emulator.calls[(AK, "UploadCertificate")] == 1


def test_a_scheduled_task_waits_for_its_time(world) -> None:
    w = world(["later.w.test"])
    run_at = utcnow() + timedelta(seconds=1.5)
    task_id = w.submit(run_at=run_at)
    with EmbeddedRunner(w.runtime, threads=2, tick_seconds=0.05) as runner:
        runner.scheduler.tick()
        with w.database.unit_of_work() as session:
            assert session.get(Task, task_id).status == "scheduled"
        runner.run_until_done([task_id], timeout=30)
    with w.database.unit_of_work() as session:
        task = session.get(Task, task_id)
        assert task.status == "succeeded" and task.started_at >= run_at


def test_every_deployment_of_one_upload_records_what_its_resource_now_serves(world) -> None:
    """One upload serves many deployments; each success records the vendor id on the deployment
    and in the inventory, whether it made the upload or found it already made."""
    w = world([f"s{i}.w.test" for i in range(8)])
    task_id = w.submit()
    assert w.run(task_id) == {task_id: "succeeded"}
    with w.database.unit_of_work() as session:
        rows = session.execute(
            select(Deployment.remote_cert_id, Resource.served_remote_id, Resource.native_id)
            .join(Resource, Resource.id == Deployment.resource_id)
            .where(Deployment.task_id == task_id)
        ).all()
    uploaded = {remote for remote, _, _ in rows}
    assert len(uploaded) == 1 and None not in uploaded
    assert all(served == remote for remote, served, _ in rows)
    assert w.emulator.calls[(AK, "UploadCertificate")] == 1
