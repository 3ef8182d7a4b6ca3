"""Four worker processes share one per-account budget: the vendor never sees more than it allows."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping

import pytest

from providers.emulators.tencent import TencentEmulator

pytestmark = pytest.mark.services

LIMIT = 25.0  # the emulator's per-account, per-action limit, and what the accounts declare
FAMILY = {"DescribeDomainsConfig": "cdn", "UpdateDomainConfig": "cdn"}


class ClockedEmulator(TencentEmulator):
    """Records when each account's calls arrive, to measure the rate the vendor observes."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.arrivals: dict[tuple[str, str], list[float]] = defaultdict(list)
        self._arrivals_lock = threading.Lock()

    def handle(self, method: str, headers: Mapping[str, str], body: bytes):  # type: ignore[override]
        action = headers.get("x-tc-action", "")
        credential = headers.get("authorization", "").split("Credential=")[-1]
        secret_id = credential.split("/", 1)[0]
        family = FAMILY.get(action, "ssl")
        with self._arrivals_lock:
            self.arrivals[(secret_id, family)].append(time.monotonic())
        return super().handle(method, headers, body)


def _max_in_one_second(times: list[float]) -> int:
    window: deque[float] = deque()
    best = 0
    for t in sorted(times):
        window.append(t)
        while window[0] <= t - 1.0:
            window.popleft()
        best = max(best, len(window))
    return best


def test_four_worker_processes_stay_within_each_accounts_limit(fleet, campaign) -> None:
    run = campaign(
        accounts=2,
        domains_per_account=120,
        emulator_rate=LIMIT,
        account_rate=str(int(LIMIT)),
        emulator_cls=ClockedEmulator,
    )
    fleet.worker("w", processes=4, threads=4)
    fleet.scheduler("s")
    fleet.wait_terminal(run.task_ids, timeout=180)
    emulator = run.emulator
    assert isinstance(emulator, ClockedEmulator)
    peaks = {key: _max_in_one_second(times) for key, times in emulator.arrivals.items()}
    print(f"peak calls per second per (account, API family): {peaks}")
    assert all(peak <= LIMIT for peak in peaks.values()), peaks
    assert sum(emulator.throttled.values()) == 0
