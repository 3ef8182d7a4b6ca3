"""Renewal campaigns, canary, halt, resume, cancel and rollback, through the real worker path."""

from __future__ import annotations

import hashlib
import socket
import ssl
import time
from datetime import timedelta

from sqlalchemy import select

from ledger import quota, rollback, rollout, tasks
from ledger.models import Deployment, Resource
from ledger.tasks import Rollout
from ledger.timeutil import utcnow
from providers.emulators.pki import Authority
from scheduler.drafting import draft_task
from scheduler.embedded import EmbeddedRunner
from scheduler.renewal import expiring_inventory, plan_campaign, submit_campaign
from scheduler.task_spec import TaskSpec
from tests.workers.conftest import AK
from workers import actors


def _served(edge: str, hostname: str) -> str:
    host, port = edge.rsplit(":", 1)
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with (
        socket.create_connection((host, int(port)), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=hostname) as tls,
    ):
        return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def _states(w, task_id: int) -> dict[str, str]:
    with w.database.unit_of_work() as session:
        rows = session.execute(
            select(Resource.native_id, Deployment.state)
            .join(Resource, Resource.id == Deployment.resource_id)
            .where(Deployment.task_id == task_id)
        ).all()
    return dict(rows)


def test_campaign_renews_only_what_expires_and_is_covered(world, authority: Authority) -> None:
    expiring = [f"exp{i}.w.test" for i in range(5)]
    w = world(expiring)  # these serve *.w.test expiring in 10 days
    current = authority.issue(["*.w.test"], days=80)
    stray = authority.issue(["other.x.test"], days=5)
    for i in range(3):
        w.emulator.add_cdn_domain(AK, f"cur{i}.w.test", cert=current)
    w.emulator.add_cdn_domain(AK, "other.x.test", cert=stray)

    plan = plan_campaign(
        w.database,
        w.vault,
        name="december",
        certificate_ids=[w.certificate_id],
        within=timedelta(days=30),
        now=utcnow(),
    )
    assert plan.expiring == 6 and plan.matched == 5 and plan.quota_to_consume == 5
    assert [(u.resource, "covers" in u.reason) for u in plan.uncovered] == [("other.x.test", True)]
    task_ids = submit_campaign(w.database, plan, contacts=["ops@w.test"], run_at=utcnow())
    assert w.run(*task_ids) == {task_ids[0]: "succeeded"}

    for domain in expiring:
        assert _served(w.emulator.tls_edge, domain) == w.new_cert.fingerprint
    for i in range(3):
        assert w.emulator.calls[(AK, "UpdateDomainConfig", f"cur{i}.w.test")] == 0
        assert _served(w.emulator.tls_edge, f"cur{i}.w.test") == current.fingerprint
    with w.database.unit_of_work() as session:
        left = expiring_inventory(session, timedelta(days=30), utcnow())
        assert [r.native_id for r in left] == ["other.x.test"]
        assert tasks.get_task(session, task_ids[0]).campaign == "december"


def _submit(w, rollout_options: Rollout) -> int:
    spec = TaskSpec(
        "staged", "acct", ("ops@w.test",), (w.certificate_id,), ("tencent.cdn",), utcnow()
    )
    _, task_id = draft_task(w.database, w.vault, spec, rollout=rollout_options)
    with w.database.unit_of_work() as session:
        tasks.submit(session, task_id)
    return task_id


def _run_until_settled(w, task_id: int, wanted: str) -> None:
    with EmbeddedRunner(w.runtime, threads=4, tick_seconds=0.05) as runner:
        for _ in range(400):
            runner.scheduler.tick()
            with w.database.unit_of_work() as session:
                task = tasks.get_task(session, task_id)
                busy = tasks.progress(session, task_id)["running"]
            if task.status == wanted and not busy:
                return
            time.sleep(0.05)
    raise AssertionError(f"task {task_id} never became {wanted}")


def test_a_failed_canary_halts_the_task_then_resume_finishes_it(world) -> None:
    domains = [f"c{i}.w.test" for i in range(8)]
    w = world(domains, locked=("c0.w.test",))  # the first resource is the canary
    task_id = _submit(w, Rollout(canary=1))
    _run_until_settled(w, task_id, "halted")
    states = _states(w, task_id)
    assert states["c0.w.test"] == "failed"
    assert sorted(set(states.values())) == ["failed", "paused"]  # nothing else was touched
    assert all(w.emulator.calls[(AK, "UpdateDomainConfig", d)] == 0 for d in domains[1:])

    w.emulator.set_locked(AK, "c0.w.test", False)
    with w.database.unit_of_work() as session:
        released = rollout.resume(session, task_id)
    assert len(released) == 7
    actors.enqueue(released, "tencent", 1)
    assert w.run(task_id) == {task_id: "partial"}  # the canary's failure stands; the rest ran
    assert _states(w, task_id)["c7.w.test"] == "succeeded"


def test_a_failure_spike_halts_and_cancel_refunds_what_never_ran(world) -> None:
    domains = [f"h{i:02d}.w.test" for i in range(30)]
    w = world(domains, locked=tuple(domains[:12]))
    with w.database.unit_of_work() as session:
        before = quota.balance(session)
    task_id = _submit(w, Rollout(halt_failure_rate=0.2, halt_min_finished=5))
    _run_until_settled(w, task_id, "halted")
    with w.database.unit_of_work() as session:
        counts = tasks.progress(session, task_id)
        assert counts["paused"] > 0 and counts["failed"] >= 2
        cancelled = tasks.cancel(session, task_id)
    with w.database.unit_of_work() as session:
        counts = tasks.progress(session, task_id)
        assert cancelled == counts["cancelled"] > 0
        assert quota.balance(session) == before - counts["succeeded"]
        assert quota.audit(session) == []


def test_rollback_restores_the_previous_certificates(world) -> None:
    domains = [f"r{i}.w.test" for i in range(4)]
    w = world(domains)
    with w.database.unit_of_work() as session:
        previous = {d: w.emulator.https_config(AK, d)["CertInfo"]["CertId"] for d in domains}
    old_fingerprint = _served(w.emulator.tls_edge, "r0.w.test")
    task_id = w.submit()
    assert w.run(task_id) == {task_id: "succeeded"}
    assert _served(w.emulator.tls_edge, "r0.w.test") == w.new_cert.fingerprint
    with w.database.unit_of_work() as session:
        balance = quota.balance(session)
        plan = rollback.create_rollback(session, task_id)
    assert plan.deployments == 4 and plan.skipped == []
    assert w.run(plan.task_id) == {plan.task_id: "succeeded"}, tasks_failures(w, plan.task_id)
    for d in domains:
        assert w.emulator.https_config(AK, d)["CertInfo"]["CertId"] == previous[d]
    assert _served(w.emulator.tls_edge, "r0.w.test") == old_fingerprint
    with w.database.unit_of_work() as session:
        assert quota.balance(session) == balance  # a rollback costs nothing


def tasks_failures(w, task_id: int) -> object:
    with w.database.unit_of_work() as session:
        return tasks.failures(session, task_id)
