"""FleetHooks: which bucket a call takes its token from, and how long it may wait for one."""

from __future__ import annotations

import pytest

from providers.base import Account
from providers.errors import Throttled
from providers.secrets import Secret
from workers.call_hooks import BURST, HEADROOM, FleetHooks
from workers.locks import LocalLocks
from workers.rate_limits.local import LocalTokenBuckets
from workers.runtime import per_action_families, product_rates


class Clock:
    """Time that moves only when the hooks sleep."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _account(provider: str) -> Account:
    return Account(key="acct", provider=provider, access_key_id="AK", secret=Secret("s"))


def _hooks(clock: Clock, max_wait: float = 2.0) -> FleetHooks:
    return FleetHooks(
        LocalTokenBuckets(clock),
        LocalLocks(),
        product_rates(),
        per_action=per_action_families(),
        max_wait=max_wait,
        sleep=clock.sleep,
    )


def test_vendors_that_limit_each_action_get_a_bucket_per_action() -> None:
    hooks = _hooks(Clock())
    tencent, aws = _account("tencent"), _account("aws")
    assert hooks.bucket_key(tencent, "cdn", "UpdateDomainConfig") != hooks.bucket_key(
        tencent, "cdn", "DescribeDomainsConfig"
    )
    # AWS throttles a category of calls together: its actions share the category's bucket.
    assert hooks.bucket_key(aws, "elbv2.read", "DescribeListeners") == hooks.bucket_key(
        aws, "elbv2.read", "DescribeListenerCertificates"
    )


def test_reads_do_not_spend_the_writes_budget_where_the_vendor_limits_per_action() -> None:
    clock = Clock()
    hooks = _hooks(clock)
    tencent = _account("tencent")
    limit = product_rates()["tencent.cdn"]
    burst = max(1.0, limit * BURST)
    for _ in range(int(burst)):
        hooks.acquire(tencent, "cdn", "DescribeDomainsConfig")
    assert clock.now == 0.0  # the burst passes at once
    hooks.acquire(tencent, "cdn", "UpdateDomainConfig")
    assert clock.now == 0.0  # another action: its own full bucket
    hooks.acquire(tencent, "cdn", "DescribeDomainsConfig")
    assert clock.now == pytest.approx(1 / (limit * HEADROOM), rel=0.01)


def test_a_category_is_one_budget_where_the_vendor_limits_categories() -> None:
    clock = Clock()
    hooks = _hooks(clock)
    aws = _account("aws")
    limit = product_rates()["aws.elbv2.read"]
    for _ in range(int(max(1.0, limit * BURST))):
        hooks.acquire(aws, "elbv2.read", "DescribeListeners")
    hooks.acquire(aws, "elbv2.read", "DescribeLoadBalancers")
    assert clock.now > 0.0


def test_a_long_wait_is_handed_back_as_throttled_instead_of_holding_the_thread() -> None:
    clock = Clock()
    hooks = _hooks(clock, max_wait=0.5)
    aws = _account("aws")
    limit = product_rates()["aws.acm.import"]  # 1/s: the second call within 0.5 s cannot go
    hooks.acquire(aws, "acm.import", "ImportCertificate")
    with pytest.raises(Throttled) as refused:
        hooks.acquire(aws, "acm.import", "ImportCertificate")
    assert refused.value.retry_after > 0
    assert clock.now <= 0.5 < 1 / (limit * HEADROOM)


def test_a_vendor_throttle_slows_only_the_bucket_it_hit() -> None:
    clock = Clock()
    hooks = _hooks(clock)
    tencent = _account("tencent")
    hooks.throttled(tencent, "cdn", "UpdateDomainConfig", retry_after=1.0)
    limit = product_rates()["tencent.cdn"]
    burst = int(max(1.0, limit * BURST))
    for _ in range(burst + 1):
        hooks.acquire(tencent, "cdn", "DescribeDomainsConfig")
    unslowed = clock.now
    for _ in range(burst + 1):
        hooks.acquire(tencent, "cdn", "UpdateDomainConfig")
    assert clock.now - unslowed == pytest.approx(2 * unslowed, rel=0.05)
