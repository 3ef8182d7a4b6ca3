"""Rate limits and fault rules every emulator applies before answering in its vendor's shape."""

from __future__ import annotations

import random

import pytest

from providers.emulators.faults import CallCounts, Fault, FaultPlan, RateLimits


def test_fault_rules_match_action_account_and_target_and_run_out() -> None:
    plan = FaultPlan(random.Random(3))
    plan.add(Fault("UpdateListener", "AK1", "l-1", error_code="ELB.8902", remaining=2))
    plan.add(Fault(error_code="ELB.8902", remaining=None, probability=0.0))  # never fires

    taken = [
        plan.take("AK1", "UpdateListener", "l-2"),
        plan.take("AK2", "UpdateListener", "l-1"),
        plan.take("AK1", "UpdateListener", "l-1"),
        plan.take("AK1", "UpdateListener", "l-1"),
        plan.take("AK1", "UpdateListener", "l-1"),
    ]

    assert [fault is not None for fault in taken] == [False, False, True, True, False]


def test_a_rule_without_a_target_matches_calls_that_name_none() -> None:
    plan = FaultPlan()
    plan.add(Fault("UploadCertificate", latency=0.5, remaining=None))

    assert plan.take("AKID1", "UploadCertificate") is not None
    assert plan.take("AKID1", "UploadCertificate", "fingerprint") is not None
    assert plan.take("AKID1", "DescribeDomains") is None


def test_a_fault_must_apply_at_least_once() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FaultPlan().add(Fault("UpdateListener", remaining=0))


def test_rate_limits_refill_per_account_and_action_with_the_clock() -> None:
    now = [100.0]
    limits = RateLimits(lambda: now[0])
    limits.set(None, 2)

    burst = [limits.admit("AK1", "ListDomains") for _ in range(3)]
    other = limits.admit("AK2", "ListDomains")
    now[0] += 0.5
    refilled = limits.admit("AK1", "ListDomains")

    assert burst == [None, None, 2] and other is None and refilled is None


def test_an_action_of_its_own_overrides_the_default_rate() -> None:
    limits = RateLimits(lambda: 0.0)
    limits.set(None, 1)
    limits.set("UploadCertificate", 3)

    uploads = [limits.admit("AK1", "UploadCertificate") for _ in range(4)]

    assert uploads == [None, None, None, 3]
    assert [limits.admit("AK1", "ListDomains") for _ in range(2)] == [None, 1]


def test_a_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimits().set("ListDomains", 0)


def test_counts_keep_admitted_calls_with_their_targets_and_refusals_apart() -> None:
    counts = CallCounts()
    counts.admitted("AK1", "UpdateListener", "l-1")
    counts.admitted("AK1", "UpdateListener", "")  # a call naming no target
    counts.targeted("AK1", "UploadCertificate", "fp")
    counts.refused("AK1", "UpdateListener")

    snapshot = counts.calls
    counts.admitted("AK1", "UpdateListener")

    assert snapshot == {
        ("AK1", "UpdateListener"): 2,
        ("AK1", "UpdateListener", "l-1"): 1,
        ("AK1", "UploadCertificate", "fp"): 1,
    }
    assert counts.throttled == {("AK1", "UpdateListener"): 1}
