"""certfleet's configuration, read from the environment in one place.

Every process (CLI, scheduler, workers) calls :func:`load_settings`; nothing else reads
``CERTFLEET_*`` variables. With nothing set, certfleet runs embedded: SQLite in a per-user data
directory and an in-process worker. A ``CERTFLEET_BROKER_URL`` selects the distributed mode.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "CERTFLEET_"


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; the vault key itself is deliberately not part of it."""

    data_dir: Path
    database_url: str
    broker_url: str | None
    redis_url: str | None
    shards: int
    lease_seconds: int
    reap_grace_seconds: int
    max_transient_failures: int
    retry_base_seconds: float
    retry_max_seconds: float
    worker_threads: int
    metrics_port: int | None
    smtp_url: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    # Where /metrics, /healthz and /readyz listen when metrics_port is set. All interfaces by
    # default: Prometheus and the orchestrator's probes reach the process from outside.
    metrics_host: str = "0.0.0.0"  # noqa: S104
    log_format: str = "text"  # or "json": one object per line (workers.observability.logs)
    log_level: str | None = None  # None: WARNING for CLI commands, INFO for fleet processes
    metrics_dir: Path | None = None  # a worker host's multiprocess metrics (emptied at start)
    # Deployments of one queue (about one account) a worker process holds at once; None: half
    # its threads. See scheduler.cli.fleet.prefetch_for.
    queue_prefetch: int | None = None

    @property
    def embedded(self) -> bool:
        """True when no broker is configured: one process does everything."""
        return self.broker_url is None


def default_data_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/certfleet`` (``~/.local/share/certfleet``), like other CLI tools."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "certfleet"


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{PREFIX}{name}: expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{PREFIX}{name}: must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{PREFIX}{name}: expected a number, got {raw!r}") from None


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    raw = (env.get(PREFIX + name) or default).strip().lower()
    if raw not in choices:
        raise ValueError(f"{PREFIX}{name}: expected one of {', '.join(choices)}, got {raw!r}")
    return raw


def _log_level(env: Mapping[str, str]) -> str | None:
    raw = env.get(PREFIX + "LOG_LEVEL")
    if not raw:
        return None
    return _choice(env, "LOG_LEVEL", ("debug", "info", "warning", "error", "critical"), "").upper()


def _is_redis(url: str | None) -> bool:
    return url is not None and url.startswith(("redis://", "rediss://"))


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    data_dir = Path(env.get(PREFIX + "DATA_DIR") or default_data_dir(env))
    database_url = env.get(PREFIX + "DATABASE_URL") or f"sqlite:///{data_dir / 'certfleet.db'}"
    metrics = env.get(PREFIX + "METRICS_PORT")
    broker_url = env.get(PREFIX + "BROKER_URL") or None
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        broker_url=broker_url,
        redis_url=env.get(PREFIX + "REDIS_URL") or (broker_url if _is_redis(broker_url) else None),
        shards=_int(env, "SHARDS", 4, minimum=1),
        lease_seconds=_int(env, "LEASE_SECONDS", 30, minimum=3),
        reap_grace_seconds=_int(env, "REAP_GRACE_SECONDS", 30, minimum=1),
        max_transient_failures=_int(env, "MAX_TRANSIENT_FAILURES", 6, minimum=1),
        retry_base_seconds=_float(env, "RETRY_BASE_SECONDS", 2.0),
        retry_max_seconds=_float(env, "RETRY_MAX_SECONDS", 300.0),
        worker_threads=_int(env, "WORKER_THREADS", 8, minimum=1),
        metrics_port=int(metrics) if metrics else None,
        smtp_url=env.get(PREFIX + "SMTP_URL") or None,
        webhook_secret=env.get(PREFIX + "WEBHOOK_SECRET") or None,
        metrics_host=env.get(PREFIX + "METRICS_HOST") or "0.0.0.0",  # noqa: S104
        log_format=_choice(env, "LOG_FORMAT", ("text", "json"), "text"),
        log_level=_log_level(env),
        metrics_dir=Path(env[PREFIX + "METRICS_DIR"]) if env.get(PREFIX + "METRICS_DIR") else None,
        queue_prefetch=_int(env, "QUEUE_PREFETCH", 0, minimum=0) or None,
    )
