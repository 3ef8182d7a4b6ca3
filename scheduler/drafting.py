"""Creating a task the way the wizard does: discover → match → preview → (save as a draft).

One function serves the CLI's ``task create``, the demo and the tests, so what a preview shows
is exactly what a draft stores.
"""

from __future__ import annotations

from ledger import tasks
from ledger.db import Database
from ledger.tasks import Rollout
from ledger.vault import Vault
from scheduler.discovery import discover
from scheduler.planning import Preview, preview
from scheduler.task_spec import TaskSpec


def draft_task(
    database: Database,
    vault: Vault,
    spec: TaskSpec,
    *,
    rediscover: bool = True,
    save: bool = True,
    rollout: Rollout | None = None,
) -> tuple[Preview, int | None]:
    """The preview, and the draft task's id when ``save`` (None for a preview only)."""
    if rediscover:
        discover(database, vault, spec.account, spec.products)
    with database.unit_of_work() as session:
        result = preview(session, spec)
        if not save:
            return result, None
        task = tasks.create_draft(
            session,
            name=spec.name,
            account_id=result.account_id,
            contacts=spec.contacts,
            products=spec.products,
            certificate_ids=spec.certificate_ids,
            cert_type=result.cert_type,
            run_at=spec.run_at,
            plan=result.plan,
            rollout=rollout,
        )
        return result, task.id
