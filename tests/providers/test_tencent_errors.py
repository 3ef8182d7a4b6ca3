"""The one Tencent classifier: vendor codes to Throttled / Transient / AuthFailed / Permanent."""

from __future__ import annotations

from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from providers.base import Account
from providers.errors import AuthFailed, Permanent, ProviderError, Throttled, Transient
from providers.secrets import Secret
from providers.tencent.errors import classify, run_call

ACCOUNT = Account("tencent:1", "tencent", "AKIDexample1234", Secret("the-secret-key"))
PERMISSIONS = ("QcloudSSLFullAccess", "QcloudCDNFullAccess")


def classified(code: str, message: Any = "vendor says no") -> ProviderError:
    error = TencentCloudSDKException(code, message, "req-1")
    return classify(error, account=ACCOUNT, action="UpdateDomainConfig", permissions=PERMISSIONS)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("RequestLimitExceeded", Throttled),
        ("RequestLimitExceeded.UinLimitExceeded", Throttled),
        ("LimitExceeded.RateLimitExceeded", Throttled),
        ("LimitExceeded.CdnHostOpTooOften", Throttled),
        ("UnauthorizedOperation.OperationTooOften", Throttled),
        ("InternalError", Transient),
        ("InternalError.CdnSystemError", Transient),
        ("ResourceInUse.CdnOpInProgress", Transient),
        ("FailedOperation.NetworkError", Transient),
        ("ClientNetworkError", Transient),
        ("ServerNetworkError", Transient),
        ("AuthFailure.SignatureFailure", AuthFailed),
        ("AuthFailure.SecretIdNotFound", AuthFailed),
        ("AuthFailure.UnauthorizedOperation", AuthFailed),
        ("UnauthorizedOperation.CdnCamUnauthorized", AuthFailed),
        ("UnauthorizedOperation.CdnUserIsSuspended", AuthFailed),
        ("ResourceUnavailable.CdnHostIsLocked", Permanent),
        ("ResourceNotFound.CdnHostNotExists", Permanent),
        ("InvalidParameter.CdnCertInfoNotFound", Permanent),
        ("FailedOperation.CertificateMismatch", Permanent),
    ],
)
def test_codes_map_to_one_outcome(code: str, kind: type[ProviderError]) -> None:
    failure = classified(code)

    assert type(failure) is kind
    assert failure.vendor_code == code
    assert "vendor says no" in failure.reason and "req-1" in failure.reason


def test_throttles_carry_a_retry_after() -> None:
    failure = classified("RequestLimitExceeded")

    assert isinstance(failure, Throttled) and failure.retry_after == 1.0


def test_permission_failures_name_the_policies_to_grant() -> None:
    failure = classified("UnauthorizedOperation.CdnCamUnauthorized")

    assert "grant QcloudSSLFullAccess + QcloudCDNFullAccess" in failure.reason


def test_gateway_pages_become_short_readable_text() -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>" + b"x" * 2000 + b"</body>"

    failure = classified("ServerNetworkError", page)

    assert failure.reason.startswith("UpdateDomainConfig failed, may pass: 502 Bad Gateway")
    assert len(failure.reason) < 400


def test_secrets_and_private_keys_are_scrubbed_from_vendor_text() -> None:
    echoed = "bad key -----BEGIN PRIVATE KEY-----\nMIIEv...\n-----END PRIVATE KEY----- and "
    failure = classified("FailedOperation.CertificateInvalid", echoed + "the-secret-key")

    assert "MIIEv" not in str(failure) and "the-secret-key" not in str(failure)
    assert "[private key removed]" in str(failure)


def test_network_errors_outside_the_sdk_are_transient() -> None:
    failure = classify(
        ConnectionResetError("peer reset"), account=ACCOUNT, action="X", permissions=()
    )

    assert isinstance(failure, Transient) and "peer reset" in failure.reason


class Hooks:
    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []

    def acquire(self, account: Account, family: str) -> None:
        self.events.append(("acquire", family))

    def record(self, account: Account, action: str, outcome: str, seconds: float) -> None:
        self.events.append(("record", action, outcome))

    def throttled(self, account: Account, family: str, retry_after: float) -> None:
        self.events.append(("throttled", family, str(retry_after)))


def test_run_call_reports_success_to_the_hooks() -> None:
    hooks = Hooks()

    assert run_call(hooks, ACCOUNT, "cdn", "DescribeDomains", lambda: 42, permissions=()) == 42
    assert hooks.events == [("acquire", "cdn"), ("record", "DescribeDomains", "ok")]


def test_run_call_classifies_and_reports_throttles() -> None:
    hooks = Hooks()

    def throttled() -> None:
        raise TencentCloudSDKException("RequestLimitExceeded", "slow down", "r")

    with pytest.raises(Throttled) as caught:
        run_call(hooks, ACCOUNT, "ssl", "UploadCertificate", throttled, permissions=())

    assert caught.value.__cause__ is None  # the raw SDK error (unscrubbed text) is not chained
    assert hooks.events[1:] == [
        ("record", "UploadCertificate", "throttled"),
        ("throttled", "ssl", "1.0"),
    ]


def test_run_call_lets_our_own_bugs_through_unclassified() -> None:
    def buggy() -> None:
        raise TypeError("bug in certfleet")

    with pytest.raises(TypeError):
        run_call(Hooks(), ACCOUNT, "cdn", "DescribeDomains", buggy, permissions=())
