"""Property: whatever sequence of purchases, submissions, failures, successes, cancellations and
repeated (duplicate) refunds happens, the ledger's invariants hold."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from ledger import deployments, quota, tasks
from ledger.db import Database
from ledger.errors import QuotaExhausted
from ledger.models import Base, Deployment, QuotaBalance, QuotaEntry
from ledger.timeutil import utcnow
from ledger.vault import Vault
from providers.emulators.pki import Authority
from tests.ledger import builders

operation = st.one_of(
    st.tuples(st.just("buy"), st.integers(1, 6)),
    st.tuples(st.just("submit"), st.integers(1, 4)),
    st.tuples(st.just("fail"), st.integers(0, 50)),
    st.tuples(st.just("succeed"), st.integers(0, 50)),
    st.tuples(st.just("refund_again"), st.integers(0, 50)),
    st.tuples(st.just("cancel"), st.integers(0, 10)),
)


def _check_invariants(database: Database) -> None:
    with database.unit_of_work() as s:
        totals = quota.summary(s)
        assert totals.balance >= 0
        assert totals.consistent
        assert quota.audit(s) == []
        per_kind = s.execute(
            select(QuotaEntry.deployment_id, QuotaEntry.kind, func.count())
            .where(QuotaEntry.deployment_id.is_not(None))
            .group_by(QuotaEntry.deployment_id, QuotaEntry.kind)
        ).all()
        assert all(n == 1 for _, _, n in per_kind)
        refunded = {d for d, kind, _ in per_kind if kind == "refund"}
        for d in refunded:
            assert s.get(Deployment, d).state in ("failed", "cancelled")


@pytest.fixture(scope="module")
def shared_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'l.db'}")
    database.upgrade()
    yield database


def _reset(database: Database) -> None:
    """Empty every table between examples (a fresh migration per example is too slow)."""
    with database.unit_of_work() as s:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "quota_balance":
                s.execute(table.delete())
        s.execute(update(QuotaBalance).values(units=0))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_ledger_invariants_hold_for_any_history(
    ops: list[tuple[str, int]], shared_database: Database, authority: Authority, vault: Vault
) -> None:
    database = shared_database
    _reset(database)
    with database.unit_of_work() as s:
        acct = builders.account(s, vault)
        cert = builders.certificate(s, vault, authority, ["*.a.com"], "uploaded")
    counter = 0
    for op, n in ops:
        with database.unit_of_work() as s:
            ids = list(s.execute(select(Deployment.id).order_by(Deployment.id)).scalars())
        if op == "buy":
            with database.unit_of_work() as s:
                quota.buy(s, n)
        elif op == "submit":
            with database.unit_of_work() as s:
                res = builders.resources(s, acct, [f"h{counter + i}.a.com" for i in range(n)])
                task_id = builders.draft(s, acct, cert, res[-n:], name=f"t{counter}")
            counter += n
            try:
                with database.unit_of_work() as s:
                    tasks.submit(s, task_id)
                    tasks.start_due_tasks(s, utcnow())
            except QuotaExhausted:
                pass
        elif op in ("fail", "succeed") and ids:
            target = ids[n % len(ids)]
            with database.unit_of_work() as s:
                claim = deployments.claim(s, target, utcnow(), 60)
                if claim is not None:
                    if op == "fail":
                        deployments.fail(s, claim, utcnow(), "boom")
                    else:
                        deployments.succeed(s, claim, utcnow(), verified=True)
        elif op == "refund_again" and ids:
            with database.unit_of_work() as s:
                quota.refund(s, ids[n % len(ids)])
        elif op == "cancel":
            with database.unit_of_work() as s:
                open_tasks = [t.id for t in tasks.list_tasks(s) if t.status == "running"]
            if open_tasks:
                with database.unit_of_work() as s:
                    tasks.cancel(s, open_tasks[n % len(open_tasks)])
        _check_invariants(database)
