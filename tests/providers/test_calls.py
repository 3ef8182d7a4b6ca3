"""One vendor call under the hooks: token, timing, classification, metrics — for every vendor."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from providers.base import Account
from providers.calls import run_call
from providers.errors import AuthFailed, ProviderError, Throttled, Transient
from providers.secrets import Secret
from tests.providers.conftest import RecordingHooks

ACCOUNT = Account("vendor:1", "vendor", "AKEXAMPLE1234", Secret("the-secret-key"))


class VendorError(Exception):
    """What the fake vendor's SDK raises."""


def classify(error: Exception, *, account: Account, action: str) -> ProviderError:
    if "slow" in str(error):
        return Throttled(f"{action} throttled", retry_after=3.0, vendor_code="Slow")
    return Transient(f"{action} failed for {account.key}", vendor_code="Busy")


def call(hooks: RecordingHooks, send: Callable[[], object]) -> object:
    return run_call(
        hooks,
        ACCOUNT,
        "cdn",
        "DescribeDomains",
        send,
        failures=(VendorError,),
        classify=classify,
    )


def test_success_is_recorded_after_the_token() -> None:
    hooks = RecordingHooks()

    assert call(hooks, lambda: 42) == 42
    assert hooks.acquired == [("vendor:1", "cdn")]
    assert hooks.records == [("DescribeDomains", "ok")]


def test_a_throttle_is_recorded_slows_the_family_and_is_not_chained() -> None:
    hooks = RecordingHooks()

    def throttled() -> None:
        raise VendorError("slow down")

    with pytest.raises(Throttled) as caught:
        call(hooks, throttled)

    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert hooks.records == [("DescribeDomains", "throttled")]
    assert hooks.throttles == [("cdn", 3.0)]


def test_other_failures_are_recorded_by_their_class() -> None:
    hooks = RecordingHooks()

    def busy() -> None:
        raise VendorError("busy")

    with pytest.raises(Transient):
        call(hooks, busy)

    assert hooks.records == [("DescribeDomains", "transient")]
    assert hooks.throttles == []


def test_a_provider_error_raised_inside_the_call_is_recorded_as_it_is() -> None:
    hooks = RecordingHooks()
    refused = AuthFailed("the stored key is empty")

    def build_client() -> None:
        raise refused

    with pytest.raises(AuthFailed) as caught:
        call(hooks, build_client)

    assert caught.value is refused
    assert hooks.records == [("DescribeDomains", "permanent")]


def test_our_own_bugs_pass_through_unclassified() -> None:
    hooks = RecordingHooks()

    def buggy() -> None:
        raise TypeError("bug in certfleet")

    with pytest.raises(TypeError):
        call(hooks, buggy)

    assert hooks.acquired == [("vendor:1", "cdn")] and hooks.records == []
