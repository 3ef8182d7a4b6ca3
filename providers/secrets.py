"""A string that refuses to be printed.

AK secrets and private keys travel from the vault to the SDK inside this wrapper so that a log
line, a traceback's locals, a ``repr`` in an error message or a metric label can never show them.
"""

from __future__ import annotations

from typing import Final

_MASK: Final = "********"


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
