"""The arithmetic of the bench figures: ideal makespans from call counts and rate limits.

The *ideal makespan* is the physical bound the vendors impose: an account cannot make its calls
of one action faster than the vendor's limit for that action allows, so the campaign cannot end
before ``max over (account, action) of calls / limit``. Calls are those the vendor admitted
during the run (a refused call consumes no budget). The *family budget* bound is the same
computation with certfleet's own buckets (at the rates the products declare), which shows how
much of the gap is budgeting rather than scheduling.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scheduler.bench.clouds import BenchCloud, VendorLog
from workers.call_hooks import HEADROOM
from workers.runtime import per_action_families

__all__ = ["HEADROOM", "Bound", "CallTotals", "budget_makespan", "call_totals", "ideal_makespan"]


@dataclass(frozen=True)
class Bound:
    """A lower bound on the makespan and the (account, action or family) that sets it."""

    seconds: float
    provider: str = ""
    account: str = ""
    what: str = ""
    calls: int = 0
    rate: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "vendor_account": self.account,
            "api": self.what,
            "calls": self.calls,
            "allowed_per_s": self.rate,
        }


def ideal_makespan(clouds: Sequence[BenchCloud], logs: Sequence[VendorLog]) -> Bound:
    """``max(calls / vendor limit)`` over every (account, vendor bucket) of every cloud; a
    bucket is an action for vendors that limit each action, a category of calls for AWS."""
    best = Bound(0.0)
    for cloud, log in zip(clouds, logs, strict=True):
        per_bucket: Counter[tuple[str, str]] = Counter()
        for (account, action), calls in log.admitted.items():
            per_bucket[(account, cloud.vendor_bucket(action))] += calls
        for (account, bucket), calls in per_bucket.items():
            limit = cloud.limit(bucket)
            if calls / limit > best.seconds:
                best = Bound(calls / limit, cloud.provider, account, bucket, calls, limit)
    return best


def budget_makespan(clouds: Sequence[BenchCloud], logs: Sequence[VendorLog]) -> Bound:
    """``max(calls / declared rate)`` over certfleet's own buckets: per (account, action) for a
    family limited per action, per (account, family) otherwise (as :class:`FleetHooks` keys)."""
    per_action = per_action_families()
    best = Bound(0.0)
    for cloud, log in zip(clouds, logs, strict=True):
        per_bucket: Counter[tuple[str, str, str]] = Counter()
        for (account, action), calls in log.admitted.items():
            family = cloud.family(action)
            bucket = action if f"{cloud.provider}.{family}" in per_action else family
            per_bucket[(account, family, bucket)] += calls
        for (account, family, bucket), calls in per_bucket.items():
            rate = cloud.budget(family)
            if calls / rate > best.seconds:
                best = Bound(calls / rate, cloud.provider, account, bucket, calls, rate)
    return best


@dataclass(frozen=True)
class CallTotals:
    """Every call certfleet made, and the answers that asked it to slow down."""

    total: int
    throttles: int
    server_errors: int
    by_action: Counter[str]


def call_totals(logs: Sequence[VendorLog]) -> CallTotals:
    """Calls = admitted + refused by the limit (injected faults are among the admitted)."""
    by_action: Counter[str] = Counter()
    throttles = errors = 0
    for log in logs:
        for (_, action), n in (log.admitted + log.throttled).items():
            by_action[action] += n
        throttles += sum(log.throttled.values()) + sum(log.injected_throttles.values())
        errors += sum(log.injected_errors.values())
    return CallTotals(sum(by_action.values()), throttles, errors, by_action)
