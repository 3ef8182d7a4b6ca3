"""CPU seconds and peak memory of the processes a bench starts, read from ``/proc``.

A ``certfleet worker`` is a dramatiq master that forks worker processes; a process SIGKILLed by
the chaos supervisor takes its counters with it. :class:`ProcessWatch` therefore samples every
descendant of the watched roots once a period and keeps the last figures it saw of each, so a
killed process still counts (up to one period of its last work is lost, which the figures say).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

PROC: Final = Path("/proc")
TICKS_PER_SECOND: Final = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessSample:
    """What ``/proc`` said about one process the last time it was read."""

    pid: int
    parent: int
    command: str
    cpu_seconds: float  # user + system, this process only
    peak_rss_bytes: int  # VmHWM: the most resident memory it ever had


def read_sample(pid: int) -> ProcessSample | None:
    """The process's figures now; None if it is gone (or a zombie without them)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        status = (PROC / str(pid) / "status").read_text()
        command = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name in parentheses may hold spaces; the fields after it are fixed.
    fields = stat[stat.rindex(")") + 2 :].split()
    parent, utime, stime = int(fields[1]), int(fields[11]), int(fields[12])
    peak = 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) * 1024
    return ProcessSample(pid, parent, command.strip(), (utime + stime) / TICKS_PER_SECOND, peak)


def descendants(roots: Iterable[int]) -> set[int]:
    """The roots and every process below them."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    pending = list(roots)
    while pending:
        pid = pending.pop()
        if pid in found:
            continue
        found.add(pid)
        pending.extend(children.get(pid, ()))
    return found


class ProcessWatch:
    """Samples the process trees under ``roots()`` every ``period`` seconds in a thread.

    ``roots`` is asked on every pass, so processes restarted under new pids are picked up.
    """

    def __init__(self, roots: Callable[[], Iterable[int]], period: float = 1.0) -> None:
        self._roots = roots
        self._period = period
        self._lock = threading.Lock()
        self._last: dict[int, ProcessSample] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="process-watch", daemon=True)

    def __enter__(self) -> ProcessWatch:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            self.sample()

    def sample(self) -> None:
        """Read every process under the roots now (call once more just before stopping them)."""
        for pid in descendants(self._roots()):
            sample = read_sample(pid)
            if sample is not None:
                with self._lock:
                    self._last[(pid)] = sample

    def samples(self) -> list[ProcessSample]:
        with self._lock:
            return list(self._last.values())


@dataclass(frozen=True)
class WorkerUsage:
    """CPU and memory of a fleet's worker processes over one run."""

    cpu_seconds: float  # every process of every worker tree (masters and forks)
    worker_processes: int  # the forked processes that run actors
    peak_rss_mb_max: float
    peak_rss_mb_mean: float


def worker_usage(samples: Iterable[ProcessSample], baseline: dict[int, float]) -> WorkerUsage:
    """Sum CPU since ``baseline`` (pid -> CPU seconds at the start) and summarise peak RSS.

    The processes that run actors are the leaves: a dramatiq master forks them and does no
    deployment work itself (its CPU still counts in the total).
    """
    samples = list(samples)
    parents = {s.parent for s in samples}
    cpu = sum(max(0.0, s.cpu_seconds - baseline.get(s.pid, 0.0)) for s in samples)
    leaves = [s for s in samples if s.pid not in parents]
    peaks = [s.peak_rss_bytes / 2**20 for s in leaves] or [0.0]
    return WorkerUsage(
        cpu_seconds=cpu,
        worker_processes=len(leaves),
        peak_rss_mb_max=max(peaks),
        peak_rss_mb_mean=sum(peaks) / len(peaks),
    )


def own_cpu_seconds() -> float:
    """CPU seconds of this process (all its threads): the in-process emulators' cost."""
    times = os.times()
    return times.user + times.system


def cpu_of_commands(prefix: str) -> float:
    """CPU seconds of every live process whose command line starts with ``prefix`` (e.g. the
    PostgreSQL server's ``postgres: …`` backends)."""
    total = 0.0
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            sample = read_sample(int(entry.name))
            if sample is not None and sample.command.startswith(prefix):
                total += sample.cpu_seconds
    return total


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from ``/proc/stat``."""
    fields = [int(x) for x in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(fields[:8])
    idle = fields[3] + fields[4]
    return (total - idle) / TICKS_PER_SECOND, total / TICKS_PER_SECOND
