"""Staged rollout: canary first, halt on a failure spike, resume or cancel by an operator.

Called after every deployment that ends (:func:`advance`), so a task reacts within one
deployment of its canary finishing or its failure share crossing the threshold. Halting pauses
what has not started ("paused", not failed: nothing is refunded until an operator cancels);
running deployments finish. Every change is a compare-and-set on the task's status, so many
workers calling this at once decide once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger import send_order, tasks
from ledger.db import changed
from ledger.errors import Conflict
from ledger.models import TERMINAL_STATES, Deployment, Task
from ledger.timeutil import utcnow


@dataclass(frozen=True)
class Advance:
    """What :func:`advance` decided: deployments to enqueue now, and the task's new state."""

    released: list[int] = field(default_factory=list)
    halted: bool = False
    finished: str | None = None


def advance(session: Session, task_id: int, *, failed: bool) -> Advance:
    """Release after a good canary, halt on a bad one or a failure spike, or finish.

    Called after every terminal deployment (``failed``: whether this one failed), so the
    common case must stay cheap: the task's deployments are counted only when a failure may
    have pushed its failure share over the halt threshold (a success never can).
    """
    task = session.get(Task, task_id)
    if task is None or task.status != "running":
        return Advance()
    if task.canary:
        canary_states = _canary_states(session, task_id)
        if canary_states and all(s in TERMINAL_STATES for s in canary_states):
            if "failed" in canary_states:
                return Advance(halted=halt(session, task, "canary failed"))
            released = _release(session, task)
            return Advance(released=released, finished=tasks.finish_if_done(session, task_id))
        # the canary is still running: judge nothing else yet
        return Advance(finished=tasks.finish_if_done(session, task_id))
    rate = task.halt_failure_rate
    if failed and rate is not None:
        counts = tasks.progress(session, task_id)
        finished = counts["succeeded"] + counts["failed"]
        if (
            finished >= task.halt_min_finished
            and counts["failed"] / finished > rate
            and counts["pending"] + counts["queued"] > 0
        ):
            share = f"{counts['failed']}/{finished} deployments failed (over {rate:.0%})"
            return Advance(halted=halt(session, task, share))
    return Advance(finished=tasks.finish_if_done(session, task_id))


def _canary_states(session: Session, task_id: int) -> list[str]:
    return list(
        session.execute(
            select(Deployment.state).where(
                Deployment.task_id == task_id, Deployment.canary.is_(True)
            )
        ).scalars()
    )


def _release(session: Session, task: Task) -> list[int]:
    """The canary passed: the rest may go, and the canary gate is done with."""
    if (
        changed(
            session,
            update(Task).where(Task.id == task.id, Task.canary.is_not(None)).values(canary=None),
        )
        != 1
    ):
        return []
    return _queue_pending(session, task.id, ("pending",))


def _queue_pending(session: Session, task_id: int, states: tuple[str, ...]) -> list[int]:
    ids = send_order.deployment_ids(
        session, Deployment.task_id == task_id, Deployment.state.in_(states)
    )
    if ids:
        session.execute(
            update(Deployment)
            .where(Deployment.id.in_(ids), Deployment.state.in_(states))
            .values(state="queued", due_at=utcnow())
        )
    return ids


def halt(session: Session, task: Task, reason: str) -> bool:
    """Pause what has not started and tell the contacts; False if someone else halted first."""
    if (
        changed(
            session,
            update(Task)
            .where(Task.id == task.id, Task.status == "running")
            .values(status="halted"),
        )
        != 1
    ):
        return False
    session.execute(
        update(Deployment)
        .where(Deployment.task_id == task.id, Deployment.state.in_(("pending", "queued")))
        .values(state="paused", error=f"paused: task halted ({reason})")
    )
    session.refresh(task)
    tasks.queue_notifications(session, task, "halted", tasks.progress(session, task.id), reason)
    return True


def resume(session: Session, task_id: int) -> list[int]:
    """An operator lets a halted task go on: paused deployments are queued again."""
    task = tasks.get_task(session, task_id)
    if task.status != "halted":
        raise Conflict(f"task {task_id} is {task.status}; only a halted task can be resumed")
    task.status = "running"
    task.canary = None  # the operator has judged the canary
    task.halt_failure_rate = None  # and accepted the failure share so far
    ids = _queue_pending(session, task_id, ("paused", "pending"))
    session.execute(update(Deployment).where(Deployment.id.in_(ids)).values(error=None))
    return ids
