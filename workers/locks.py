"""Named mutual exclusion for changes a vendor serialises (one change per load balancer).

:class:`LocalLocks` serves one process (embedded mode); :class:`RedisLocks` serves a fleet.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Protocol

import redis

from providers.errors import Transient


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


class RedisLocks:
    """Fleet-wide locks (redis-py's Lock: SET NX PX with a token, released by Lua).

    ``expire`` bounds how long a crashed holder can block others; ``wait`` how long a caller
    queues before giving up with a transient error (its deployment is retried later); ``poll``
    how often a waiter retries. redis-py's default of 0.1 s left a load balancer idle for 50 ms
    on average between two changes, and a queue of waiters for seconds.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        expire: float = 120.0,
        wait: float = 60.0,
        poll: float = 0.02,
    ) -> None:
        self._client = client
        self._expire = expire
        self._wait = wait
        self._poll = poll

    @contextmanager
    def _held(self, name: str) -> Iterator[None]:
        lock = self._client.lock(
            f"certfleet:lock:{name}",
            timeout=self._expire,
            sleep=self._poll,
            blocking_timeout=self._wait,
        )
        if not lock.acquire():
            raise Transient(f"another worker is still changing {name}; will retry")
        try:
            yield
        finally:
            # LockError: it expired while held (the call outlived `expire`); nothing to undo.
            with suppress(redis.exceptions.LockError):
                lock.release()

    def hold(self, name: str) -> AbstractContextManager[None]:
        return self._held(name)
