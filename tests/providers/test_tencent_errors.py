"""The one Tencent classifier: vendor codes to Throttled / Transient / AuthFailed / Permanent."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from providers.base import Account, NoHooks
from providers.calls import run_call
from providers.errors import AuthFailed, Permanent, ProviderError, Throttled, Transient
from providers.secrets import Secret
from providers.tencent.errors import SDK_FAILURES, classify

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


def test_run_call_raises_the_classified_sdk_error_unchained() -> None:
    def throttled() -> None:
        raise TencentCloudSDKException("RequestLimitExceeded", "slow down", "r")

    with pytest.raises(Throttled) as caught:
        run_call(
            NoHooks(),
            ACCOUNT,
            "ssl",
            "UploadCertificate",
            throttled,
            failures=SDK_FAILURES,
            classify=partial(classify, permissions=()),
        )

    assert caught.value.__cause__ is None  # the raw SDK error (unscrubbed text) is not chained
    assert caught.value.retry_after == 1.0
