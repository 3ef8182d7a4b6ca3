"""One Prometheus metrics directory per worker host, shared by dramatiq's worker processes.

dramatiq runs each worker host as a master process that forks N worker processes. Each process
counts its own deployments, so a scrape of any single process would see a fraction of the host.
prometheus-client's multiprocess mode fixes that: every process writes its values to memory-mapped
files in ``PROMETHEUS_MULTIPROC_DIR`` and one exposition process adds them up (counters and
histograms summed over every process that ever ran since the host started, gauges as declared
with ``multiprocess_mode``).

prometheus-client chooses its storage when it is first imported, so the variable must be set
before any process imports it: :func:`host_directory` runs in ``python -m workers`` before
dramatiq forks, and this module imports prometheus-client only inside functions. Operators name
the directory with ``CERTFLEET_METRICS_DIR`` rather than setting ``PROMETHEUS_MULTIPROC_DIR``
themselves: that variable switches every process that sees it (the ``certfleet`` CLI, the
scheduler) to multiprocess mode, and fails them when the directory does not exist yet.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

ENV = "PROMETHEUS_MULTIPROC_DIR"


def directory(environ: MutableMapping[str, str] | None = None) -> Path | None:
    """This host's metrics directory, or None when the process counts on its own."""
    value = (os.environ if environ is None else environ).get(ENV)
    return Path(value) if value else None


@contextmanager
def host_directory(
    configured: Path | None = None, environ: MutableMapping[str, str] | None = None
) -> Iterator[Path]:
    """Set up the directory for one run of a worker host, and clean up after it.

    ``configured`` (``CERTFLEET_METRICS_DIR``), else an inherited ``PROMETHEUS_MULTIPROC_DIR``,
    is created if needed and emptied of the previous run's files (stale files would add a dead
    run's counts to this one); otherwise a private temporary directory is made and removed at
    the end. Either way it is exported to the processes dramatiq forks.
    """
    environ = os.environ if environ is None else environ
    configured = configured or directory(environ)
    if configured is not None:
        configured.mkdir(parents=True, exist_ok=True)
        empty(configured)
        environ[ENV] = str(configured)
        yield configured
        return
    path = Path(tempfile.mkdtemp(prefix="certfleet-metrics-"))
    environ[ENV] = str(path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def empty(path: Path) -> None:
    """Remove the metric and heartbeat files of an earlier run (and nothing else)."""
    for pattern in ("*.db", "heartbeat-*"):
        for stale in path.glob(pattern):
            stale.unlink(missing_ok=True)


def registry(path: Path) -> CollectorRegistry:
    """A registry that reads every process's files in ``path``."""
    from prometheus_client import CollectorRegistry  # noqa: PLC0415 - see the module docstring
    from prometheus_client.multiprocess import MultiProcessCollector  # noqa: PLC0415

    collected = CollectorRegistry()
    MultiProcessCollector(collected, path=str(path))  # type: ignore[no-untyped-call]
    return collected


def mark_process_dead(pid: int, path: Path) -> None:
    """Drop a finished process's live gauges (its counters keep counting in the totals)."""
    from prometheus_client import multiprocess  # noqa: PLC0415

    multiprocess.mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]
