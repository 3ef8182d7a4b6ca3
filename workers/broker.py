"""The dramatiq broker for this process, chosen by ``CERTFLEET_BROKER_URL``.

No URL: a :class:`StubBroker` for the embedded mode (same actors, same code paths, one process).
``redis://`` or ``amqp://``: the distributed mode. The broker must exist before actors are
declared, which is why :mod:`workers.actors` imports this module first.
"""

from __future__ import annotations

import zlib

import dramatiq
from dramatiq.brokers.stub import StubBroker

from ledger.settings import Settings, load_settings
from workers.observability.middleware import Observability

PROVIDERS = ("tencent", "aws", "huawei")


def build_broker(settings: Settings) -> dramatiq.Broker:
    """A broker for ``settings.broker_url`` (None → in-memory stub)."""
    url = settings.broker_url
    if url is None:
        return StubBroker()
    if url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker  # noqa: PLC0415 - only fleets need redis

        # dramatiq's defaults bring a SIGKILLed worker's messages back only after a 60 s
        # heartbeat timeout *and* a maintenance pass that runs on 0.1 % of commands (minutes on
        # a quiet queue). 10 s and 5 % (idle consumers poll every second, so a pass every few
        # seconds) bring them back within ~15 s; the reaper covers whatever still slips.
        return RedisBroker(  # type: ignore[no-untyped-call]
            url=url, heartbeat_timeout=10_000, maintenance_chance=50_000
        )
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker  # noqa: PLC0415

        return RabbitmqBroker(url=url)
    raise ValueError(
        f"CERTFLEET_BROKER_URL: unsupported scheme in {url!r}; use redis:// or amqp://"
    )


def queue_name(provider: str, account_id: int, shards: int) -> str:
    """``deploy.<provider>.<shard>``; an account always lands on the same shard."""
    shard = zlib.crc32(str(account_id).encode()) % shards
    return f"deploy.{provider}.{shard}"


def all_queues(shards: int) -> list[str]:
    """Every deploy queue, so a worker started without ``--queues`` consumes them all."""
    return [f"deploy.{p}.{s}" for p in PROVIDERS for s in range(shards)]


SETTINGS = load_settings()
BROKER = build_broker(SETTINGS)
BROKER.add_middleware(Observability(SETTINGS))  # metrics, heartbeats, log context, endpoint
dramatiq.set_broker(BROKER)
for _queue in all_queues(SETTINGS.shards):
    BROKER.declare_queue(_queue)
