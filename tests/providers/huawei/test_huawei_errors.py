"""The one Huawei classifier: statuses and codes to Throttled, Transient, AuthFailed, Permanent."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from huaweicloudsdkcore.exceptions.exceptions import (
    ClientRequestException,
    ConnectionException,
    RequestTimeoutException,
    SdkError,
    ServerResponseException,
)

from providers.base import Account
from providers.calls import run_call
from providers.errors import AuthFailed, Permanent, ProviderError, Throttled, Transient
from providers.huawei.errors import SDK_FAILURES, classify
from providers.secrets import Secret

ACCOUNT = Account("huawei:1", "huawei", "HWAKEXAMPLE1234", Secret("the-secret-key"))
PERMISSIONS = ("ELB FullAccess",)
KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----"


def answer(status: int, code: str, message: str = "vendor says no", action: str = "X") -> Any:
    kind = ServerResponseException if status >= 500 else ClientRequestException
    error = kind(status, SdkError("req-1", code, message))
    return classify(error, account=ACCOUNT, action=action, permissions=PERMISSIONS)


@pytest.mark.parametrize(
    ("status", "code", "kind", "vendor_code"),
    [
        (429, "APIGW.0308", Throttled, "APIGW.0308"),
        (429, "429", Throttled, "APIGW.0308"),  # GET/PUT: the SDK lost the body
        (401, "APIGW.0301", AuthFailed, "APIGW.0301"),
        (403, "APIGW.0302", AuthFailed, "APIGW.0302"),
        (403, "CDN.0004", AuthFailed, "CDN.0004"),
        (400, "CDN.0021", AuthFailed, "CDN.0021"),
        (403, "ELB.0003", AuthFailed, "ELB.0003"),  # any 403 is a permission problem
        (500, "ELB.9999", Transient, "ELB.9999"),
        (502, "502", Transient, None),  # a gateway page: no vendor code at all
        (400, "CDN.0106", Transient, "CDN.0106"),  # domain still configuring a change
        (400, "CDN.0406", Permanent, "CDN.0406"),
        (400, "CDN.0116", Permanent, "CDN.0116"),
        (404, "ELB.8904", Permanent, "ELB.8904"),
        (400, "ELB.8902", Permanent, "ELB.8902"),
    ],
)
def test_answers_map_to_one_outcome(
    status: int, code: str, kind: type[ProviderError], vendor_code: str | None
) -> None:
    failure = answer(status, code)

    assert type(failure) is kind
    assert failure.vendor_code == vendor_code


def test_conflicts_are_transient_only_for_listener_changes() -> None:
    assert isinstance(answer(409, "ELB.8907", action="UpdateListener"), Transient)
    assert type(answer(409, "ELB.8907", action="DeleteCertificate")) is Permanent


def test_permission_failures_name_the_policy_to_grant() -> None:
    failure = answer(403, "APIGW.0302", "The IAM user is not authorized to access the API.")

    assert "grant ELB FullAccess" in failure.reason


def test_network_failures_are_transient() -> None:
    for error in (
        ConnectionException("connection refused"),
        RequestTimeoutException("timed out"),
        TimeoutError("read timed out"),
    ):
        failure = classify(error, account=ACCOUNT, action="ListListeners", permissions=())
        assert isinstance(failure, Transient), error


def test_vendor_text_is_scrubbed_of_secrets_and_keys() -> None:
    failure = answer(400, "ELB.8902", f"bad key {KEY} for the-secret-key")

    assert "the-secret-key" not in str(failure)
    assert "PRIVATE KEY" not in str(failure) and "[private key removed]" in str(failure)


def test_run_call_records_outcomes_and_never_chains_the_sdk_error() -> None:
    records: list[tuple[str, str]] = []
    throttles: list[float] = []

    class Hooks:
        def acquire(self, account: Account, family: str, action: str) -> None: ...

        def record(self, account: Account, action: str, outcome: str, seconds: float) -> None:
            records.append((action, outcome))

        def throttled(self, account: Account, family: str, action: str, retry_after: float) -> None:
            throttles.append(retry_after)

        def exclusive(self, account: Account, scope: str) -> Any: ...

    def throttle() -> None:
        raise ClientRequestException(429, SdkError("", "429", "too many 429 error responses"))

    vendor = {"failures": SDK_FAILURES, "classify": partial(classify, permissions=())}
    with pytest.raises(Throttled) as caught:
        run_call(Hooks(), ACCOUNT, "elb", "ListListeners", throttle, **vendor)
    with pytest.raises(ZeroDivisionError):  # our own bugs are not vendor failures
        run_call(Hooks(), ACCOUNT, "elb", "ListListeners", lambda: 1 / 0, **vendor)

    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert records == [("ListListeners", "throttled")]
    assert throttles == [caught.value.retry_after] and throttles[0] >= 2
