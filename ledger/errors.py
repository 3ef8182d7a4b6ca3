"""Errors the ledger raises; each names what is wrong and how to fix it, in one line.

The CLI prints ``str(error)`` as-is and exits with code 2 for every :class:`InputError`, so the
messages are written for the person at the terminal.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""


class InputError(LedgerError):
    """Something the user supplied is wrong; ``field`` names it so the message can say so."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidCertificate(InputError):
    """A certificate bundle failed validation (PEM, key, chain, validity, names)."""


class QuotaExhausted(LedgerError):
    """A submission needs more deployment quota than the balance holds; nothing was written."""

    def __init__(self, needed: int, balance: int) -> None:
        super().__init__(
            f"quota: this task needs {needed} deployment units but the balance is {balance}; "
            f"buy at least {needed - balance} more with `certfleet quota buy`"
        )
        self.needed = needed
        self.balance = balance


class NotFound(InputError):
    """A referenced account, certificate or task does not exist."""


class Conflict(LedgerError):
    """A state change lost a race or is not allowed from the current state."""
