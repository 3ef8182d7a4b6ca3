"""``certfleet bench fleet``: the same campaign run by 1 and by N worker processes.

Each run gets a fresh PostgreSQL schema, a private Redis and a fresh emulator with per-call
latency and a per-account rate limit, so runs do not share anything but the machine. Figures are
measured in the same invocation (compare the ratio, not absolute times: machines are noisy).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from ledger.db import Database
from ledger.vault import KEY_ENV, generate_key, load_vault
from providers.emulators.pki import Authority
from scheduler.bench.lab import (
    ClockedTencentEmulator,
    FleetProcesses,
    PrivateRedis,
    fleet_env,
    fresh_schema,
    seed_tencent_campaign,
    wait_terminal,
)


def run_once(
    *,
    admin_url: str,
    processes: int,
    threads: int,
    accounts: int,
    domains: int,
    limit: float,
    latency: float,
    workdir: Path,
) -> dict[str, Any]:
    """One campaign on a fresh fleet; returns its figures."""
    url = fresh_schema(admin_url)
    database = Database(url)
    database.upgrade()
    key = generate_key()
    vault = load_vault(workdir, embedded=False, env={KEY_ENV: key})
    private = PrivateRedis(workdir)
    private.start()
    (workdir / "logs").mkdir(exist_ok=True)
    fleet = FleetProcesses(
        fleet_env(
            database_url=url, broker_url=private.url, vault_key=key, data_dir=workdir / "data"
        ),
        workdir / "logs",
    )
    emulator = ClockedTencentEmulator(seed=1)
    emulator.start()
    try:
        emulator.set_rate_limit(None, limit)
        campaign = seed_tencent_campaign(
            database,
            vault,
            emulator,
            Authority("bench"),
            accounts=accounts,
            domains_per_account=domains,
            account_rate=str(limit),
            submit=False,
        )
        if latency:
            emulator.inject(None, latency=latency, times=None)
        fleet.worker("workers", processes=processes, threads=threads)
        time.sleep(3)  # let the workers import and connect before the clock starts
        from ledger import tasks  # noqa: PLC0415

        started = time.monotonic()
        with database.unit_of_work() as session:
            for task_id in campaign.task_ids:
                tasks.submit(session, task_id)
        fleet.scheduler("scheduler", interval=0.1)
        seconds = wait_terminal(database, campaign.task_ids, timeout=1800, poll=0.1)
        deployments = accounts * domains
        return {
            "worker_processes": processes,
            "threads_per_process": threads,
            "deployments": deployments,
            "makespan_s": round(seconds, 2),
            "deployments_per_s": round(deployments / seconds, 1),
            "peak_calls_per_s_per_account_action": max(emulator.peak_rates(started).values()),
            "account_limit_per_s": limit,
            "throttled_answers": sum(emulator.throttled.values()),
        }
    finally:
        fleet.stop_all()
        emulator.stop()
        private.stop()
        database.dispose()


def run(
    *,
    admin_url: str,
    processes: list[int],
    threads: int,
    accounts: int,
    domains: int,
    limit: float,
    latency: float,
) -> dict[str, Any]:
    """Every configuration in turn, plus the speed-up of the largest over the smallest."""
    results = []
    for count in processes:
        workdir = Path(tempfile.mkdtemp(prefix="certfleet-bench-"))
        try:
            results.append(
                run_once(
                    admin_url=admin_url,
                    processes=count,
                    threads=threads,
                    accounts=accounts,
                    domains=domains,
                    limit=limit,
                    latency=latency,
                    workdir=workdir,
                )
            )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    first, last = results[0], results[-1]
    return {
        "bench": "fleet",
        "emulator_latency_s": latency,
        "runs": results,
        "speedup": round(last["deployments_per_s"] / first["deployments_per_s"], 2),
    }
