"""Tasks: drafting from a plan, submission (with quota), starting when due, finishing, cancelling.

A task is a draft (its planned deployments stored ``pending``, nothing charged) until it is
submitted; submission debits quota for ``uploaded`` certificates in the same transaction that
schedules it. Scheduled tasks wait in the database, not in the broker, so a scheduler restart
loses nothing; :func:`start_due_tasks` moves due ones to ``running`` exactly once even with several
schedulers (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises writers anyway).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ledger import quota, send_order
from ledger.db import changed
from ledger.errors import Conflict, InputError, NotFound
from ledger.models import (
    TERMINAL_STATES,
    Account,
    Deployment,
    Notification,
    QuotaEntry,
    Resource,
    Task,
)
from ledger.timeutil import utcnow

CANCELLABLE = ("pending", "queued", "paused")


@dataclass(frozen=True)
class PlannedDeployment:
    """One matched (resource, certificate) pair from the planner.

    A rollback plans the remote certificate to restore instead (``certificate_id`` None).
    """

    resource_id: int
    certificate_id: int | None
    target_remote_id: str | None = None
    target_fingerprint: str | None = None


@dataclass(frozen=True)
class Rollout:
    """Staged-rollout options of a task (see :mod:`ledger.rollout`)."""

    canary: int | None = None
    halt_failure_rate: float | None = None
    halt_min_finished: int = 10

    def __post_init__(self) -> None:
        if self.canary is not None and self.canary < 1:
            raise InputError("--canary", "the canary needs at least 1 deployment per product")
        rate = self.halt_failure_rate
        if rate is not None and not 0 < rate < 1:
            raise InputError("--halt-at", "a failure share between 0 and 1, e.g. 0.2")


def create_draft(
    session: Session,
    *,
    name: str,
    account_id: int,
    contacts: Sequence[str],
    products: Sequence[str],
    certificate_ids: Sequence[int],
    cert_type: str,
    run_at: datetime,
    plan: Sequence[PlannedDeployment],
    rollout: Rollout | None = None,
    campaign: str | None = None,
    kind: str = "deploy",
    rollback_of: int | None = None,
) -> Task:
    """Store a task and its planned deployments; nothing is charged yet."""
    if not plan:
        raise InputError("resources", "no resource matched the selected certificates")
    rollout = rollout or Rollout()
    task = Task(
        name=name,
        account_id=account_id,
        contacts=list(contacts),
        products=list(products),
        certificate_ids=list(certificate_ids),
        cert_type=cert_type,
        run_at=run_at,
        status="draft",
        kind=kind,
        campaign=campaign,
        rollback_of=rollback_of,
        canary=rollout.canary,
        halt_failure_rate=rollout.halt_failure_rate,
        halt_min_finished=rollout.halt_min_finished,
    )
    session.add(task)
    session.flush()
    resources = {
        r.id: r
        for r in session.execute(
            select(Resource).where(Resource.id.in_([p.resource_id for p in plan]))
        ).scalars()
    }
    canaries = _canary_picks(plan, resources, rollout.canary)
    session.add_all(
        Deployment(
            task_id=task.id,
            resource_id=p.resource_id,
            certificate_id=p.certificate_id,
            target_remote_id=p.target_remote_id,
            target_fingerprint=p.target_fingerprint,
            idempotency_key=uuid.uuid4().hex,
            state="pending",
            canary=p.resource_id in canaries,
            previous_remote_id=resources[p.resource_id].served_remote_id,
            previous_fingerprint=resources[p.resource_id].served_fingerprint,
        )
        for p in plan
    )
    session.flush()
    return task


def _canary_picks(
    plan: Sequence[PlannedDeployment], resources: dict[int, Resource], canary: int | None
) -> set[int]:
    """The first ``canary`` resources of each product (by resource id: stable and explainable)."""
    if not canary:
        return set()
    picked: set[int] = set()
    per_product: Counter[str] = Counter()
    for resource_id in sorted(p.resource_id for p in plan):
        product = resources[resource_id].product
        if per_product[product] < canary:
            per_product[product] += 1
            picked.add(resource_id)
    return picked


def get_task(session: Session, task_id: int) -> Task:
    """A task by id, or an input error naming the command that lists them."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("task", f"no task {task_id}; see `certfleet task list`")
    return task


@dataclass(frozen=True)
class Submission:
    """What submitting a task did."""

    task_id: int
    deployments: int
    debited: int


def submit(session: Session, task_id: int) -> Submission:
    """Schedule a draft and debit its quota, all or nothing (raises QuotaExhausted)."""
    moved = changed(
        session,
        update(Task)
        .where(Task.id == task_id, Task.status == "draft")
        .values(status="scheduled", submitted_at=utcnow()),
    )
    if moved != 1:
        task = get_task(session, task_id)
        raise Conflict(f"task {task_id} is {task.status}; only a draft can be submitted")
    task = get_task(session, task_id)
    ids = list(
        session.execute(select(Deployment.id).where(Deployment.task_id == task_id)).scalars()
    )
    charged = ids if task.kind == "deploy" and task.cert_type == "uploaded" else []
    quota.debit(session, charged)
    return Submission(task_id=task_id, deployments=len(ids), debited=len(charged))


@dataclass(frozen=True)
class StartedTask:
    """A task that just became due: its deployments to enqueue, routed by account."""

    task_id: int
    account_id: int
    provider: str
    deployment_ids: list[int]


