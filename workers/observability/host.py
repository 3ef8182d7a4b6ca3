"""A worker host's endpoint: the sum of its processes' metrics, and its health.

dramatiq runs :func:`serve` as a fork process of the worker host's master (the middleware lists
it in ``forks``), so there is one endpoint per host however many worker processes it runs, and
it stops with them.

* ``/healthz``: at least one worker process on this host has sent a heartbeat recently.
* ``/readyz``: that, and the database and the broker answer (checked at most every 2 s).
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from urllib.parse import urlsplit

import redis
from sqlalchemy import text

from ledger.db import Database
from ledger.settings import Settings, load_settings
from workers.observability import exposition, heartbeat, multiprocess
from workers.observability.exposition import Check, Endpoint

log = logging.getLogger("certfleet.metrics")

CHECK_TIMEOUT_SECONDS = 2.0
CHECK_CACHE_SECONDS = 2.0


def workers_alive(directory: Path) -> Check:
    """Liveness: some worker process on this host has a fresh heartbeat."""

    def check() -> str | None:
        if heartbeat.alive(directory):
            return None
        return f"no worker process heartbeat in the last {heartbeat.STALE_AFTER_SECONDS:.0f}s"

    return check


def database_answers(database: Database) -> Check:
    """Readiness: the ledger database accepts a trivial query."""

    def check() -> str | None:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None

    return check


def broker_answers(url: str | None) -> Check:
    """Readiness: Redis answers PING, or the AMQP port accepts a connection."""

    def check() -> str | None:
        if url is None:
            return None
        if url.startswith(("redis://", "rediss://")):
            client = redis.Redis.from_url(
                url, socket_timeout=CHECK_TIMEOUT_SECONDS, socket_connect_timeout=2
            )
            try:
                client.ping()
            finally:
                client.close()
            return None
        parts = urlsplit(url)
        port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
        with socket.create_connection((parts.hostname or "localhost", port), CHECK_TIMEOUT_SECONDS):
            return None

    return check


def endpoint(settings: Settings, directory: Path) -> Endpoint:
    """The host's registry (every process's files) and health checks."""
    database = Database(settings.database_url)
    return Endpoint(
        registry=multiprocess.registry(directory),
        liveness={"worker_processes": workers_alive(directory)},
        readiness={
            "database": exposition.cached(database_answers(database), CHECK_CACHE_SECONDS),
            "broker": exposition.cached(broker_answers(settings.broker_url), CHECK_CACHE_SECONDS),
        },
    )


def serve() -> int:
    """dramatiq fork function: serve this host's endpoint until the host stops."""
    settings = load_settings()
    directory = multiprocess.directory()
    if directory is None or settings.metrics_port is None:
        log.error("no metrics directory or port: the worker host endpoint is not started")
        return 1
    try:
        server = exposition.bind(
            endpoint(settings, directory), settings.metrics_host, settings.metrics_port
        )
    except OSError as error:
        log.error(
            "cannot serve metrics on %s:%s: %s", settings.metrics_host, settings.metrics_port, error
        )
        return 1
    log.info(
        "worker host: /metrics, /healthz and /readyz on %s:%s (metrics of %s)",
        settings.metrics_host,
        settings.metrics_port,
        directory,
    )
    server.serve_forever()
    return 0
