"""Four worker processes share one per-account budget: the vendor never sees more than it allows."""

from __future__ import annotations

import pytest

from scheduler.bench.lab import ClockedTencentEmulator

pytestmark = pytest.mark.services

LIMIT = 25.0  # the emulator's per-account, per-action limit, and what the accounts declare


def test_four_worker_processes_stay_within_each_accounts_limit(fleet, campaign) -> None:
    run = campaign(
        accounts=2,
        domains_per_account=120,
        emulator_rate=LIMIT,
        account_rate=str(int(LIMIT)),
        emulator_cls=ClockedTencentEmulator,
    )
    fleet.worker("w", processes=4, threads=4)
    fleet.scheduler("s")
    fleet.wait_terminal(run.task_ids, timeout=180)
    emulator = run.emulator
    assert isinstance(emulator, ClockedTencentEmulator)
    peaks = emulator.peak_rates()
    print(f"peak calls per second per (account, action): {peaks}")
    assert all(peak <= LIMIT for peak in peaks.values()), peaks
    assert sum(emulator.throttled.values()) == 0
