"""In-process token buckets for the embedded mode (one process, many threads)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from workers.rate_limits.base import Reservation


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class LocalTokenBuckets:
    """Thread-safe token buckets; ``clock`` is injectable so tests need not sleep."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._slow: dict[str, tuple[float, float]] = {}  # key -> (factor, until)

    def _effective_rate(self, key: str, rate: float, now: float) -> float:
        factor, until = self._slow.get(key, (1.0, 0.0))
        return rate * factor if now < until else rate

    def reserve(self, key: str, rate: float, burst: float, max_wait: float) -> Reservation:
        """Reserve the next token if it is due within ``max_wait`` (tokens may go negative:
        each reserved token is one the refill has yet to produce)."""
        with self._lock:
            now = self._clock()
            rate = self._effective_rate(key, rate, now)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(tokens=burst, stamp=now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            wait = max(0.0, (1.0 - bucket.tokens) / rate)
            if wait > max_wait:
                return Reservation(False, wait)
            bucket.tokens -= 1.0
            return Reservation(True, wait)

    def slow_down(self, key: str, factor: float, seconds: float) -> None:
        """Scale the key's rate down until ``seconds`` from now and drain its burst."""
        with self._lock:
            now = self._clock()
            self._slow[key] = (factor, now + seconds)
            bucket = self._buckets.get(key)
            if bucket is not None:
                bucket.tokens = min(bucket.tokens, 0.0)
