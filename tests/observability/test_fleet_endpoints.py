"""A real fleet: ``certfleet worker`` with two dramatiq processes and ``certfleet scheduler``,
each serving its endpoint, on PostgreSQL and a private Redis.

The worker host's one endpoint adds up both processes (prometheus-client multiprocess mode), its
health checks reach the database and the broker, its logs are JSON lines with the ids, and both
processes stop cleanly on SIGTERM.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.db import Database
from ledger.vault import KEY_ENV, generate_key, load_vault
from providers.emulators.pki import Authority
from providers.emulators.tencent import TencentEmulator
from scheduler.bench.lab import (
    FleetProcesses,
    PrivateRedis,
    fleet_env,
    free_port,
    seed_tencent_campaign,
    wait_terminal,
)
from tests.observability.conftest import Exported, get, health
from tests.services import postgres_url

pytestmark = pytest.mark.services
ACCOUNTS, DOMAINS = 2, 15


@dataclass
class RunningFleet:
    processes: FleetProcesses
    database: Database
    worker_url: str
    scheduler_url: str
    metrics_dir: Path
    logs: Path

    def stop(self, name: str, timeout: float = 20) -> int:
        """SIGTERM to the process alone, as Docker and Kubernetes send it (not to its group)."""
        process = self.processes.processes.pop(name)
        os.kill(process.pid, signal.SIGTERM)
        return process.wait(timeout=timeout)


@pytest.fixture
def fleet(tmp_path: Path, authority: Authority) -> Iterator[RunningFleet]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (this machine kind has it; CI too)")
    url = postgres_url(fresh_schema=True)
    database = Database(url)
    database.upgrade()
    key = generate_key()
    redis = PrivateRedis(tmp_path)
    redis.start()
    logs = tmp_path / "logs"
    logs.mkdir()
    env = fleet_env(
        database_url=url,
        broker_url=redis.url,
        vault_key=key,
        data_dir=tmp_path / "data",
        lease_seconds="6",
        reap_grace_seconds="5",
        retry_base_seconds="0.3",
        retry_max_seconds="3",
        metrics_host="127.0.0.1",
        log_format="json",
    )
    env["CERTFLEET_METRICS_DIR"] = str(tmp_path / "metrics")
    processes = FleetProcesses(env, logs)
    emulator = TencentEmulator(seed=3).start()
    try:
        vault = load_vault(tmp_path, embedded=False, env={KEY_ENV: key})
        campaign = seed_tencent_campaign(
            database,
            vault,
            emulator,
            authority,
            accounts=ACCOUNTS,
            domains_per_account=DOMAINS,
            account_rate="100",
        )
        # One binding refused for good (a code the adapter does not know is permanent).
        emulator.inject(
            "UpdateDomainConfig",
            error_code="InvalidParameter.CdnHostInvalidStatus",
            times=1,
            secret_id=next(iter(campaign.domains)),
        )
        worker_port, scheduler_port = free_port(), free_port()
        processes.spawn(
            "worker",
            "worker",
            "--processes",
            "2",
            "--threads",
            "3",
            "--metrics-port",
            str(worker_port),
        )
        processes.spawn(
            "scheduler", "scheduler", "--interval", "0.3", "--metrics-port", str(scheduler_port)
        )
        try:
            wait_terminal(database, campaign.task_ids, timeout=90)
        except TimeoutError as error:
            raise AssertionError(f"{error}\n{processes.tail_logs()}") from None
        yield RunningFleet(
            processes,
            database,
            f"http://127.0.0.1:{worker_port}",
            f"http://127.0.0.1:{scheduler_port}",
            tmp_path / "metrics",
            logs,
        )
    finally:
        try:
            processes.stop_all()
        finally:
            emulator.stop()
            redis.stop()
            database.dispose()


def _scrape_until(url: str, ready: Callable[[Exported], bool], timeout: float = 15) -> Exported:
    """Scrape until ``ready`` holds (counters follow the ledger by a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            status, body = get(url + "/metrics")
        except OSError:
            status, body = 0, ""
        scraped = Exported().add(body) if status == 200 else Exported()
        if ready(scraped) or time.monotonic() > deadline:
            return scraped
        time.sleep(0.2)


def test_a_worker_host_and_a_scheduler_serve_metrics_health_and_stop_cleanly(
    fleet: RunningFleet,
) -> None:
    total = ACCOUNTS * DOMAINS
    worker = _scrape_until(
        fleet.worker_url,
        lambda s: (
            s.total("certfleet_deployments_total") == total
            and s.value("certfleet_worker_processes") == 2
        ),
    )
    assert worker.total("certfleet_deployments_total", outcome="succeeded") == total - 1
    assert worker.total("certfleet_deployments_total", outcome="failed") == 1
    for account in ("acct0", "acct1"):
        assert worker.total("certfleet_deployments_total", account=account) == DOMAINS
    # Both processes of the host, added up through the shared directory.
    assert worker.value("certfleet_worker_processes") == 2
    assert worker.value("certfleet_worker_threads") == 6
    assert worker.total("certfleet_vendor_calls_total", result="permanent") == 1
    assert worker.total("certfleet_vendor_calls_total", result="ok") >= 2 * total
    assert len(list(fleet.metrics_dir.glob("gauge_livesum_*.db"))) == 2

    status, live = health(fleet.worker_url + "/healthz")
    assert status == 200 and live["checks"] == {"worker_processes": "ok"}
    status, ready = health(fleet.worker_url + "/readyz")
    assert status == 200, ready
    assert ready["checks"] == {"worker_processes": "ok", "database": "ok", "broker": "ok"}

    scheduler = _scrape_until(
        fleet.scheduler_url, lambda s: s.total("certfleet_tasks", status="partial") == 1
    )
    assert scheduler.value("certfleet_tasks", status="succeeded") == 1
    assert scheduler.value("certfleet_tasks", status="partial") == 1
    assert scheduler.total("certfleet_queue_depth") == 0
    assert scheduler.value("certfleet_quota_units_total", kind="debit") == total
    assert scheduler.value("certfleet_quota_units_total", kind="refund") == 1
    assert scheduler.value("certfleet_scheduler_ticks_total", result="ok") >= 1
    assert scheduler.value("certfleet_scheduler_enqueued_total", reason="started") == total
    assert health(fleet.scheduler_url + "/readyz")[0] == 200

    # SIGTERM: the scheduler ends after its pass; the worker host lets its processes finish.
    assert fleet.stop("scheduler") == 0
    assert fleet.stop("worker") == 0
    assert not list(fleet.metrics_dir.glob("heartbeat-*"))
    assert not list(fleet.metrics_dir.glob("gauge_livesum_*.db"))  # dead processes' gauges

    scheduler_log = (fleet.logs / "scheduler.log").read_text().splitlines()
    records = [json.loads(line) for line in scheduler_log]
    assert any("stopping after the current pass" in str(r["message"]) for r in records)
    worker_log = [line for line in (fleet.logs / "worker.log").read_text().splitlines() if line]
    records = [json.loads(line) for line in worker_log]  # every line is one JSON object
    outcomes = [r for r in records if str(r["message"]).startswith("deployment ")]
    assert len(outcomes) >= total
    assert all(
        isinstance(r["task_id"], int) and isinstance(r["deployment_id"], int) for r in outcomes
    )
    assert not [line for line in worker_log if "secret-0" in line or "secret-1" in line]
