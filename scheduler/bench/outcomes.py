"""What a finished run left behind, read from the ledger and the fleet's logs."""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.models import Account, Deployment, Resource, Task


def states(session: Session) -> Counter[str]:
    """Deployments by state."""
    rows = session.execute(select(Deployment.state, func.count()).group_by(Deployment.state))
    return Counter({state: int(n) for state, n in rows.all()})


def timeline(session: Session, step: float) -> list[int]:
    """Deployments finished in each ``step`` seconds after the first submission."""
    first = session.execute(select(func.min(Task.submitted_at))).scalar_one()
    if first is None:
        return []
    done = Counter(
        int((at - first).total_seconds() // step)
        for at in session.execute(select(Deployment.finished_at)).scalars()
        if at is not None
    )
    return [done[i] for i in range(max(done, default=-1) + 1)]


def phases(session: Session) -> dict[str, dict[str, list[float]]]:
    """When each account's deployments of each product were last claimed (first of them) and
    finished (first, median, last), in seconds after submission. Products of one account have
    separate rate-limit budgets, so phases that follow each other instead of overlapping show
    budgets left idle, and a late first claim shows messages waiting behind others."""
    rows = session.execute(
        select(
            Account.name,
            Resource.product,
            Deployment.started_at,
            Deployment.finished_at,
            Task.submitted_at,
        )
        .join(Task, Task.id == Deployment.task_id)
        .join(Resource, Resource.id == Deployment.resource_id)
        .join(Account, Account.id == Task.account_id)
    ).all()
    claimed: dict[tuple[str, str], list[float]] = {}
    finished: dict[tuple[str, str], list[float]] = {}
    for account, product, started, done, submitted in rows:
        if submitted is None:
            continue
        if started is not None:
            claimed.setdefault((account, product), []).append((started - submitted).total_seconds())
        if done is not None:
            finished.setdefault((account, product), []).append((done - submitted).total_seconds())
    grouped: dict[str, dict[str, list[float]]] = {}
    for (account, product), v in sorted(finished.items()):
        first_claim = min(claimed.get((account, product), [0.0]))
        grouped.setdefault(account, {})[product] = [
            round(x, 1) for x in (first_claim, min(v), statistics.median(v), max(v))
        ]
    return grouped


def reenqueued(logs: Path, pattern: str) -> int:
    """Messages the schedulers' reaper sent again (``re-enqueued N overdue`` in the logs
    matching ``pattern``): each is a duplicate unless the first message was lost."""
    total = 0
    for log in logs.glob(pattern):
        for line in log.read_text(errors="replace").splitlines():
            if "re-enqueued" in line:
                total += int(line.split("re-enqueued", 1)[1].split()[0])
    return total