def start_due_tasks(session: Session, now: datetime, limit: int = 20) -> list[StartedTask]:
    """Move due scheduled tasks to running and their deployments to queued (exactly once)."""
    query = (
        select(Task.id, Task.account_id, Account.provider, Task.canary)
        .join(Account, Account.id == Task.account_id)
        .where(Task.status == "scheduled", Task.run_at <= now)
        .order_by(Task.run_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Task)
    started: list[StartedTask] = []
    for task_id, account_id, provider, canary in session.execute(query).all():
        session.execute(
            update(Task).where(Task.id == task_id).values(status="running", started_at=now)
        )
        first_wave = [Deployment.task_id == task_id, Deployment.state == "pending"]
        if canary:  # only the canary goes first; ledger.rollout releases the rest
            first_wave.append(Deployment.canary.is_(True))
        session.execute(update(Deployment).where(*first_wave).values(state="queued", due_at=now))
        ids = send_order.deployment_ids(
            session, Deployment.task_id == task_id, Deployment.state == "queued"
        )
        started.append(StartedTask(task_id, account_id, provider, ids))
    return started


def progress(session: Session, task_id: int) -> Counter[str]:
    """Deployments of a task counted by state."""
    rows = session.execute(
        select(Deployment.state, func.count())
        .where(Deployment.task_id == task_id)
        .group_by(Deployment.state)
    ).all()
    return Counter({state: int(n) for state, n in rows})


def finish_if_done(session: Session, task_id: int) -> str | None:
    """Close a running task whose deployments are all terminal; returns its final status.

    The compare-and-set on ``status='running'`` makes this safe to call from every worker after
    every deployment: exactly one caller closes the task and writes its notifications.
    """
    # Cheap index probe first: called after every deployment, it must not count the whole task.
    unfinished = session.execute(
        select(Deployment.id)
        .where(Deployment.task_id == task_id, Deployment.state.not_in(TERMINAL_STATES))
        .limit(1)
    ).first()
    if unfinished is not None:
        return None
    counts = progress(session, task_id)
    succeeded, failed = counts["succeeded"], counts["failed"]
    status = "succeeded" if failed == 0 else ("failed" if succeeded == 0 else "partial")
    closed = changed(
        session,
        update(Task)
        .where(Task.id == task_id, Task.status == "running")
        .values(status=status, finished_at=utcnow()),
    )
    if closed != 1:
        return None
    queue_notifications(session, get_task(session, task_id), "finished", counts)
    return status


def failures(session: Session, task_id: int) -> list[dict[str, object]]:
    """Each failed deployment of a task with the reason a person can act on."""
    return [
        {"deployment": d_id, "resource": native_id, "reason": error}
        for d_id, native_id, error in session.execute(
            select(Deployment.id, Resource.native_id, Deployment.error)
            .join(Resource, Resource.id == Deployment.resource_id)
            .where(Deployment.task_id == task_id, Deployment.state == "failed")
            .order_by(Deployment.id)
        ).all()
    ]


def queue_notifications(
    session: Session, task: Task, event: str, counts: Counter[str], reason: str | None = None
) -> None:
    """One outbox row per contact for this task event (sent by the notification dispatcher)."""
    summary = quota_for_task(session, task.id)
    payload = {
        "task": task.id,
        "name": task.name,
        "status": task.status,
        "counts": dict(counts),
        "quota_debited": summary[0],
        "quota_refunded": summary[1],
        "failures": failures(session, task.id),
        "event": event,
        "reason": reason,
    }
    session.add_all(
        Notification(
            task_id=task.id,
            event=event,
            recipient=contact,
            payload=payload,
            next_attempt_at=utcnow(),
        )
        for contact in task.contacts
    )


def quota_for_task(session: Session, task_id: int) -> tuple[int, int]:
    """(debited, refunded) units for one task."""
    rows = dict(
        session.execute(
            select(QuotaEntry.kind, func.count())
            .join(Deployment, Deployment.id == QuotaEntry.deployment_id)
            .where(Deployment.task_id == task_id)
            .group_by(QuotaEntry.kind)
        ).all()
    )
    return int(rows.get("debit", 0)), int(rows.get("refund", 0))


def cancel(session: Session, task_id: int) -> int:
    """Cancel a task: deployments not yet running are cancelled and refunded; returns how many.

    Running deployments are left to finish: interrupting a vendor call half-way would leave the
    resource in an unknown state, which is worse than letting it complete.
    """
    task = get_task(session, task_id)
    if task.status not in ("draft", "scheduled", "running", "halted"):
        raise Conflict(f"task {task_id} is {task.status}; it can no longer be cancelled")
    ids = list(
        session.execute(
            select(Deployment.id).where(
                Deployment.task_id == task_id, Deployment.state.in_(CANCELLABLE)
            )
        ).scalars()
    )
    if ids:
        session.execute(
            update(Deployment)
            .where(Deployment.id.in_(ids), Deployment.state.in_(CANCELLABLE))
            .values(state="cancelled", finished_at=utcnow(), error="cancelled by operator")
        )
        for deployment_id in ids:
            quota.refund(session, deployment_id, note="task cancelled")
    task.status = "cancelled"
    task.finished_at = utcnow()
    return len(ids)


def list_tasks(session: Session, limit: int = 50) -> list[Task]:
    """Newest tasks first."""
    return list(session.execute(select(Task).order_by(Task.id.desc()).limit(limit)).scalars())
