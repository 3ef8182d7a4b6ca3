"""Rolling a task back: re-bind, on each resource it changed, what that resource served before.

Every deployment records the vendor id of the certificate the resource served when the task was
planned. A rollback is a task of kind ``rollback`` whose deployments bind those ids again — the
same workers, retries and verification as any deployment — and it costs no quota.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import tasks
from ledger.errors import Conflict
from ledger.models import Deployment, Resource
from ledger.tasks import PlannedDeployment
from ledger.timeutil import utcnow


@dataclass(frozen=True)
class RollbackPlan:
    """The rollback task, and the resources it cannot restore (with why)."""

    task_id: int
    deployments: int
    skipped: list[tuple[str, str]]  # (resource, reason)


def create_rollback(session: Session, task_id: int) -> RollbackPlan:
    """Draft and submit a rollback of ``task_id``'s succeeded deployments."""
    original = tasks.get_task(session, task_id)
    if original.kind != "deploy":
        raise Conflict(f"task {task_id} is itself a rollback; roll forward with a new task")
    if original.status in ("draft", "scheduled"):
        raise Conflict(f"task {task_id} has not run; cancel it instead")
    rows = session.execute(
        select(Deployment, Resource)
        .join(Resource, Resource.id == Deployment.resource_id)
        .where(Deployment.task_id == task_id, Deployment.state == "succeeded")
        .order_by(Deployment.id)
    ).all()
    plan, skipped = [], []
    for deployment, resource in rows:
        if deployment.previous_remote_id is None:
            skipped.append((resource.native_id, "it served no certificate before this task"))
        elif deployment.previous_remote_id == deployment.remote_cert_id:
            skipped.append((resource.native_id, "it already served this certificate before"))
        else:
            plan.append(
                PlannedDeployment(
                    resource.id,
                    None,
                    deployment.previous_remote_id,
                    deployment.previous_fingerprint,
                )
            )
    if not plan:
        raise Conflict(f"task {task_id} changed nothing that can be rolled back")
    rollback = tasks.create_draft(
        session,
        name=f"rollback of task {task_id}",
        account_id=original.account_id,
        contacts=original.contacts,
        products=original.products,
        certificate_ids=[],
        cert_type=original.cert_type,
        run_at=utcnow(),
        plan=plan,
        kind="rollback",
        rollback_of=task_id,
        campaign=original.campaign,
    )
    tasks.submit(session, rollback.id)
    return RollbackPlan(rollback.id, len(plan), skipped)
