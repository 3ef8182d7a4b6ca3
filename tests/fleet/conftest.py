"""A real fleet on one machine (see scheduler/bench/lab.py): PostgreSQL, a private Redis, worker
and scheduler processes; the Tencent emulator runs in the test process."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.db import Database
from ledger.vault import KEY_ENV, Vault, generate_key, load_vault
from providers.emulators.pki import Authority
from providers.emulators.tencent import TencentEmulator
from scheduler.bench.lab import (
    FleetProcesses,
    PrivateRedis,
    TencentCampaign,
    fleet_env,
    seed_tencent_campaign,
    wait_terminal,
)
from tests.services import postgres_url

pytestmark = pytest.mark.services


@dataclass
class Fleet:
    processes: FleetProcesses
    database: Database
    vault: Vault
    redis: PrivateRedis

    def worker(self, name: str, *, processes: int = 1, threads: int = 4) -> None:
        self.processes.worker(name, processes=processes, threads=threads)

    def scheduler(self, name: str) -> None:
        self.processes.scheduler(name)

    def kill(self, name: str) -> None:
        self.processes.kill(name)

    def wait_terminal(self, task_ids: list[int], timeout: float) -> None:
        try:
            wait_terminal(self.database, task_ids, timeout)
        except TimeoutError as error:
            raise AssertionError(f"{error}\n{self.processes.tail_logs()}") from None


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (this machine kind has it; CI too)")
    url = postgres_url(fresh_schema=True)
    database = Database(url)
    database.upgrade()
    key = generate_key()
    private = PrivateRedis(tmp_path)
    private.start()
    (tmp_path / "logs").mkdir()
    env = fleet_env(
        database_url=url,
        broker_url=private.url,
        vault_key=key,
        data_dir=tmp_path / "data",
        lease_seconds="6",
        reap_grace_seconds="5",
        retry_base_seconds="0.3",
        retry_max_seconds="3",
    )
    vault = load_vault(tmp_path, embedded=False, env={KEY_ENV: key})  # the fleet's own key
    running = Fleet(FleetProcesses(env, tmp_path / "logs"), database, vault, private)
    yield running
    running.processes.stop_all()
    private.stop()
    database.dispose()


@pytest.fixture
def campaign(fleet: Fleet, authority: Authority) -> Iterator[Callable[..., TencentCampaign]]:
    emulators: list[TencentEmulator] = []

    def make(
        *,
        accounts: int,
        domains_per_account: int,
        emulator_rate: float = 200.0,
        account_rate: str = "150",
        emulator_cls: type[TencentEmulator] = TencentEmulator,
    ) -> TencentCampaign:
        emulator = emulator_cls(seed=9).start()
        emulators.append(emulator)
        emulator.set_rate_limit(None, emulator_rate)
        return seed_tencent_campaign(
            fleet.database,
            fleet.vault,
            emulator,
            authority,
            accounts=accounts,
            domains_per_account=domains_per_account,
            account_rate=account_rate,
        )

    yield make
    for emulator in emulators:
        emulator.stop()
