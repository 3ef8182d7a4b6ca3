"""Huawei Cloud's answers mapped to certfleet's four outcomes — the only such mapping.

What the SDK raises (``huaweicloudsdkcore.exceptions``): ``ClientRequestException`` for HTTP
4xx and ``ServerResponseException`` for 5xx, both with ``status_code``, ``error_code``,
``error_msg`` and ``request_id`` (read from flat or nested error bodies; a body that is not
JSON becomes the message and the status the code); ``ConnectionException`` and
``RequestTimeoutException`` for the network. Two quirks decide the design:

* Throttling is HTTP 429 (gateway code APIGW.0308), but for GET/PUT/DELETE the SDK's urllib3
  retry policy (``status_forcelist=[429]``, zero retries) turns the answer into a
  ``RetryError`` and the SDK reports error code ``"429"`` without the body. So throttling is
  recognised by the status, never by the code alone.
* Network failures and read timeouts arrive as ``ConnectionException`` (the SDK mounts a
  urllib3 retry policy, so a timeout becomes "Max retries exceeded … Read timed out"); a bare
  ``requests`` exception (an ``OSError``) can still escape and is treated the same.

Codes: the API gateway's (APIGW.0301 credentials, APIGW.0302 IAM user not authorized,
APIGW.0308 throttled; see the APIG error code table) and the services' (CDN.0004 /
CDN.0020 / CDN.0021 permissions; ELB.8907 409 conflict). The gateway advises retrying a
throttled call "after a short period of time (for example, 2 to 5 seconds)"; it sends no
Retry-After.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from huaweicloudsdkcore.exceptions.exceptions import (
    ApiTypeError,
    ApiValueError,
    ConnectionException,
    RequestTimeoutException,
    SdkException,
    ServiceResponseException,
)

from providers.base import Account
from providers.errors import AuthFailed, Permanent, ProviderError, Throttled, Transient
from providers.secrets import masked_key_id, scrubbed

# What a failed call raises: the SDK's exceptions (answers, network, refused parameters) and
# ``requests`` errors that escaped it. Anything else is a bug of ours, not the vendor's.
SDK_FAILURES: Final = (SdkException, OSError, ApiValueError, ApiTypeError)

THROTTLE_WAIT: Final = 2.0  # seconds; the low end of the gateway's "2 to 5 seconds" advice
THROTTLE_CODE: Final = "APIGW.0308"
CREDENTIALS_CODE: Final = "APIGW.0301"
_PERMISSION_CODES: Final = frozenset(
    {"APIGW.0302", "APIGW.0304", "CDN.0004", "CDN.0020", "CDN.0021", "CDN.00010198"}
)
# Refusals that settle by themselves: a CDN domain still "configuring" a previous change, or
# a listener change colliding with another change of the same load balancer.
_TRANSIENT_CODES: Final = frozenset({"CDN.0106"})
_TRANSIENT_CONFLICTS: Final = frozenset({"UpdateListener", "UpdateCertificate"})
_TRANSIENT_WORDS: Final = re.compile(
    r"in progress|try again later|retry later|system is busy|pending_update", re.IGNORECASE
)
_CREDENTIAL_HINTS: Final = (  # first match wins: "signature expired" is not a wrong SK
    (
        "reach the limit",
        "Huawei Cloud locked AK {ak} for 5 minutes after repeated signature "
        "failures; fix the stored SK, then wait",
    ),
    ("expired", "Huawei Cloud rejected the request time; check this host's clock (NTP)"),
    (
        "not exist",
        "Huawei Cloud does not know AK {ak} (deleted, disabled or mistyped); "
        "update the account's access key",
    ),
    ("signature fail", "the SK stored for AK {ak} is wrong; re-enter the account's access key"),
    (
        "project",
        "the project id configured for this region does not belong to AK {ak}; "
        "check the account's project_id options",
    ),
    ("domain id", "the domain_id option does not belong to AK {ak}; check the account's options"),
)


def classify(
    error: BaseException, *, account: Account, action: str, permissions: Sequence[str]
) -> ProviderError:
    """Map one failed SDK call to Throttled, Transient, AuthFailed or Permanent.

    ``permissions`` are the IAM policies the product needs; a refusal for lack of permission
    names them. The account's secret and any private key are scrubbed from vendor text.
    """
    if isinstance(error, ServiceResponseException):
        return _answer(error, account=account, action=action, permissions=permissions)
    text = _clean(account, getattr(error, "error_msg", None) or error) or type(error).__name__
    if isinstance(error, ConnectionException | RequestTimeoutException | OSError):
        return Transient(f"{action}: could not reach Huawei Cloud: {text}")
    if isinstance(error, ApiValueError | ApiTypeError):
        return Permanent(f"{action}: the SDK refused the request: {text}")
    return Transient(f"{action} failed, may pass: {text}")


def _answer(
    error: ServiceResponseException,
    *,
    account: Account,
    action: str,
    permissions: Sequence[str],
) -> ProviderError:
    status = int(error.status_code or 0)
    code = str(error.error_code or "")
    vendor_code = None if code.isdigit() else code  # a bare status, not a vendor code
    message = _clean(account, error.error_msg) or f"HTTP {status}"
    request = f", request {error.request_id}" if error.request_id else ""
    detail = f"{message} (HTTP {status}{request})"
    if status == 429 or code == THROTTLE_CODE:
        return Throttled(
            f"{action} throttled by Huawei Cloud: {detail}",
            retry_after=THROTTLE_WAIT,
            vendor_code=vendor_code or THROTTLE_CODE,
        )
    if code == CREDENTIALS_CODE or status == 401:
        return AuthFailed(
            f"{action}: {_credential_hint(account, message)} ({detail})", vendor_code=vendor_code
        )
    if code in _PERMISSION_CODES or status == 403:
        grant = " + ".join(permissions) or "the product's IAM policies"
        return AuthFailed(
            f"{action}: the AK lacks a permission; grant {grant} to its IAM user ({detail})",
            vendor_code=vendor_code,
        )
    if status >= 500 or code in _TRANSIENT_CODES or _TRANSIENT_WORDS.search(message):
        return Transient(f"{action} failed, may pass: {detail}", vendor_code=vendor_code)
    if status == 409 and action in _TRANSIENT_CONFLICTS:
        return Transient(
            f"{action} collided with another change: {detail}", vendor_code=vendor_code
        )
    return Permanent(f"{action} failed: {detail}", vendor_code=vendor_code)


def _credential_hint(account: Account, message: str) -> str:
    ak = masked_key_id(account.access_key_id)
    lowered = message.lower()
    for needle, hint in _CREDENTIAL_HINTS:
        if needle in lowered:
            return hint.format(ak=ak)
    return f"Huawei Cloud rejected the credentials of AK {ak}; re-enter the account's access key"


def _clean(account: Account, value: object) -> str:
    """Vendor text without secrets; a gateway's HTML page loses its tags."""
    return scrubbed(value, account.secret, markup=True)
