"""The token-bucket interface the call hooks use."""

from __future__ import annotations

from typing import NamedTuple, Protocol


class Reservation(NamedTuple):
    """The answer to a request for a token.

    ``granted``: a token is the caller's, usable after ``wait`` seconds (0: now). Not granted:
    nothing was taken, and the bucket's queue is ``wait`` seconds long.
    """

    granted: bool
    wait: float


class TokenBuckets(Protocol):
    """A set of token buckets keyed by string, each refilled at its own rate.

    A caller reserves its token and sleeps until it is due, instead of polling: callers are
    served in the order they asked (no thread starves while others are lucky), the bucket is
    asked once per call, and a queue longer than the caller will wait is refused up front.
    """

    def reserve(self, key: str, rate: float, burst: float, max_wait: float) -> Reservation:
        """Reserve the next token if it is due within ``max_wait`` seconds."""
        ...

    def slow_down(self, key: str, factor: float, seconds: float) -> None:
        """Multiply the key's rate by ``factor`` (< 1) for ``seconds`` (adaptive throttling)."""
        ...
