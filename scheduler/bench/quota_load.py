"""``certfleet bench ledger``: quota debits and refunds per second on PostgreSQL, concurrently.

Each client is its own process (as each worker and scheduler is) with its own engine, and runs
the ledger's real operations in their real transactions, alternating:

* a debit: :func:`ledger.quota.debit` of one deployment (what a submission does, one unit);
* a refund: the deployment marked failed and :func:`ledger.quota.refund` in one transaction
  (what :func:`ledger.deployments.fail` does).

Every transaction touches the one balance row, so all clients queue on its lock: the figure is
how fast the ledger serialises. At the end the invariants are checked: the balance equals the
sum of the journal (:func:`ledger.quota.audit`), no deployment has two debits or two refunds,
and every refund has its debit.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from typing import Any

from sqlalchemy import func, insert, select, update

from ledger import quota
from ledger.db import Database
from ledger.models import Account, Deployment, QuotaEntry, Resource, Task
from ledger.timeutil import utcnow
from scheduler.bench.procstats import cpu_of_commands, machine_busy_seconds

TARGET_PER_SECOND = 2000.0


@dataclass(frozen=True)
class ClientResult:
    """What one client did inside the measured window."""

    transactions: int
    latencies_ms: list[float]
    cpu_seconds: float


def seed(database: Database, deployments: int) -> list[int]:
    """One account, one task, ``deployments`` resources and pending deployments; no quota."""
    now = utcnow()
    with database.unit_of_work() as session:
        account = session.execute(
            insert(Account)
            .values(
                name="bench",
                provider="tencent",
                access_key_id="AKIDbench",
                secret_ciphertext=b"sealed",
                regions=[],
                options={},
            )
            .returning(Account.id)
        ).scalar_one()
        task = session.execute(
            insert(Task)
            .values(
                name="bench",
                account_id=account,
                contacts=[],
                products=["tencent.cdn"],
                certificate_ids=[],
                cert_type="uploaded",
                status="running",
                run_at=now,
            )
            .returning(Task.id)
        ).scalar_one()
        session.execute(
            insert(Resource),
            [
                {
                    "account_id": account,
                    "provider": "tencent",
                    "product": "tencent.cdn",
                    "native_id": f"d{i}",
                    "hostnames": [f"d{i}.bench"],
                    "attributes": {},
                }
                for i in range(deployments)
            ],
        )
        resource_ids = session.execute(select(Resource.id).order_by(Resource.id)).scalars().all()
        session.execute(
            insert(Deployment),
            [
                {"task_id": task, "resource_id": r, "idempotency_key": f"k{r}", "state": "running"}
                for r in resource_ids
            ],
        )
        return list(session.execute(select(Deployment.id).order_by(Deployment.id)).scalars())


def client(
    url: str, ids: Sequence[int], start: Event, seconds: float, results: Any
) -> None:  # pragma: no cover - runs in a child process
    """Alternate debit and refund transactions over ``ids`` until ``seconds`` have passed."""
    database = Database(url)
    with database.unit_of_work() as session:  # connect before the clock starts
        quota.balance(session)
    start.wait()
    cpu = time.process_time()
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    for deployment_id in ids:
        if time.monotonic() >= deadline:
            break
        began = time.perf_counter()
        with database.unit_of_work() as session:
            quota.debit(session, [deployment_id])
        latencies.append((time.perf_counter() - began) * 1000)
        if time.monotonic() >= deadline:
            break
        began = time.perf_counter()
        with database.unit_of_work() as session:
            session.execute(
                update(Deployment).where(Deployment.id == deployment_id).values(state="failed")
            )
            quota.refund(session, deployment_id, note="bench")
        latencies.append((time.perf_counter() - began) * 1000)
    database.dispose()
    results.put(ClientResult(len(latencies), latencies, time.process_time() - cpu))


def audit(database: Database) -> dict[str, Any]:
    """The invariants, as figures: every one of them should be zero or empty."""
    with database.unit_of_work() as session:
        problems = quota.audit(session)
        summary = quota.summary(session)
        repeated = session.execute(
            select(func.count()).select_from(
                select(QuotaEntry.deployment_id, QuotaEntry.kind)
                .where(QuotaEntry.deployment_id.is_not(None))
                .group_by(QuotaEntry.deployment_id, QuotaEntry.kind)
                .having(func.count() > 1)
                .subquery()
            )
        ).scalar_one()
        journal_sum = session.execute(select(func.sum(QuotaEntry.units))).scalar_one()
    return {
        "audit_problems": problems,
        "balance": summary.balance,
        "journal_sum": int(journal_sum or 0),
        "debits": summary.debited,
        "refunds": summary.refunded,
        "double_debits_or_refunds": int(repeated),
    }


def run(admin_url: str, *, clients: int, seconds: float) -> dict[str, Any]:
    """Seed, run ``clients`` processes for ``seconds``, audit."""
    from scheduler.bench.lab import fresh_schema  # noqa: PLC0415 - keep the clients' imports light

    database = Database(fresh_schema(admin_url))
    try:
        database.upgrade()
        capacity = int(clients * seconds * 400) + 1000  # more than any client can use
        ids = seed(database, capacity)
        with database.unit_of_work() as session:
            quota.buy(session, capacity)
        context = multiprocessing.get_context("spawn")
        start, results = context.Event(), context.Queue()
        workers = [
            context.Process(
                target=client, args=(database.url, ids[i::clients], start, seconds, results)
            )
            for i in range(clients)
        ]
        for worker in workers:
            worker.start()
        time.sleep(3 + clients * 0.2)  # every client imported and connected
        server_cpu, (busy, total) = cpu_of_commands("postgres"), machine_busy_seconds()
        start.set()
        began = time.monotonic()
        time.sleep(seconds)
        server_cpu = cpu_of_commands("postgres") - server_cpu
        busy_after, total_after = machine_busy_seconds()
        outcomes = [_next_result(results, workers, 120) for _ in workers]
        elapsed = time.monotonic() - began
        for worker in workers:
            worker.join(timeout=30)
        checks = audit(database)
    finally:
        database.dispose()
    done = sum(o.transactions for o in outcomes)
    latencies = sorted(x for o in outcomes for x in o.latencies_ms)
    rate = done / seconds
    sound = not checks["audit_problems"] and checks["double_debits_or_refunds"] == 0
    return {
        "bench": "ledger",
        "clients": clients,
        "seconds": seconds,
        "elapsed_s": round(elapsed, 2),
        "transactions": done,
        "transactions_per_s": round(rate, 1),
        "latency_ms": {
            "p50": _percentile(latencies, 0.50),
            "p99": _percentile(latencies, 0.99),
            "max": round(latencies[-1], 2) if latencies else None,
        },
        "client_cpu_s": round(sum(o.cpu_seconds for o in outcomes), 1),
        "postgres_cpu_s": round(server_cpu, 1),
        "machine_busy_share": round((busy_after - busy) / (total_after - total), 3),
        "machine_cores": os.cpu_count(),
        "invariants": checks
        | {"balance_equals_journal": checks["balance"] == checks["journal_sum"]},
        "targets": {
            "transactions_per_s>=2000": rate >= TARGET_PER_SECOND,
            "invariants_hold": sound and checks["balance"] == checks["journal_sum"],
        },
    }


def _next_result(results: Any, workers: Sequence[Any], timeout: float) -> ClientResult:
    """The next client's result; fails at once if a client died without one."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result: ClientResult = results.get(timeout=1)
            return result
        except queue.Empty:
            dead = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"ledger bench clients failed (exit codes {dead})") from None


def _percentile(values: Sequence[float], share: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(len(values) * share))], 2)
