"""Per-account rate limits and injected faults: the unkind parts of a real cloud, on demand.

Tencent Cloud limits each API per account (the API pages say "20 requests/second") and answers
``RequestLimitExceeded`` beyond it; gateways fail with 5xx pages; some calls are slow. Tests
switch these on to prove certfleet backs off, retries and never double-applies a change.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


class TokenBucket:
    """``rate`` tokens per second, bursting up to ``max(1, rate)``."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._tokens = self.capacity
        self._clock = clock
        self._stamp = clock()

    def take(self) -> bool:
        """Spend one token if there is one (the caller holds the limiter's lock)."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class RateLimits:
    """Token buckets per (account, action), configured per action or for all actions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rates: dict[str | None, float] = {}  # action (None = every action) -> req/s
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def set(self, action: str | None, per_second: float | None) -> None:
        """Limit ``action`` (or, with None, each action without its own limit); None lifts it."""
        with self._lock:
            if per_second is None:
                self._rates.pop(action, None)
            else:
                self._rates[action] = per_second
            self._buckets.clear()  # new rates start with full buckets

    def admit(self, secret_id: str, action: str) -> float | None:
        """None if the call may proceed, else the limit (req/s) it exceeded."""
        with self._lock:
            rate = self._rates.get(action, self._rates.get(None))
            if rate is None:
                return None
            bucket = self._buckets.get((secret_id, action))
            if bucket is None:
                bucket = self._buckets[(secret_id, action)] = TokenBucket(rate)
            return None if bucket.take() else rate


@dataclass
class Fault:
    """What to do to matching calls: delay them, and/or fail them with a code or HTTP status."""

    action: str | None  # None = every action
    secret_id: str | None  # None = every account
    error_code: str | None = None
    message: str | None = None
    http_status: int | None = None
    latency: float = 0.0
    remaining: int | None = 1  # None = until cleared
    probability: float | None = None  # None = always


class FaultPlan:
    """Faults waiting for calls, consumed first-come first-served."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._rng = rng or random.Random()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, secret_id: str, action: str) -> Fault | None:
        """The fault that applies to this call, if any (spending one of its ``remaining``)."""
        with self._lock:
            for fault in self._faults:
                if fault.action not in (None, action) or fault.secret_id not in (None, secret_id):
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None
