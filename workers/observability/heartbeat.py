"""Worker processes telling their host's health endpoint that they are alive.

Each worker process touches ``heartbeat-<pid>`` in the host's metrics directory every few
seconds from a daemon thread, and removes it when it shuts down cleanly. The endpoint (another
process) counts the fresh files: none means no worker process on this host is alive.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

PREFIX = "heartbeat-"
INTERVAL_SECONDS = 5.0
STALE_AFTER_SECONDS = 20.0


class Heartbeat:
    """Context of one process: start() begins touching its file, stop() removes it."""

    def __init__(self, directory: Path, interval: float = INTERVAL_SECONDS) -> None:
        self.path = directory / f"{PREFIX}{os.getpid()}"
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def _run(self) -> None:
        while True:
            try:
                self.path.touch()
            except OSError:  # the directory went away (host shutting down): nothing to report to
                return
            if self._stop.wait(self._interval):
                return

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.path.unlink(missing_ok=True)


def alive(
    directory: Path,
    max_age: float = STALE_AFTER_SECONDS,
    clock: Callable[[], float] = time.time,
) -> list[int]:
    """Pids whose heartbeat is at most ``max_age`` seconds old."""
    now = clock()
    pids = []
    for beat in directory.glob(f"{PREFIX}*"):
        try:
            fresh = now - beat.stat().st_mtime <= max_age
        except FileNotFoundError:
            continue
        if fresh:
            pids.append(int(beat.name.removeprefix(PREFIX)))
    return sorted(pids)
