"""TC3-HMAC-SHA256, computed exactly as tencentcloud-sdk-python's ``AbstractClient`` does.

The SDK (``_build_req_with_tc3_signature`` / ``_get_tc3_signature`` / ``Sign.sign_tc3``) signs
``POST / ""`` with the signed headers' values as sent (stripped, not lower-cased), hashes the
raw body (or the literal ``UNSIGNED-PAYLOAD`` when ``X-TC-Content-SHA256`` says so), and derives
the key with HMAC-SHA256 over ``"TC3"+secret``, the UTC date, the service and ``tc3_request``.
Verifying with the same steps means a request the real SDK signed always passes here, and one
signed with the wrong secret fails the way it fails at Tencent.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from providers.emulators.tencent import errors
from providers.emulators.tencent.errors import ApiError

ALGORITHM: Final = "TC3-HMAC-SHA256"
MAX_SKEW_SECONDS: Final = 300  # "Timestamp 和服务器时间相差不得超过五分钟"
UNSIGNED_PAYLOAD: Final = "UNSIGNED-PAYLOAD"


@dataclass(frozen=True)
class Authorization:
    """The parsed ``Authorization`` header."""

    secret_id: str
    date: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> Authorization:
    """Parse ``TC3-HMAC-SHA256 Credential=id/date/service/tc3_request, SignedHeaders=…, …``."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise ValueError("unsupported algorithm")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if sep:
            parts[key] = val
    scope = parts.get("Credential", "").split("/")
    if len(scope) != 4 or scope[3] != "tc3_request" or not all(scope):
        raise ValueError("bad credential scope")
    signed = tuple(h.strip().lower() for h in parts.get("SignedHeaders", "").split(";"))
    if "host" not in signed or "content-type" not in signed or not parts.get("Signature"):
        raise ValueError("host and content-type must be signed")
    return Authorization(scope[0], scope[1], scope[2], signed, parts["Signature"])


def payload_hash(body: bytes, content_sha256: str | None) -> str:
    """SHA-256 hex of the body, or of the marker when the client sent an unsigned payload."""
    if content_sha256 == UNSIGNED_PAYLOAD:
        return hashlib.sha256(UNSIGNED_PAYLOAD.encode()).hexdigest()
    return hashlib.sha256(body).hexdigest()


def string_to_sign(
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: tuple[str, ...],
    hashed_payload: str,
    timestamp: str,
    date: str,
    service: str,
) -> str:
    """The TC3 string to sign; ``headers`` is keyed by lower-case header name."""
    canonical_headers = "".join(
        f"{name}:{headers.get(name, '').strip()}\n" for name in signed_headers
    )
    canonical = "\n".join(
        [method, path, query, canonical_headers, ";".join(signed_headers), hashed_payload]
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{date}/{service}/tc3_request\n{digest}"


def signature(secret_key: str, date: str, service: str, to_sign: str) -> str:
    """HMAC chain of the SDK's ``Sign.sign_tc3``."""

    def _hmac(key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode(), hashlib.sha256).digest()

    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def check_timestamp(timestamp: str | None, now: float) -> datetime:
    """The request time, or the vendor's error for a missing or stale ``X-TC-Timestamp``."""
    if not timestamp or not timestamp.isdigit():
        raise ApiError(errors.MISSING_PARAMETER, "The request is missing X-TC-Timestamp.")
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        raise ApiError(
            errors.SIGNATURE_EXPIRE,
            "Signature expired. Timestamp and server time cannot differ by more than 5 minutes.",
        )
    return datetime.fromtimestamp(int(timestamp), UTC)


def verify(
    auth: Authorization,
    secret_key: str,
    *,
    method: str,
    headers: Mapping[str, str],
    body: bytes,
    timestamp: str,
) -> None:
    """Raise the vendor's SignatureFailure unless ``auth`` signs this request with the key."""
    signed_at = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d")
    if auth.date != signed_at:
        raise ApiError(
            errors.SIGNATURE_FAILURE,
            "The credential scope date does not match X-TC-Timestamp (UTC).",
        )
    to_sign = string_to_sign(
        method=method,
        path="/",
        query="",
        headers=headers,
        signed_headers=auth.signed_headers,
        hashed_payload=payload_hash(body, headers.get("x-tc-content-sha256")),
        timestamp=timestamp,
        date=auth.date,
        service=auth.service,
    )
    expected = signature(secret_key, auth.date, auth.service, to_sign)
    if not hmac.compare_digest(expected, auth.signature):
        raise ApiError(
            errors.SIGNATURE_FAILURE,
            "The provided credentials could not be validated. "
            "Please check your signature is correct.",
        )
