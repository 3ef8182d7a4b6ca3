"""The unkind parts of a real cloud, on demand: per-(account, action) rate limits and faults,
and the counts of what got through, which tests assert on ("no double upload, no double bind").

Every vendor limits each API per account ("20 requests/second") and refuses calls beyond it;
gateways fail with 5xx pages; some calls are slow; some changes are refused for reasons of the
vendor's own. Tests switch these on to prove certfleet backs off, retries and never applies a
change twice. This module decides *whether* a call is limited or faulted; what the refusal
looks like on the wire (codes, JSON or XML shapes, statuses) is each vendor emulator's own.
Everything here is thread-safe.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


class RateLimits:
    """Token buckets per (account, action): ``rate`` per second, bursting up to ``max(1, rate)``.

    Rates are set per action, or for every action without its own. ``clock`` is read at each
    call (an emulator passes its own, so tests can skew time).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rates: dict[str | None, float] = {}  # action (None = any other) -> calls/s
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # -> (tokens, stamp)

    def set(self, action: str | None, per_second: float | None) -> None:
        """Limit ``action`` (None: every action without its own limit); None lifts it."""
        if per_second is not None and per_second <= 0:
            raise ValueError("per_second must be positive")
        with self._lock:
            if per_second is None:
                self._rates.pop(action, None)
            else:
                self._rates[action] = per_second
            self._buckets.clear()  # a new limit starts with full buckets

    def admit(self, account: str, action: str) -> float | None:
        """None if the call may go ahead, else the limit (calls/s) it ran into."""
        with self._lock:
            rate = self._rates.get(action, self._rates.get(None))
            if rate is None:
                return None
            capacity = max(1.0, rate)
            now = self._clock()
            tokens, stamp = self._buckets.get((account, action), (capacity, now))
            tokens = min(capacity, tokens + max(0.0, now - stamp) * rate)
            admitted = tokens >= 1.0
            self._buckets[(account, action)] = (tokens - 1.0 if admitted else tokens, now)
            return None if admitted else rate


class CallCounts:
    """Admitted calls per (account, action) and per (account, action, target), and calls
    refused by a rate limit per (account, action)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str, ...]] = Counter()
        self._throttled: Counter[tuple[str, str]] = Counter()

    def admitted(self, account: str, action: str, target: str | None = None) -> None:
        """Count one call let through, and its ``target`` when it names one."""
        with self._lock:
            self._calls[(account, action)] += 1
            if target:
                self._calls[(account, action, target)] += 1

    def targeted(self, account: str, action: str, target: str) -> None:
        """Count the target of an admitted call that learns it only while running."""
        with self._lock:
            self._calls[(account, action, target)] += 1

    def refused(self, account: str, action: str) -> None:
        """Count one call a rate limit turned away."""
        with self._lock:
            self._throttled[(account, action)] += 1

    @property
    def calls(self) -> Counter[tuple[str, ...]]:
        with self._lock:
            return Counter(self._calls)

    @property
    def throttled(self) -> Counter[tuple[str, str]]:
        with self._lock:
            return Counter(self._throttled)


@dataclass
class Fault:
    """A rule for matching calls: slow them by ``latency``, then fail them (or not).

    Matching is by ``action``, ``account`` and ``target`` (the resource a call names; what that
    is depends on the vendor), None matching any. How a failure answers is the vendor
    emulator's: ``error_code`` (with ``message`` and ``http_status``) in the vendor's error
    shape, ``http_status`` alone as a bare gateway failure, ``throttle`` as the vendor's own
    throttle refusal where the emulator offers it. ``remaining`` matching calls are affected
    (None: until cleared), each with ``probability`` (None: always).
    """

    action: str | None = None
    account: str | None = None
    target: str | None = None
    error_code: str | None = None
    message: str | None = None
    http_status: int | None = None
    latency: float = 0.0
    throttle: bool = False
    remaining: int | None = 1
    probability: float | None = None

    def matches(self, account: str, action: str, target: str | None) -> bool:
        return (
            self.action in (None, action)
            and self.account in (None, account)
            and self.target in (None, target)
        )


class FaultPlan:
    """Faults waiting for calls, matched first come, first served."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._rng = rng or random.Random()

    def add(self, fault: Fault) -> None:
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be at least 1 (or None for unlimited)")
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, account: str, action: str, target: str | None = None) -> Fault | None:
        """The fault that applies to this call, if any (spending one of its ``remaining``)."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(account, action, target):
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None
