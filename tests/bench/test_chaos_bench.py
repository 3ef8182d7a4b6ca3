"""``bench chaos`` in miniature: worker hosts SIGKILLed, Redis restarted, vendors failing and
losing answers, and still nothing lost or done twice. PostgreSQL is never restarted here (it is
the machine's own server, shared with every other test); ``certfleet bench chaos`` does that."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from scheduler.bench import campaign, chaos

pytestmark = pytest.mark.services

# Short leases and backoffs so a killed host's deployments come back within seconds.
QUICK = {
    "shards": "16",
    "lease_seconds": "6",
    "reap_grace_seconds": "5",
    "retry_base_seconds": "0.3",
    "retry_max_seconds": "3",
    "max_transient_failures": "10",
}


def _assert_sound(result: dict[str, Any]) -> None:
    checks = result["checks"]
    assert any(e["event"] == "SIGKILL worker host" for e in result["events"]), "no kill happened"
    assert any(e["event"] == "redis restarted" for e in result["events"])
    assert checks["every_deployment_terminal"]
    assert checks["lost"] == 0
    assert checks["double_uploads"] == 0
    assert checks["double_binds"] == 0
    assert checks["double_debits"] == 0 and checks["double_refunds"] == 0
    assert checks["failed_not_refunded"] == 0
    assert checks["balance"] == checks["sum_of_entries"]
    assert checks["audit_problems"] == []
    assert result["sound"]


def test_a_killed_host_a_redis_restart_and_failing_vendors_lose_nothing(
    fleet_ready: str, tmp_path: Path
) -> None:
    """CDN domains only: their changes are synchronous, so recovery takes one lease."""
    spec = campaign.CampaignSpec(
        resources=40,
        accounts={"tencent": 2},
        hosts=2,
        processes=1,
        threads=8,
        faults=chaos.DEFAULT_FAULTS,
        timeout=300,
        settings=QUICK,
        mix={"tencent.clb": 0.0, "tencent.waf": 0.0},
    )
    plan = chaos.ChaosPlan(kill_every=3.0, redis_at=0.2, restart_postgres=False)

    _assert_sound(chaos.bench(fleet_ready, spec, plan, tmp_path, fault_free=False))


@pytest.mark.slow
def test_every_product_loses_nothing_under_repeated_kills(fleet_ready: str, tmp_path: Path) -> None:
    """CDN, CLB (asynchronous changes under a per-load-balancer lock) and WAF."""
    spec = campaign.CampaignSpec(
        resources=90,
        accounts={"tencent": 3},
        hosts=3,
        processes=1,
        threads=8,
        faults=chaos.DEFAULT_FAULTS,
        timeout=900,
        settings=QUICK,
    )
    plan = chaos.ChaosPlan(kill_every=5.0, redis_at=0.3, restart_postgres=False)

    _assert_sound(chaos.bench(fleet_ready, spec, plan, tmp_path, fault_free=False))


def test_the_supervisor_restarts_a_process_that_exits_on_its_own(
    fleet_ready: str, tmp_path: Path
) -> None:
    spec = replace(
        campaign.CampaignSpec(resources=20, accounts={"tencent": 1}, hosts=2, processes=1),
        threads=4,
        settings=QUICK,
    )
    plan = chaos.ChaosPlan(kill_every=3600.0, redis_at=2.0, restart_postgres=False)
    lab = chaos.FleetLab(fleet_ready, tmp_path, **spec.settings)
    clouds = campaign.make_clouds(["tencent"])
    try:
        prepared = campaign.prepare(lab, clouds, spec)
        lab.fleet.scheduler("stray", interval=0.2)
        lab.fleet.processes["stray"].terminate()  # exits with an error code, unasked
        result = campaign.run(prepared, spec, chaos.supervisor(plan, spec))
    finally:
        lab.close()
        for cloud in clouds:
            cloud.stop()
    assert result.states == {"succeeded": 20}
    assert any(e["event"].startswith("process exited") for e in result.events)
