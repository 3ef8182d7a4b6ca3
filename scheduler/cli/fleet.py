"""Fleet processes: ``certfleet worker`` and ``certfleet scheduler``.

``certfleet worker`` is a thin front for dramatiq's own CLI (``dramatiq workers.actors``), which
operators may also run directly; it only spells the deploy queue names for a provider or shards,
and runs it as ``python -m workers`` so the host gets one metrics directory, one endpoint and the
configured logging (see :mod:`workers.__main__`).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated

import typer

from ledger.errors import InputError
from scheduler.cli.context import CONTEXT
from scheduler.cli.output import console
from scheduler.notifications.dispatch import Dispatcher
from workers.observability.logs import configure_logging

log = logging.getLogger("certfleet.scheduler")
PROVIDERS = ("tencent", "aws", "huawei")
MetricsPortOption = Annotated[
    int | None,
    typer.Option(
        help="Serve /metrics, /healthz and /readyz on this port [default: CERTFLEET_METRICS_PORT]"
    ),
]


def prefetch_for(threads: int, configured: int | None) -> int:
    """Messages of one queue a worker process takes before finishing any (dramatiq's prefetch).

    dramatiq hands a process's threads the messages of all its queues in the order it fetched
    them, and by default fetches up to twice its threads from *each* queue. With several busy
    accounts, one account's fetched backlog then holds every thread (waiting on that account's
    rate limit) while the next account's messages wait behind it: in a 5-account campaign the
    last accounts started 12 s late. Fetching at most half the threads per queue keeps a
    process's threads shared between accounts, and still lets one account use half of them
    (more than its vendor budget keeps busy).
    """
    return configured if configured else max(1, threads // 2)


def worker(
    ctx: typer.Context,
    processes: Annotated[int, typer.Option(help="Worker processes")] = 2,
    threads: Annotated[int, typer.Option(help="Threads per process")] = 8,
    prefetch: Annotated[
        int | None,
        typer.Option(
            help="Deployments of one queue a process holds at once "
            "[default: CERTFLEET_QUEUE_PREFETCH, else half the threads]",
            min=1,
        ),
    ] = None,
    provider: Annotated[
        list[str] | None, typer.Option(help="Only these providers' queues (default: all)")
    ] = None,
    shard: Annotated[
        list[int] | None, typer.Option(help="Only these shards (default: all)")
    ] = None,
    metrics_port: MetricsPortOption = None,
) -> None:
    """Run dramatiq workers on the deploy queues (fleet mode); extra args go to dramatiq."""
    settings = CONTEXT.settings
    if settings.embedded:
        raise InputError(
            "CERTFLEET_BROKER_URL", "set it to redis://… or amqp://… to run fleet workers"
        )
    providers = provider or list(PROVIDERS)
    unknown = [p for p in providers if p not in PROVIDERS]
    if unknown:
        raise InputError("--provider", f"unknown provider {unknown[0]!r}; use {PROVIDERS}")
    shards = shard if shard is not None else list(range(settings.shards))
    if any(not 0 <= s < settings.shards for s in shards):
        raise InputError("--shard", f"shards are 0..{settings.shards - 1} (CERTFLEET_SHARDS)")
    queues = [f"deploy.{p}.{s}" for p in providers for s in shards]
    argv = [
        sys.executable,
        "-m",
        "workers",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--queues",
        *queues,
        *ctx.args,
    ]
    env = dict(os.environ)
    env["dramatiq_queue_prefetch"] = str(prefetch or prefetch_for(threads, settings.queue_prefetch))
    if metrics_port is not None:
        env["CERTFLEET_METRICS_PORT"] = str(metrics_port)
    sys.stdout.flush()
    os.execve(sys.executable, argv, env)  # noqa: S606 - replacing ourselves with dramatiq's CLI


def scheduler(
    once: Annotated[bool, typer.Option(help="Run one pass and exit")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between passes")] = 1.0,
    metrics_port: MetricsPortOption = None,
) -> None:
    """Start due tasks and re-enqueue orphaned deployments until SIGTERM (or --once)."""
    from scheduler import process  # noqa: PLC0415 - imports the broker
    from scheduler.service import Scheduler  # noqa: PLC0415
    from workers import actors  # noqa: PLC0415

    settings = CONTEXT.settings
    configure_logging(settings.log_format, settings.log_level or "INFO")
    notifier = Dispatcher.from_environment(
        CONTEXT.database, settings.smtp_url, settings.webhook_secret
    )
    loop = Scheduler(
        CONTEXT.database,
        actors.enqueue,
        reap_grace_seconds=settings.reap_grace_seconds,
        queue_of=actors.queue_of,
        notifier=notifier,
    )
    running = process.SchedulerProcess(loop, interval=interval)
    if once:
        tick = running.run_once()
        if tick is not None:
            console.print(
                f"started {tick.started_tasks} tasks, enqueued {tick.enqueued}, "
                f"re-enqueued {tick.reaped}"
            )
        return
    port = metrics_port if metrics_port is not None else settings.metrics_port
    process.serve(running, CONTEXT.database, settings.metrics_host, port)
