"""The ledger under concurrency on PostgreSQL: constraints, not luck, keep it sound."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from ledger import deployments, quota, tasks
from ledger.db import Database
from ledger.errors import QuotaExhausted
from ledger.models import Deployment, Task
from ledger.timeutil import utcnow
from ledger.vault import Vault
from providers.emulators.pki import Authority
from scheduler.service import Scheduler
from tests.ledger import builders
from tests.services import postgres_url

pytestmark = pytest.mark.services


@pytest.fixture
def pg() -> Database:
    database = Database(postgres_url(fresh_schema=True))
    database.upgrade()
    yield database
    database.dispose()


def test_sixteen_threads_never_overdraw_nor_refund_twice(
    pg: Database, vault: Vault, authority: Authority
) -> None:
    with pg.unit_of_work() as s:
        acct = builders.account(s, vault)
        cert = builders.certificate(s, vault, authority, ["*.a.com"], "uploaded")
        quota.buy(s, 100)
    drafts: list[int] = []
    with pg.unit_of_work() as s:
        for t in range(48):  # 48 tasks x 3 deployments = 144 units wanted, 100 available
            res = builders.resources(s, acct, [f"t{t}-{i}.a.com" for i in range(3)])
            drafts.append(builders.draft(s, acct, cert, res[-3:], name=f"t{t}"))
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit_and_fail(task_id: int) -> None:
        try:
            with pg.unit_of_work() as s:
                tasks.submit(s, task_id)
        except QuotaExhausted:
            with lock:
                outcomes.append("refused")
            return
        while True:  # another thread's scheduler pass may hold this task's row (SKIP LOCKED)
            with pg.unit_of_work() as s:
                tasks.start_due_tasks(s, utcnow() + timedelta(seconds=1))
            with pg.unit_of_work() as s:
                if s.get(Task, task_id).status == "running":
                    break
        with pg.unit_of_work() as s:
            ids = s.execute(select(Deployment.id).where(Deployment.task_id == task_id)).scalars()
            ids = list(ids)
        for deployment_id in ids:
            with pg.unit_of_work() as s:
                claim = deployments.claim(s, deployment_id, utcnow(), 60)
            if claim is None:
                continue
            with pg.unit_of_work() as s:
                deployments.fail(s, claim, utcnow(), "boom")
            with pg.unit_of_work() as s:  # a duplicate refund attempt, as a retry might make
                quota.refund(s, deployment_id)
        with lock:
            outcomes.append("ran")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(submit_and_fail, drafts))
    with pg.unit_of_work() as s:
        assert quota.audit(s) == []
        totals = quota.summary(s)
    assert totals.balance >= 0 and totals.debited == totals.refunded
    assert totals.balance == 100
    assert "ran" in outcomes


def test_two_schedulers_start_a_due_task_exactly_once(
    pg: Database, vault: Vault, authority: Authority
) -> None:
    with pg.unit_of_work() as s:
        acct = builders.account(s, vault)
        cert = builders.certificate(s, vault, authority, ["*.a.com"], "issued")
        task_ids = []
        for t in range(10):
            res = builders.resources(s, acct, [f"x{t}-{i}.a.com" for i in range(5)])
            task_ids.append(builders.draft(s, acct, cert, res[-5:], name=f"s{t}"))
            tasks.submit(s, task_ids[-1])
    sent: list[int] = []
    lock = threading.Lock()

    def enqueue(ids, provider, account_id) -> None:
        with lock:
            sent.extend(ids)

    schedulers = [Scheduler(pg, enqueue, reap_grace_seconds=3600) for _ in range(2)]
    barrier = threading.Barrier(2)

    def loop(scheduler: Scheduler) -> None:
        barrier.wait()
        for _ in range(20):
            scheduler.tick()

    threads = [threading.Thread(target=loop, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent) == 50 and len(set(sent)) == 50
    with pg.unit_of_work() as s:
        statuses = {t.status for t in s.execute(select(Task)).scalars()}
    assert statuses == {"running"}
