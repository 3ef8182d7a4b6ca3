"""The :class:`providers.base.CallHooks` the workers give adapters: rate limits and metrics.

Every vendor call an adapter makes passes through :meth:`FleetHooks.acquire` first, so the
per-(account, API family) budget holds however many workers, threads and hosts share it. A short
wait is absorbed here; a long one becomes :class:`~providers.errors.Throttled`, which releases the
deployment back to the queue instead of pinning a worker thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager

from providers.base import Account
from providers.errors import Throttled
from workers import metrics
from workers.locks import Locks
from workers.rate_limits.base import TokenBuckets

DEFAULT_RATE = 10.0  # req/s when neither the product nor the account says otherwise
# Aim a little under the limit and allow only a small burst, so that no one-second window ever
# holds more calls than the vendor allows: at most (HEADROOM + BURST) x limit.
HEADROOM = 0.9
BURST = 0.1
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
        max_wait: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._buckets = buckets
        self._locks = locks
        self._rates = rates  # "provider.family" -> req/s (from product metadata)
        self._max_wait = max_wait
        self._sleep = sleep

    def rate_for(self, account: Account, family: str) -> float:
        """The account's override (option ``rate.<family>``) or the product's documented limit."""
        override = account.options.get(f"rate.{family}")
        if override:
            return float(override)
        return self._rates.get(f"{account.provider}.{family}", DEFAULT_RATE)

    @staticmethod
    def bucket_key(account: Account, family: str) -> str:
        return f"{account.key}:{family}"

    def acquire(self, account: Account, family: str) -> None:
        """Wait for a token up to ``max_wait`` seconds, else raise Throttled."""
        limit = self.rate_for(account, family)
        rate, burst = limit * HEADROOM, max(1.0, limit * BURST)
        key = self.bucket_key(account, family)
        waited = 0.0
        while True:
            wait = self._buckets.try_acquire(key, rate, burst=burst)
            if wait <= 0:
                break
            if waited + wait > self._max_wait:
                metrics.RATE_LIMIT_WAIT_SECONDS.labels(account.provider).inc(waited)
                raise Throttled(
                    f"{account.provider} {family} budget for this account is spent",
                    retry_after=wait,
                )
            self._sleep(wait)
            waited += wait
        if waited:
            metrics.RATE_LIMIT_WAIT_SECONDS.labels(account.provider).inc(waited)

    def record(self, account: Account, action: str, outcome: str, seconds: float) -> None:
        """Count the call and its latency."""
        metrics.VENDOR_CALLS.labels(account.provider, action, outcome).inc()
        metrics.VENDOR_CALL_SECONDS.labels(account.provider, action).observe(seconds)

    def exclusive(self, account: Account, scope: str) -> AbstractContextManager[None]:
        """A lock shared by every worker on ``scope`` within this account."""
        return self._locks.hold(f"{account.key}:{scope}")

    def throttled(self, account: Account, family: str, retry_after: float) -> None:
        """The vendor said slow down: halve this bucket for a while."""
        metrics.THROTTLES.labels(account.provider, account.key).inc()
        self._buckets.slow_down(
            self.bucket_key(account, family), SLOWDOWN_FACTOR, max(SLOWDOWN_SECONDS, retry_after)
        )
