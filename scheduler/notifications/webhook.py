"""Webhooks: a JSON POST signed with HMAC-SHA256 over the exact body.

Receivers verify ``X-Certfleet-Signature: sha256=<hex>`` with the shared secret
(``CERTFLEET_WEBHOOK_SECRET``) and may de-duplicate on ``X-Certfleet-Delivery`` (deliveries are
at-least-once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any

SIGNATURE_HEADER = "X-Certfleet-Signature"
DELIVERY_HEADER = "X-Certfleet-Delivery"


def sign(secret: bytes, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class WebhookSender:
    """POSTs the task report; any non-2xx answer is an error the dispatcher retries."""

    def __init__(self, secret: str | None, timeout: float = 10.0) -> None:
        self._secret = secret.encode() if secret else None
        self._timeout = timeout

    def send(self, recipient: str, payload: dict[str, Any], delivery_id: str) -> None:
        body = json.dumps(payload, sort_keys=True, default=str).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "certfleet",
            DELIVERY_HEADER: delivery_id,
        }
        if self._secret:
            headers[SIGNATURE_HEADER] = sign(self._secret, body)
        request = urllib.request.Request(recipient, data=body, headers=headers, method="POST")  # noqa: S310 - contacts are validated http(s) URLs
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            raise OSError(f"webhook answered HTTP {error.code}") from None
        if not 200 <= status < 300:
            raise OSError(f"webhook answered HTTP {status}")
