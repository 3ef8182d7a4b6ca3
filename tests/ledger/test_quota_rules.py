"""The quota ledger's rules, through the real schema (SQLite here, PostgreSQL in integration)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ledger import deployments, quota, tasks
from ledger.db import Database
from ledger.errors import InputError, QuotaExhausted
from ledger.models import Deployment, QuotaBalance, QuotaEntry, Task
from ledger.timeutil import utcnow
from ledger.vault import Vault
from providers.emulators.pki import Authority
from tests.ledger import builders


@pytest.fixture
def world(database: Database, vault: Vault, authority: Authority) -> dict[str, object]:
    with database.unit_of_work() as s:
        acct = builders.account(s, vault)
        uploaded = builders.certificate(s, vault, authority, ["*.a.com"], "uploaded")
        issued = builders.certificate(s, vault, authority, ["*.b.com"], "issued")
        res = builders.resources(s, acct, [f"h{i}.a.com" for i in range(5)])
    return {"account": acct, "uploaded": uploaded, "issued": issued, "resources": res}


def _run_one(database: Database, deployment_id: int) -> deployments.Claim:
    with database.unit_of_work() as s:
        tasks.start_due_tasks(s, utcnow())
        claim = deployments.claim(s, deployment_id, utcnow(), 60)
    assert claim is not None
    return claim


def test_submit_debits_one_unit_per_uploaded_deployment(database: Database, world: dict) -> None:
    with database.unit_of_work() as s:
        quota.buy(s, 10)
        task_id = builders.draft(s, world["account"], world["uploaded"], world["resources"])
        submission = tasks.submit(s, task_id)
    assert submission.debited == 5
    with database.unit_of_work() as s:
        assert quota.balance(s) == 5
        assert quota.audit(s) == []


def test_issued_certificates_cost_nothing(database: Database, world: dict) -> None:
    with database.unit_of_work() as s:
        task_id = builders.draft(s, world["account"], world["issued"], world["resources"])
        assert tasks.submit(s, task_id).debited == 0
        assert quota.balance(s) == 0


def test_short_balance_fails_the_whole_submission(database: Database, world: dict) -> None:
    with database.unit_of_work() as s:
        quota.buy(s, 4)
        task_id = builders.draft(s, world["account"], world["uploaded"], world["resources"])
    with (
        pytest.raises(QuotaExhausted, match=r"needs 5 .* balance is 4"),
        database.unit_of_work() as s,
    ):
        tasks.submit(s, task_id)
    with database.unit_of_work() as s:
        assert quota.balance(s) == 4
        assert s.get(Task, task_id).status == "draft"  # nothing half written
        assert s.execute(select(func.count()).where(QuotaEntry.kind == "debit")).scalar() == 0


def test_failure_refunds_once_and_only_once(database: Database, world: dict) -> None:
    with database.unit_of_work() as s:
        quota.buy(s, 5)
        task_id = builders.draft(s, world["account"], world["uploaded"], world["resources"])
        tasks.submit(s, task_id)
        first = (
            s.execute(select(Deployment.id).where(Deployment.task_id == task_id)).scalars().first()
        )
    claim = _run_one(database, first)
    with database.unit_of_work() as s:
        assert deployments.fail(s, claim, utcnow(), "vendor said no")
    with database.unit_of_work() as s:
        assert not deployments.fail(s, claim, utcnow(), "again")  # fenced: already terminal
        assert not quota.refund(s, first)  # idempotent
        assert quota.balance(s) == 1
        assert quota.audit(s) == []


def test_database_refuses_a_second_refund_even_if_code_is_bypassed(
    database: Database, world: dict
) -> None:
    with database.unit_of_work() as s:
        quota.buy(s, 5)
        task_id = builders.draft(s, world["account"], world["uploaded"], world["resources"])
        tasks.submit(s, task_id)
        first = (
            s.execute(select(Deployment.id).where(Deployment.task_id == task_id)).scalars().first()
        )
    claim = _run_one(database, first)
    with database.unit_of_work() as s:
        assert deployments.fail(s, claim, utcnow(), "vendor said no")  # refunds once
    with pytest.raises(IntegrityError), database.unit_of_work() as s:
        s.add(QuotaEntry(kind="refund", units=1, deployment_id=first))


def test_balance_row_cannot_go_negative(database: Database) -> None:
    with pytest.raises(IntegrityError), database.unit_of_work() as s:
        s.get(QuotaBalance, 1).units = -1


def test_refund_requires_a_failed_or_cancelled_deployment(database: Database, world: dict) -> None:
    with database.unit_of_work() as s:
        quota.buy(s, 5)
        task_id = builders.draft(s, world["account"], world["uploaded"], world["resources"])
        tasks.submit(s, task_id)
        first = s.execute(select(Deployment.id).where(Deployment.task_id == task_id)).scalar()
        assert not quota.refund(s, first)  # still pending: nothing is owed
    claim = _run_one(database, first)
    with database.unit_of_work() as s:
        assert deployments.succeed(s, claim, utcnow(), verified=True)
    with database.unit_of_work() as s:
        assert not quota.refund(s, first)  # succeeded: nothing is owed
        assert quota.balance(s) == 0


def test_cancel_refunds_pending_deployments(database: Database, world: dict) -> None:
    with database.unit_of_work() as s:
        quota.buy(s, 5)
        task_id = builders.draft(s, world["account"], world["uploaded"], world["resources"])
        tasks.submit(s, task_id)
        assert tasks.cancel(s, task_id) == 5
    with database.unit_of_work() as s:
        assert quota.balance(s) == 5
        assert quota.audit(s) == []


def test_buy_rejects_non_positive_packs(database: Database) -> None:
    with pytest.raises(InputError, match="units"), database.unit_of_work() as s:
        quota.buy(s, 0)
