"""Fixtures for tencent.clb / tencent.waf: one emulator per module, fresh accounts per test.

The emulator is shared by a module's tests to keep the run short; each test gets its own
account (own SecretId, so counters and state never mix) and the emulator's tunable behaviour
(faults, task duration, rate limits) is reset after every test.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

import pytest

from providers.base import Account
from providers.emulators.tencent import TencentEmulator
from providers.secrets import Secret
from providers.tencent.clb import TencentClb
from providers.tencent.clb_tasks import TaskPolling
from providers.tencent.waf import TencentWaf

REGION = "ap-guangzhou"
FAST = TaskPolling(first_wait=0.01, growth=1.5, longest_wait=0.05, timeout=5.0)
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def emulator() -> Iterator[TencentEmulator]:
    with TencentEmulator(seed=17) as running:
        yield running


@pytest.fixture(autouse=True)
def _reset(emulator: TencentEmulator) -> Iterator[None]:
    emulator.clb.set_task_seconds(0.05)
    yield
    emulator.clear_faults()
    emulator.set_rate_limit("DescribeTaskStatus", None)
    emulator.set_propagation_delay(0)


@pytest.fixture
def make_account(emulator: TencentEmulator) -> Callable[..., Account]:
    """A new emulated account and the Account certfleet holds for it (regions as given)."""

    def make(*regions: str) -> Account:
        number = next(_numbers)
        secret_id, secret = f"AKIDclbWaf{number:08d}", f"clb-waf-secret-{number}"
        emulator.add_account(secret_id, secret)
        return Account(
            key=f"tencent:clbwaf:{number}",
            provider="tencent",
            access_key_id=secret_id,
            secret=Secret(secret),
            regions=regions if regions else (REGION,),
            api_endpoint=emulator.endpoint,
            tls_edge=emulator.tls_edge,
        )

    return make


@pytest.fixture
def account(make_account: Callable[..., Account]) -> Account:
    return make_account()


@dataclass
class LockingHooks:
    """CallHooks whose ``exclusive`` really excludes (as the fleet's locks do), and records."""

    scopes: list[str] = field(default_factory=list)
    records: list[tuple[str, str]] = field(default_factory=list)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self, account: Account, family: str, action: str) -> None:
        """No budget in these tests."""

    def record(self, account: Account, action: str, outcome: str, seconds: float) -> None:
        self.records.append((action, outcome))

    def throttled(self, account: Account, family: str, action: str, retry_after: float) -> None:
        """Nothing to slow down."""

    def exclusive(self, account: Account, scope: str) -> AbstractContextManager[None]:
        with self._guard:
            self.scopes.append(scope)
            lock = self._locks.setdefault(f"{account.key}:{scope}", threading.Lock())
        return _holding(lock)


@contextmanager
def _holding(lock: threading.Lock) -> Iterator[None]:
    with lock:
        yield


@pytest.fixture
def hooks() -> LockingHooks:
    return LockingHooks()


@pytest.fixture
def clb(hooks: LockingHooks) -> TencentClb:
    return TencentClb(hooks, polling=FAST)


@pytest.fixture
def waf(hooks: LockingHooks) -> TencentWaf:
    return TencentWaf(hooks)
