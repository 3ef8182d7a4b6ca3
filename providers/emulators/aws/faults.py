"""Faults a test switches on: latency, throttles, 5xx answers and vendor error codes.

AWS throttles bulk updates, answers 5xx now and then and refuses changes for reasons of its own;
moto does none of it. Per-(account, action) rate limits reuse the token buckets of the Tencent
emulator (one implementation of "N requests per second per account and action").
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from providers.emulators.tencent.faults import RateLimits

__all__ = ["Fault", "FaultPlan", "RateLimits"]


@dataclass
class Fault:
    """What to do to matching calls: delay them and/or fail them.

    ``throttle`` answers the service's own throttle error (``Throttling`` or
    ``ThrottlingException``, HTTP 400, "Rate exceeded"); ``error_code`` answers that code with
    ``http_status`` (400 by default); ``http_status`` alone answers a bare server failure.
    """

    action: str | None = None  # None = every action
    account: str | None = None  # moto account id; None = every account
    target: str | None = None  # resource the call is about (see AwsEmulator.calls)
    error_code: str | None = None
    message: str | None = None
    http_status: int | None = None
    latency: float = 0.0
    throttle: bool = False
    remaining: int | None = 1  # None = until cleared
    probability: float | None = None  # None = always

    def matches(self, account: str, action: str, target: str) -> bool:
        return (
            self.action in (None, action)
            and self.account in (None, account)
            and self.target in (None, target)
        )


class FaultPlan:
    """Faults waiting for calls, consumed first come, first served."""

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

    def take(self, account: str, action: str, target: str) -> Fault | None:
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
