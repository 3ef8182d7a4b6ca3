"""Tencent Cloud's error codes mapped to certfleet's four outcomes — the only such mapping.

One classifier for every Tencent product certfleet uses (SSL, CDN, CLB, WAF): the common codes
mean the same everywhere, and a product's own codes do not collide with another's.

Sources for the codes: the common error list (cloud.tencent.com/document/api/400/41680) and the
SDK's ``errorcodes.py`` of ssl 2019-12-05, cdn 2018-06-06, clb 2018-03-17 and waf 2018-01-25;
for CLB's "another change is running on this load balancer" also users' logs (certimate-go/
certimate issue 861, certd/certd issue 314). Codes not listed map to Permanent: retrying a
request the vendor rejected for its content cannot help. The SDK itself adds
``ClientNetworkError`` (connection failures and timeouts, wrapped by ``ApiRequest``) and
``ServerNetworkError`` (any non-200 HTTP answer, e.g. a gateway's 502 page, whose body becomes
the message).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from providers.base import Account
from providers.errors import AuthFailed, Permanent, ProviderError, Throttled, Transient
from providers.secrets import masked_key_id, scrubbed

# What a failed call raises: the SDK's exception, or requests/socket errors and unparseable
# answers that escaped it. Anything else is a bug of ours, not the vendor's.
SDK_FAILURES: Final = (TencentCloudSDKException, OSError, ValueError)

# Rate refusals. The vendor names no wait; a second is its accounting window for req/s limits.
_THROTTLE_WAIT: Final = {
    "RequestLimitExceeded": 1.0,  # and RequestLimitExceeded.* (per-IP, per-UIN variants)
    "LimitExceeded.RateLimitExceeded": 1.0,  # ssl: per-API frequency
    "LimitExceeded.SslCertRequestLimitExceeded": 1.0,  # cdn calling ssl too often
    "UnauthorizedOperation.OperationTooOften": 1.0,  # cdn: "exceeds call frequency"
    "LimitExceeded.CdnCallingQueryIpTooOften": 1.0,
    "LimitExceeded.CdnHostOpTooOften": 5.0,  # per-domain cool-down between changes
}
# Failures the vendor itself says are temporary ("please retry later", "in progress", busy).
_TRANSIENT: Final = frozenset(
    {
        "ClientNetworkError",
        "ServerNetworkError",
        "ResourceUnavailable",  # bare code: "resource unavailable", no reason given
        "ResourceInUse.CdnOpInProgress",
        "FailedOperation.NetworkError",  # ssl: "the CA is busy, retry later"
        "FailedOperation.CannotGetOrder",
        "FailedOperation.SslCertCannotGetOrder",
        "FailedOperation.CertificateDeployHasPendingRecord",
        # clb: one change at a time per load balancer ("maybe some tasks are being processed,
        # please try later"); the adapter's fleet-wide lock makes this rare, not impossible.
        "FailedOperation.ResourceInOperating",
        "FailedOperation.ResourceInCloning",  # clb: the instance is being cloned
    }
)
# Refusals that a CAM policy fixes: the reason tells the operator which policy to grant.
_PERMISSION: Final = frozenset(
    {
        "AuthFailure",
        "AuthFailure.UnauthorizedOperation",
        "UnauthorizedOperation",
        "UnauthorizedOperation.CdnAccountUnauthorized",
        "UnauthorizedOperation.CdnCamUnauthorized",
        "UnauthorizedOperation.CdnHostUnauthorized",
        "UnauthorizedOperation.CdnProjectUnauthorized",
        "UnauthorizedOperation.CdnTagUnauthorized",
        "UnauthorizedOperation.OpNoAuth",
        "FailedOperation.AuthError",
        "FailedOperation.CAMAuthorizedFail",
        "FailedOperation.NoProjectPermission",
    }
)
_CREDENTIAL_HINTS: Final = {
    "AuthFailure.SecretIdNotFound": "Tencent Cloud does not know SecretId {sid} "
    "(deleted, disabled or mistyped); update the account's AccessKey",
    "AuthFailure.InvalidSecretId": "SecretId {sid} is not an API key; use a CAM API key",
    "AuthFailure.SignatureFailure": "the SecretKey stored for SecretId {sid} is wrong; "
    "re-enter the account's AccessKey",
    "AuthFailure.SignatureExpire": "Tencent Cloud rejected the request time; "
    "check this host's clock (NTP)",
    "AuthFailure.TokenFailure": "the temporary credential token is invalid or expired",
    "AuthFailure.MFAFailure": "the AccessKey requires MFA, which API calls cannot provide",
    "InvalidCredential": "the stored AccessKey is empty or contains spaces",
}


def classify(
    error: BaseException, *, account: Account, action: str, permissions: Sequence[str]
) -> ProviderError:
    """Map one failed SDK call to Throttled, Transient, AuthFailed or Permanent.

    ``permissions`` are the CAM policies the product needs; an authorization failure names
    them. The account's secret is scrubbed from any text that came back.
    """
    if not isinstance(error, TencentCloudSDKException):
        # requests/socket errors that escaped the SDK, or a 200 whose body was not JSON.
        return Transient(f"{action}: {_clean(account, error) or type(error).__name__}")
    message = _clean(account, error.message)
    if error.requestId:
        message = f"{message} (RequestId {error.requestId})"
    return _vendor_failure(
        str(error.code or ""), message, account=account, action=action, permissions=permissions
    )


def _vendor_failure(
    code: str, message: str, *, account: Account, action: str, permissions: Sequence[str]
) -> ProviderError:
    if code.startswith("RequestLimitExceeded") or code in _THROTTLE_WAIT:
        wait = _THROTTLE_WAIT.get(code, 1.0)
        return Throttled(f"{action} throttled: {message}", retry_after=wait, vendor_code=code)
    if code in _TRANSIENT or code.startswith("InternalError"):
        return Transient(f"{action} failed, may pass: {message}", vendor_code=code)
    if code in _CREDENTIAL_HINTS:
        hint = _CREDENTIAL_HINTS[code].format(sid=masked_key_id(account.access_key_id))
        return AuthFailed(f"{action}: {hint} ({message})", vendor_code=code)
    if code in _PERMISSION:
        grant = " + ".join(permissions) or "the product's CAM policies"
        return AuthFailed(
            f"{action}: the AccessKey lacks a permission; grant {grant} to its CAM user "
            f"({message})",
            vendor_code=code,
        )
    if code.startswith(("AuthFailure", "UnauthorizedOperation")):
        return AuthFailed(f"{action}: the account may not do this: {message}", vendor_code=code)
    return Permanent(f"{action} failed: {message}", vendor_code=code)


def _clean(account: Account, value: object) -> str:
    """Vendor text without secrets; a gateway's HTML page loses its tags."""
    return scrubbed(value, account.secret, markup=True)
