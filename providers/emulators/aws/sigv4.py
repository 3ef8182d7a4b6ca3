"""Signature Version 4 checks, recomputed with botocore's own signer.

moto accepts any signature, so without this a wrong secret would "work" in tests and fail in
production. We rebuild the request from the headers the client says it signed and let
botocore's :class:`~botocore.auth.SigV4Auth` compute the signature it would have sent; reusing
the SDK's canonicalisation means we check exactly what AWS checks, byte for byte.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from providers.emulators.aws.wire import ApiRequest

ALGORITHM: Final = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS: Final = 15 * 60  # AWS refuses requests signed more than 15 minutes off
_FIELD: Final = re.compile(r"(\w+)=([^,\s]+)")


class SignatureRefused(Exception):
    """The request is not signed as AWS requires; ``kind`` picks the code AWS answers."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "token" (unknown key), "signature" (wrong secret) or "incomplete"
        self.message = message


@dataclass(frozen=True)
class Authorization:
    """The parts of an ``Authorization: AWS4-HMAC-SHA256 …`` header."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(header: str) -> Authorization:
    """Split the header; SignatureRefused("incomplete") when it is not SigV4."""
    if not header.startswith(ALGORITHM + " "):
        raise SignatureRefused(
            "incomplete", "Authorization header requires AWS4-HMAC-SHA256 signing."
        )
    fields = dict(_FIELD.findall(header[len(ALGORITHM) :]))
    scope = fields.get("Credential", "").split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not fields.get("Signature"):
        raise SignatureRefused(
            "incomplete",
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders'.",
        )
    signed = tuple(fields.get("SignedHeaders", "").split(";"))
    return Authorization(scope[0], scope[1], scope[2], scope[3], signed, fields["Signature"])


def verify(
    request: ApiRequest,
    auth: Authorization,
    secret: str,
    *,
    session_token: str | None = None,
    now: datetime | None = None,
) -> None:
    """Raise SignatureRefused unless ``request`` carries a valid signature made with ``secret``."""
    stamp = request.headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise SignatureRefused("incomplete", "X-Amz-Date is missing or malformed.") from None
    moment = now or datetime.now(UTC)
    if abs((moment - signed_at).total_seconds()) > MAX_SKEW_SECONDS:
        raise SignatureRefused(
            "signature",
            f"Signature expired: {stamp} is now earlier than the allowed 15 minutes window.",
        )
    if stamp[:8] != auth.date or "host" not in auth.signed_headers:
        raise SignatureRefused("signature", _MISMATCH)
    if session_token is not None and request.headers.get("x-amz-security-token") != session_token:
        raise SignatureRefused("token", "The security token included in the request is invalid.")
    expected = _signature(request, auth, secret, stamp)
    if not hmac.compare_digest(expected, auth.signature):
        raise SignatureRefused("signature", _MISMATCH)


def _signature(request: ApiRequest, auth: Authorization, secret: str, stamp: str) -> str:
    headers = {name: request.headers.get(name, "") for name in auth.signed_headers}
    url = f"http://{request.headers.get('host', '')}{request.target}"
    rebuilt = AWSRequest(method=request.method, url=url, headers=headers, data=request.body)
    rebuilt.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials(auth.access_key, secret), auth.service, auth.region)
    canonical = signer.canonical_request(rebuilt)
    return str(signer.signature(signer.string_to_sign(rebuilt, canonical), rebuilt))


_MISMATCH: Final = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details."
)
