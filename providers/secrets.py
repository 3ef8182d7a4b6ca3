"""A string that refuses to be printed, and vendor text cleared of secrets.

AK secrets and private keys travel from the vault to the SDK inside this wrapper so that a log
line, a traceback's locals, a ``repr`` in an error message or a metric label can never show them.
What a vendor sends back can echo them (a request body in an error message), so every vendor's
classifier passes that text through :func:`scrubbed` before it reaches an error.
"""

from __future__ import annotations

import re
from typing import Final

_MASK: Final = "********"
_PRIVATE_KEY: Final = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL
)
_MARKUP: Final = re.compile(r"<[^>]+>")


class Secret:
    """Holds a sensitive value; only :meth:`reveal` gives it back."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the value, for the one call that must send it to a vendor."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_MASK})"

    def __str__(self) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Secret values are not picklable; pass ids, not secrets")


def scrubbed(value: object, secret: Secret, *, limit: int = 300, markup: bool = False) -> str:
    """Vendor text fit for an error: no private key, no ``secret``, one line, ``limit`` long.

    ``markup=True`` also drops tags (a gateway's HTML error page). Secrets go first, so that
    shortening can never leave half a secret behind.
    """
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = _PRIVATE_KEY.sub("[private key removed]", str(value if value is not None else ""))
    revealed = secret.reveal()
    if revealed:
        text = text.replace(revealed, _MASK)
    if markup:
        text = _MARKUP.sub(" ", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def masked_key_id(access_key_id: str) -> str:
    """An access key id shortened for messages: enough to recognise it, not to use it."""
    return access_key_id[:8] + "…" if len(access_key_id) > 8 else access_key_id
