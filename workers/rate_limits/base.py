"""The token-bucket interface the call hooks use."""

from __future__ import annotations

from typing import Protocol


class TokenBuckets(Protocol):
    """A set of token buckets keyed by string, each refilled at its own rate."""

    def try_acquire(self, key: str, rate: float, burst: float) -> float:
        """Take one token now if possible and return 0; else return seconds until one is free.

        A positive answer reserves nothing: the caller waits that long and asks again.
        """
        ...

    def slow_down(self, key: str, factor: float, seconds: float) -> None:
        """Multiply the key's rate by ``factor`` (< 1) for ``seconds`` (adaptive throttling)."""
        ...
