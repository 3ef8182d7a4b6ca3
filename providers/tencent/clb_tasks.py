"""Waiting for CLB's asynchronous changes: DescribeTaskStatus until done, within a bound.

ModifyListener and ModifyDomainAttributes only *start* a change; its RequestId is the task to
poll (0 succeeded, 1 failed with a Message, 2 running). A deployment must not report success
before the task has succeeded — peers that skipped this reported bindings that never happened.

The wait is bounded: a worker thread must not be pinned by a slow vendor, and the fleet-wide
lock on the load balancer must be released before it expires. A task still running at the
bound is Transient; the retry reads the listener first, so it neither repeats a change that
meanwhile completed nor starts one while the first still runs (the vendor would refuse it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from providers.errors import Permanent, Throttled, Transient

SUCCEEDED: Final = 0
FAILED: Final = 1
RUNNING: Final = 2


@dataclass(frozen=True)
class TaskPolling:
    """How to poll: first wait, growth, longest wait between polls, and the overall bound.

    CLB tasks usually finish within seconds; 60 s stays well inside the fleet lock's expiry
    (120 s), so a waiting worker never outlives its lock.
    """

    first_wait: float = 0.5
    growth: float = 1.5
    longest_wait: float = 3.0
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def wait_for_task(
    status_of: Callable[[], Mapping[str, Any]], polling: TaskPolling, what: str
) -> None:
    """Poll ``status_of()`` (one DescribeTaskStatus answer) until the task has succeeded.

    Raises Permanent (with the vendor's Message) if it failed, Transient if it is still
    running at the bound. A throttled or transient poll is waited out within the bound: the
    change was submitted, so giving up on the poll alone would only hide its outcome.
    """
    deadline = polling.clock() + polling.timeout
    wait = polling.first_wait
    last_problem = "still running"
    while True:
        polling.sleep(wait)
        try:
            answer = status_of()
        except (Throttled, Transient) as problem:
            last_problem = f"status unknown ({problem})"
        else:
            status = answer.get("Status")
            if status == SUCCEEDED:
                return
            if status == FAILED:
                message = str(answer.get("Message") or "no reason given")
                raise Permanent(f"{what}: the load balancer's change failed: {message}")
            last_problem = "still running"
        if polling.clock() + wait > deadline:
            raise Transient(
                f"{what}: change {last_problem} after {polling.timeout:g}s; "
                "a retry reads the listener first and will not change it twice"
            )
        wait = min(wait * polling.growth, polling.longest_wait)
