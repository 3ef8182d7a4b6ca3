"""SDK-HMAC-SHA256, checked exactly the way huaweicloudsdkcore's ``Signer`` computes it.

What the SDK (``huaweicloudsdkcore/signer/signer.py``) signs, and so what the gateway rebuilds:

* the canonical URI: the path *unquoted*, split on ``/``, each segment quoted with only ``~``
  kept safe (so ``*.a.com`` becomes ``%2A.a.com``, as real gateway answers show), then a
  trailing ``/`` forced;
* the canonical query: the query pairs sorted by name, each name and value quoted the same
  way; the SDK sends exactly this string as the URL's query, so the pairs are re-read in the
  order received (a stable sort by name) rather than re-sorted by value;
* every header the client lists in ``SignedHeaders`` as ``name:value`` (value stripped; the
  SDK sends UTF-8 bytes that HTTP servers read as ISO-8859-1, so they are decoded back);
* SHA-256 of the body, the empty-body hash for no body, or the ``X-Sdk-Content-Sha256``
  header's value when the client sent one (``UNSIGNED-PAYLOAD`` for streams);
* string to sign ``SDK-HMAC-SHA256\\n<X-Sdk-Date>\\n<sha256(canonical request)>``, signature
  ``hex(HMAC-SHA256(secret, string to sign))`` — no key derivation, unlike TC3 or SigV4.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote, unquote

from providers.emulators.huawei import errors
from providers.emulators.huawei.errors import ApiError

ALGORITHM: Final = "SDK-HMAC-SHA256"
DATE_FORMAT: Final = "%Y%m%dT%H%M%SZ"
MAX_SKEW_SECONDS: Final = 15 * 60  # "x-sdk-date值必须与当前时间相差在15min以内"
CONTENT_SHA256_HEADER: Final = "x-sdk-content-sha256"
_EMPTY_HASH: Final = hashlib.sha256(b"").hexdigest()
_IAM: Final = "Incorrect IAM authentication information"


@dataclass(frozen=True)
class Authorization:
    """The parsed ``Authorization`` header."""

    access_key: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> Authorization:
    """Parse ``SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex``; ValueError if not."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise ValueError("unsupported signing algorithm")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if sep:
            parts[key] = val.strip()
    signed = tuple(name.strip().lower() for name in parts.get("SignedHeaders", "").split(";"))
    if not parts.get("Access") or not parts.get("Signature") or not all(signed):
        raise ValueError("Access, SignedHeaders and Signature are required")
    if "x-sdk-date" not in signed:
        raise ValueError("x-sdk-date must be signed")
    return Authorization(parts["Access"], signed, parts["Signature"])


def canonical_uri(raw_path: str) -> str:
    segments = [quote(segment, safe="~") for segment in unquote(raw_path).split("/")]
    path = "/".join(segments)
    return path if path.endswith("/") else path + "/"


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """Decoded ``(name, value)`` pairs in the order they arrived (no ``+`` decoding, like APIG)."""
    pairs: list[tuple[str, str]] = []
    for item in raw_query.split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def canonical_query(raw_query: str) -> str:
    ordered = sorted(query_pairs(raw_query), key=lambda pair: pair[0])  # stable: values keep order
    return "&".join(f"{quote(name, safe='~')}={quote(value, safe='~')}" for name, value in ordered)


def payload_hash(body: bytes, headers: Mapping[str, str]) -> str:
    declared = headers.get(CONTENT_SHA256_HEADER)
    if declared:
        return declared
    return hashlib.sha256(body).hexdigest() if body else _EMPTY_HASH


def canonical_request(
    method: str,
    *,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    signed_headers: tuple[str, ...],
    body: bytes,
) -> str:
    """The canonical request; ``headers`` are keyed by lower-case name."""
    canonical_headers = "".join(
        f"{name}:{headers.get(name, '').strip()}\n" for name in signed_headers
    )
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path),
            canonical_query(raw_query),
            canonical_headers,
            ";".join(signed_headers),
            payload_hash(body, headers),
        ]
    )


def sign(secret_key: str, sdk_date: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = f"{ALGORITHM}\n{sdk_date}\n{digest}"
    return hmac.new(secret_key.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def check_date(sdk_date: str | None, now: float) -> None:
    """The gateway's APIGW.0301 for a missing, malformed or stale ``X-Sdk-Date``."""
    if not sdk_date:
        raise ApiError(401, errors.IAM_AUTH_FAILED, f"{_IAM}: x-sdk-date not found", gateway=True)
    try:
        signed_at = datetime.strptime(sdk_date, DATE_FORMAT).replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise ApiError(
            401, errors.IAM_AUTH_FAILED, f"{_IAM}: x-sdk-date format is invalid", gateway=True
        ) from None
    if abs(now - signed_at) > MAX_SKEW_SECONDS:
        raise ApiError(
            401,
            errors.IAM_AUTH_FAILED,
            f"{_IAM}: calc ak sk signature fail:signature expired",
            gateway=True,
        )


def verify(
    auth: Authorization,
    secret_key: str,
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
) -> None:
    """Raise APIGW.0301 unless ``auth`` signs this request with ``secret_key``.

    Like the real gateway, the message shows the canonical request it computed (newlines as
    ``|``), so a client author can diff it against their own; it holds no secret.
    """
    canonical = canonical_request(
        method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=headers,
        signed_headers=auth.signed_headers,
        body=body,
    )
    expected = sign(secret_key, headers.get("x-sdk-date", ""), canonical)
    if not hmac.compare_digest(expected, auth.signature):
        shown = canonical.replace("\n", "|")
        raise ApiError(
            401,
            errors.IAM_AUTH_FAILED,
            f"{_IAM}: verify aksk signature fail, canonicalRequest:{shown}",
            gateway=True,
        )
