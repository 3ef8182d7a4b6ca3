"""The :class:`providers.base.CallHooks` the workers give adapters: rate limits and metrics.

Every vendor call an adapter makes passes through :meth:`FleetHooks.acquire` first, so the
account's budget holds however many workers, threads and hosts share it. A bucket is what the
vendor limits: one per action where the vendor limits each API on its own (Tencent, Huawei), one
per family where a family is the vendor's own bucket (AWS's categories). A short
wait is absorbed here; a long one becomes :class:`~providers.errors.Throttled`, which releases the
deployment back to the queue instead of pinning a worker thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractContextManager

from providers.base import Account
from providers.errors import Throttled
from workers import metrics
from workers.locks import Locks
from workers.rate_limits.base import TokenBuckets

DEFAULT_RATE = 10.0  # req/s when neither the product nor the account says otherwise
# Aim a little under the limit and allow only a small burst, so that no one-second window ever
# holds more calls than the vendor allows: at most (HEADROOM + BURST) x limit. 5 % under is
# enough: the buckets are shared by the whole fleet on Redis's clock, and a vendor throttle
# (someone else using the account's budget) halves the bucket for a while anyway.
HEADROOM = 0.95
BURST = 0.05
# How long a call may queue for its token. Reservations are served in order, so a queue this
# long means more callers than the budget serves in that time; giving up earlier would throw
# away the attempt's earlier calls (its retry reads the resource again, from the same budget).
MAX_WAIT_SECONDS = 10.0
SLOWDOWN_FACTOR = 0.5
SLOWDOWN_SECONDS = 30.0


class FleetHooks:
    """Rate limiting against shared token buckets plus call metrics."""

    def __init__(
        self,
        buckets: TokenBuckets,
        locks: Locks,
        rates: Mapping[str, float],
        *,
        per_action: Collection[str] = (),
        max_wait: float = MAX_WAIT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._buckets = buckets
        self._locks = locks
        self._rates = rates  # "provider.family" -> req/s (from product metadata)
        self._per_action = frozenset(per_action)  # "provider.family" limited per action
        self._max_wait = max_wait
        self._sleep = sleep

    def rate_for(self, account: Account, family: str) -> float:
        """The account's override (option ``rate.<family>``) or the product's documented limit."""
        override = account.options.get(f"rate.{family}")
        if override:
            return float(override)
        return self._rates.get(f"{account.provider}.{family}", DEFAULT_RATE)

    def bucket_key(self, account: Account, family: str, action: str) -> str:
        """The shared bucket ``action`` takes its token from."""
        if f"{account.provider}.{family}" in self._per_action:
            return f"{account.key}:{family}:{action}"
        return f"{account.key}:{family}"

    def acquire(self, account: Account, family: str, action: str) -> None:
        """Reserve a token and sleep until it is due; raise Throttled if that is more than
        ``max_wait`` away (the deployment goes back to the queue instead of pinning a thread)."""
        limit = self.rate_for(account, family)
        rate, burst = limit * HEADROOM, max(1.0, limit * BURST)
        key = self.bucket_key(account, family, action)
        granted, wait = self._buckets.reserve(key, rate, burst, self._max_wait)
        if not granted:
            raise Throttled(
                f"{account.provider} {family} budget for this account is spent",
                retry_after=wait,
            )
        if wait > 0:
            self._sleep(wait)
            metrics.RATE_LIMIT_WAIT_SECONDS.labels(account.provider).inc(wait)

    def record(self, account: Account, action: str, outcome: str, seconds: float) -> None:
        """Count the call and its latency."""
        metrics.VENDOR_CALLS.labels(account.provider, action, outcome).inc()
        metrics.VENDOR_CALL_SECONDS.labels(account.provider, action).observe(seconds)

    def exclusive(self, account: Account, scope: str) -> AbstractContextManager[None]:
        """A lock shared by every worker on ``scope`` within this account."""
        return self._locks.hold(f"{account.key}:{scope}")

    def throttled(self, account: Account, family: str, action: str, retry_after: float) -> None:
        """The vendor said slow down: halve this bucket for a while."""
        metrics.THROTTLES.labels(account.provider, account.key).inc()
        self._buckets.slow_down(
            self.bucket_key(account, family, action),
            SLOWDOWN_FACTOR,
            max(SLOWDOWN_SECONDS, retry_after),
        )
