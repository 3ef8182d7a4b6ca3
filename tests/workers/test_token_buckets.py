"""Token buckets (in-process and on Redis): reservations never exceed the rate, and queue fairly."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.services import REDIS_URL, require
from workers.rate_limits.base import TokenBuckets
from workers.rate_limits.local import LocalTokenBuckets
from workers.rate_limits.redis import RedisTokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_reservations_are_spaced_at_the_rate_and_served_in_order() -> None:
    buckets = LocalTokenBuckets(Clock())
    waits = [buckets.reserve("k", rate=10.0, burst=1.0, max_wait=1.0) for _ in range(5)]
    assert all(r.granted for r in waits)
    assert [round(r.wait, 3) for r in waits] == [0.0, 0.1, 0.2, 0.3, 0.4]


def test_a_queue_longer_than_the_caller_waits_is_refused_and_reserves_nothing() -> None:
    buckets = LocalTokenBuckets(Clock())
    for _ in range(3):
        assert buckets.reserve("k", rate=10.0, burst=1.0, max_wait=0.2).granted
    refused = buckets.reserve("k", rate=10.0, burst=1.0, max_wait=0.2)
    assert not refused.granted and refused.wait == pytest.approx(0.3)
    again = buckets.reserve("k", rate=10.0, burst=1.0, max_wait=1.0)
    assert again.granted and again.wait == pytest.approx(0.3)  # the refusal took no token


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=80),
    st.floats(min_value=1, max_value=30),
)
def test_no_window_holds_more_than_burst_plus_rate_times_its_length(
    gaps: list[float], rate: float
) -> None:
    """Whatever the arrival pattern, the tokens *used* (reserve time + wait) in any interval
    of length T number at most burst + rate x T."""
    clock = Clock()
    buckets = LocalTokenBuckets(clock)
    burst = max(1.0, rate * 0.05)
    used: list[float] = []
    for gap in gaps:
        clock.now += gap
        r = buckets.reserve("k", rate, burst, max_wait=2.0)
        if r.granted:
            used.append(clock.now + r.wait)
    used.sort()
    for i, start in enumerate(used):
        for j in range(i, len(used)):
            assert j - i + 1 <= burst + rate * (used[j] - start) + 1e-6


def test_a_vendor_throttle_halves_the_rate_and_forgets_no_reservation() -> None:
    clock = Clock()
    buckets = LocalTokenBuckets(clock)
    assert buckets.reserve("k", 10.0, 1.0, 1.0).wait == 0.0
    assert buckets.reserve("k", 10.0, 1.0, 1.0).wait == pytest.approx(0.1)
    buckets.slow_down("k", 0.5, 30.0)
    # the owed token and this one, both at 5/s
    assert buckets.reserve("k", 10.0, 1.0, 1.0).wait == pytest.approx(0.4)


@pytest.fixture
def shared() -> TokenBuckets:
    require("127.0.0.1", 6379, "Redis")
    return RedisTokenBuckets(redis.Redis.from_url(REDIS_URL))


def test_threads_sharing_a_redis_bucket_get_the_rate_and_none_is_refused(
    shared: TokenBuckets,
) -> None:
    key, rate, used = f"test:{uuid.uuid4()}", 50.0, []
    guard = threading.Lock()

    def caller() -> None:
        for _ in range(5):
            r = shared.reserve(key, rate, 1.0, max_wait=5.0)
            assert r.granted
            time.sleep(r.wait)
            with guard:
                used.append(time.monotonic())

    threads = [threading.Thread(target=caller) for _ in range(20)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(used) == 100
    elapsed = max(used) - began
    assert 99 / rate - 0.05 <= elapsed <= 99 / rate + 1.0  # spaced at the rate, not faster
