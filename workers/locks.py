"""Named mutual exclusion for changes a vendor serialises (one change per load balancer).

:class:`LocalLocks` serves one process (embedded mode); a Redis implementation serves a fleet.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol


class Locks(Protocol):
    """A family of locks addressed by name."""

    def hold(self, name: str) -> AbstractContextManager[None]:
        """Block until the lock called ``name`` is ours; release it when the block ends."""
        ...


class LocalLocks:
    """In-process locks; entries are kept (a few per load balancer is negligible)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @contextmanager
    def _held(self, name: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            yield

    def hold(self, name: str) -> AbstractContextManager[None]:
        return self._held(name)
