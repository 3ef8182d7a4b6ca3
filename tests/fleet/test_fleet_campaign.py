"""Distributed mode end to end: PostgreSQL ledger, Redis broker, separate worker and scheduler
processes, and the crash cases (a worker host SIGKILLed, Redis restarted) that must lose nothing
and do nothing twice."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid

import pytest
from sqlalchemy import func, select

from ledger import quota
from ledger.models import Deployment, QuotaEntry
from tests.services import require

pytestmark = pytest.mark.services


def _assert_ledger_sound(fleet, campaign) -> None:
    with fleet.database.unit_of_work() as session:
        states = dict(
            session.execute(select(Deployment.state, func.count()).group_by(Deployment.state)).all()
        )
        assert set(states) == {"succeeded"}, states
        assert quota.audit(session) == []
        per = session.execute(
            select(QuotaEntry.deployment_id, QuotaEntry.kind, func.count())
            .where(QuotaEntry.deployment_id.is_not(None))
            .group_by(QuotaEntry.deployment_id, QuotaEntry.kind)
        ).all()
        assert all(n == 1 for _, _, n in per)
    calls = campaign.emulator.calls
    for sid, domains in campaign.domains.items():
        assert calls[(sid, "UploadCertificate")] == 1, f"{sid} uploaded more than once"
        doubled = [d for d in domains if calls[(sid, "UpdateDomainConfig", d)] != 1]
        assert not doubled, f"bound twice or never: {doubled[:5]}"


def test_two_workers_and_two_schedulers_finish_a_campaign(fleet, campaign) -> None:
    run = campaign(accounts=3, domains_per_account=100)
    fleet.worker("w1")
    fleet.worker("w2")
    fleet.scheduler("s1")
    fleet.scheduler("s2")
    fleet.wait_terminal(run.task_ids, timeout=120)
    _assert_ledger_sound(fleet, run)


def test_a_killed_worker_and_a_redis_restart_lose_nothing_and_repeat_nothing(
    fleet, campaign
) -> None:
    run = campaign(accounts=3, domains_per_account=100, account_rate="40", emulator_rate=60)
    fleet.worker("w1", threads=4)
    fleet.worker("w2", threads=4)
    fleet.scheduler("s1")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # let the campaign get going, then pull the plugs
        with fleet.database.unit_of_work() as session:
            done = session.execute(
                select(func.count()).where(Deployment.state == "succeeded")
            ).scalar_one()
        if done >= 60:
            break
        time.sleep(0.2)
    fleet.kill("w1")
    fleet.redis.restart()
    with fleet.database.unit_of_work() as session:
        still_open = session.execute(
            select(func.count()).where(Deployment.state.not_in(("succeeded", "failed")))
        ).scalar_one()
    assert still_open > 0, "the faults came too late to test anything"
    fleet.worker("w3", threads=4)
    fleet.wait_terminal(run.task_ids, timeout=180)
    _assert_ledger_sound(fleet, run)


def test_rabbitmq_works_as_the_broker(fleet, campaign) -> None:
    """Only the broker URL changes; Redis still holds the shared rate limits and locks."""
    require("127.0.0.1", 5672, "RabbitMQ")
    vhost = f"certfleet-{uuid.uuid4().hex[:8]}"
    if not _make_vhost(vhost):
        pytest.skip("cannot create a RabbitMQ vhost here (rabbitmqctl unavailable)")
    env = fleet.processes.env
    env["CERTFLEET_REDIS_URL"] = env["CERTFLEET_BROKER_URL"]
    env["CERTFLEET_BROKER_URL"] = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    run = campaign(accounts=2, domains_per_account=30)
    fleet.worker("w1")
    fleet.scheduler("s1")
    fleet.wait_terminal(run.task_ids, timeout=120)
    _assert_ledger_sound(fleet, run)
    subprocess.run(["rabbitmqctl", "delete_vhost", vhost], check=False, capture_output=True)


def _make_vhost(vhost: str) -> bool:
    """A private vhost so a run never sees another's queues."""
    if shutil.which("rabbitmqctl") is None:
        return False
    made = subprocess.run(["rabbitmqctl", "add_vhost", vhost], check=False, capture_output=True)
    granted = subprocess.run(
        ["rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
        check=False,
        capture_output=True,
    )
    return made.returncode == 0 and granted.returncode == 0
