"""AWS's error codes mapped to certfleet's four outcomes — the only such mapping for AWS.

botocore raises :class:`~botocore.exceptions.ClientError` for every answer AWS sends with an
error code (``error.response["Error"]["Code"]``, HTTP status in ``ResponseMetadata``) and a
:class:`~botocore.exceptions.BotoCoreError` subclass for everything that never produced an
answer (connection refused, timeouts, a body it could not parse, a parameter it rejected before
sending). Codes come from the API references of ACM, IAM, STS, CloudFront, ELBv2 and ELB, and
from botocore's retry rules (``botocore/retries/standard.py``). AWS sends no Retry-After, so
throttles carry a wait of our choosing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
)

from providers.base import Account
from providers.errors import AuthFailed, Permanent, ProviderError, Throttled, Transient
from providers.secrets import masked_key_id, scrubbed

# What a failed call raises: an answer with an error code, or no answer at all (connection,
# timeout, unparseable body, refused parameters). Anything else is a bug of ours, not AWS's.
SDK_FAILURES: Final = (ClientError, BotoCoreError, OSError)

THROTTLE_WAIT_SECONDS: Final = 1.0  # AWS names no wait; its buckets refill every second
_THROTTLES: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "PriorRequestNotComplete",
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
    }
)
# Refusals AWS itself says may pass: server faults, a change racing ours, a busy resource.
_TRANSIENT: Final = frozenset(
    {
        "InternalFailure",
        "InternalError",
        "InternalServiceError",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServiceFailure",
        "RequestTimeout",
        "RequestTimeoutException",
        "PreconditionFailed",  # CloudFront: the distribution changed since we read its ETag
        "ConcurrentModification",  # IAM
        "ConcurrentModificationException",
        "OperationAborted",
        "RequestInProgressException",  # ACM: the certificate is still being processed
        "IDPCommunicationError",
    }
)
_CREDENTIAL_HINTS: Final = {
    "InvalidClientTokenId": "AWS does not know access key {key} (deleted, inactive or "
    "mistyped); update the account's access key",
    "UnrecognizedClientException": "AWS does not know access key {key} (deleted, inactive "
    "or mistyped); update the account's access key",
    "InvalidAccessKeyId": "AWS does not know access key {key}; update the account's access key",
    "SignatureDoesNotMatch": "the secret stored for access key {key} is wrong; re-enter it",
    "InvalidSignatureException": "the secret stored for access key {key} is wrong; re-enter it",
    "IncompleteSignature": "the request was not signed properly; check the API endpoint",
    "IncompleteSignatureException": "the request was not signed properly; check the endpoint",
    "MissingAuthenticationToken": "the request carried no credentials",
    "ExpiredToken": "the temporary credentials expired; they are renewed on the next call",
    "ExpiredTokenException": "the temporary credentials expired; renewed on the next call",
    "RequestExpired": "AWS rejected the request time; check this host's clock (NTP)",
    "OptInRequired": "the account is not subscribed to this service or region; enable it "
    "or remove the region from the account",
    "AuthFailure": "AWS refused the credentials of access key {key}",
}
_PERMISSION: Final = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "UnauthorizedAccess",
        "NotAuthorized",
    }
)
_DENIED_ACTION: Final = re.compile(r"perform: ([a-z0-9-]+:[A-Za-z0-9]+)")


def classify(
    error: BaseException, *, account: Account, action: str, permissions: Sequence[str]
) -> ProviderError:
    """Map one failed SDK call to Throttled, Transient, AuthFailed or Permanent.

    ``permissions`` are the IAM actions the product needs; an authorization failure names the
    one AWS reported (when it says) and all of them. Secrets are scrubbed from any text.
    """
    if isinstance(error, ClientError):
        details: dict[str, Any] = error.response.get("Error") or {}
        meta: dict[str, Any] = error.response.get("ResponseMetadata") or {}
        code = str(details.get("Code") or "")
        message = _clean(account, details.get("Message") or str(code))
        if meta.get("RequestId"):
            message = f"{message} (RequestId {meta['RequestId']})"
        status = int(meta.get("HTTPStatusCode") or 0)
        return _vendor_failure(
            code, status, message, account=account, action=action, permissions=permissions
        )
    text = _clean(account, error) or type(error).__name__
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return AuthFailed(f"{action}: the account has no complete access key: {text}")
    if isinstance(error, ParamValidationError):
        return Permanent(f"{action}: AWS would refuse these parameters: {text}")
    # Connection errors, timeouts, unparseable answers (a proxy's HTML page): may pass.
    return Transient(f"{action} failed, may pass: {text}")


def _vendor_failure(
    code: str,
    status: int,
    message: str,
    *,
    account: Account,
    action: str,
    permissions: Sequence[str],
) -> ProviderError:
    if code in _THROTTLES or status == 429:
        return Throttled(
            f"{action} throttled: {message}",
            retry_after=THROTTLE_WAIT_SECONDS,
            vendor_code=code or str(status),
        )
    if code in _CREDENTIAL_HINTS:
        hint = _CREDENTIAL_HINTS[code].format(key=masked_key_id(account.access_key_id))
        return AuthFailed(f"{action}: {hint} ({message})", vendor_code=code)
    if code in _PERMISSION:
        denied = _DENIED_ACTION.search(message)
        needed = f"{denied.group(1)} (and " if denied else "("
        grant = ", ".join(permissions) or "the product's IAM actions"
        return AuthFailed(
            f"{action}: the access key lacks a permission; grant {needed}all of: {grant}) "
            f"to its IAM user or role ({message})",
            vendor_code=code,
        )
    if code in _TRANSIENT or status >= 500:
        return Transient(f"{action} failed, may pass: {message}", vendor_code=code or None)
    return Permanent(f"{action} failed: {message}", vendor_code=code or None)


def _clean(account: Account, value: object) -> str:
    """Vendor text without secrets or private keys (AWS's messages are plain text)."""
    return scrubbed(value, account.secret, limit=400)
