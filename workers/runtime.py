"""What a worker process shares between its actor invocations: database, vault, hooks, policy.

Built lazily once per process from :func:`ledger.settings.load_settings`, so ``dramatiq workers``
(which imports the actor module and nothing else) and the embedded runner configure themselves the
same way. Tests and the embedded runner may install their own with :func:`install`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import redis

from ledger.db import Database
from ledger.settings import Settings, load_settings
from ledger.vault import Vault, load_vault
from providers import registry
from providers.base import CallHooks
from workers.call_hooks import FleetHooks
from workers.locks import LocalLocks, Locks, RedisLocks
from workers.rate_limits.base import TokenBuckets
from workers.rate_limits.local import LocalTokenBuckets
from workers.rate_limits.redis import RedisTokenBuckets
from workers.retry_policy import RetryPolicy


@dataclass
class Runtime:
    """The worker-side services one process uses."""

    settings: Settings
    database: Database
    vault: Vault
    hooks: CallHooks
    policy: RetryPolicy
    verify_tls: bool = True


def product_rates() -> dict[str, float]:
    """``provider.family`` → requests/second, from every product's published metadata."""
    rates: dict[str, float] = {}
    for info in registry.PRODUCTS.values():
        provider = info.name.split(".", 1)[0]
        for family, rate in info.rate_limits.items():
            key = f"{provider}.{family}"
            rates[key] = min(rate, rates.get(key, rate))
    return rates


def per_action_families() -> frozenset[str]:
    """``provider.family`` keys whose rate the vendor applies to each action on its own."""
    return frozenset(
        f"{info.name.split('.', 1)[0]}.{family}"
        for info in registry.PRODUCTS.values()
        if info.limited_per_action
        for family in info.rate_limits
    )


def _shared_state(settings: Settings) -> tuple[TokenBuckets, Locks]:
    """Rate limits and locks: in Redis for a fleet, in this process when embedded."""
    if settings.redis_url:
        client = redis.Redis.from_url(settings.redis_url, socket_timeout=5)
        return RedisTokenBuckets(client), RedisLocks(client)
    if not settings.embedded:
        log.warning(
            "no CERTFLEET_REDIS_URL: rate limits and locks are per process; run one worker process"
        )
    return LocalTokenBuckets(), LocalLocks()


def build_runtime(settings: Settings | None = None) -> Runtime:
    """A runtime from the environment's settings."""
    settings = settings or load_settings()
    database = Database(settings.database_url)
    vault = load_vault(settings.data_dir, embedded=settings.embedded)
    hooks = FleetHooks(*_shared_state(settings), product_rates(), per_action=per_action_families())
    policy = RetryPolicy(
        max_transient_failures=settings.max_transient_failures,
        base_seconds=settings.retry_base_seconds,
        max_seconds=settings.retry_max_seconds,
    )
    return Runtime(settings, database, vault, hooks, policy)


log = logging.getLogger("certfleet.worker")
_lock = threading.Lock()
_runtime: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    """Use ``runtime`` in this process (None forgets it, so the next use rebuilds)."""
    global _runtime  # noqa: PLW0603 - one runtime per process is the point
    with _lock:
        _runtime = runtime


def current() -> Runtime:
    """This process's runtime, built on first use."""
    global _runtime  # noqa: PLW0603
    with _lock:
        if _runtime is None:
            _runtime = build_runtime()
        return _runtime
