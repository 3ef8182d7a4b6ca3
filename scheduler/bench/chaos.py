"""``certfleet bench chaos``: a campaign while things break, and proof that nothing was lost or
done twice.

The campaign of ``bench campaign`` runs on several worker hosts while a supervisor

* SIGKILLs a random worker host (its whole process tree) every ``kill_every`` seconds and
  starts a replacement, as systemd or Kubernetes would;
* restarts the fleet's Redis once (broker queues, rate-limit buckets and locks are lost);
* restarts PostgreSQL once, when ``restart_postgres`` is set: the machine's own server, so only
  this bench does it, never the test suite (which restarts only its private Redis);
* restarts any fleet process that exits on its own (and says so in the events);

and the emulators answer a share of calls with a 5xx gateway page or the vendor's throttling
error, and lose the answer of a share of the changes they carry out. Afterwards the faults are
lifted and the bench checks, through the vendors' APIs and the ledger:

* every deployment is terminal, and every succeeded one is served by the vendor (lost = 0);
* no certificate was uploaded twice and no resource was changed twice (counted at the vendor);
* no deployment was debited or refunded twice, every failed one was refunded once, and the
  balance equals the sum of the journal.

The same campaign also runs once without faults, in the same invocation, for the makespan cost.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from ledger import deployments, quota
from ledger.accounts import AccountView
from ledger.models import TERMINAL_STATES, Account, Deployment, QuotaEntry, Resource
from providers import registry
from providers.base import Resource as VendorResource
from providers.errors import ProviderError
from scheduler.bench import campaign
from scheduler.bench.clouds import Faults
from scheduler.bench.lab import FleetLab, restart_postgres
from workers.credentials import provider_account

DEFAULT_FAULTS = Faults(server_error=0.10, throttle=0.05, lost_answer=0.02)


@dataclass(frozen=True)
class ChaosPlan:
    """What the supervisor does, and when (shares are of deployments finished)."""

    kill_every: float = 5.0
    redis_at: float = 0.3
    postgres_at: float = 0.6
    restart_postgres: bool = True
    seed: int = 66


def supervisor(plan: ChaosPlan, spec: campaign.CampaignSpec) -> campaign.Supervisor:
    """The supervisor thread's body for ``plan``."""
    rng = random.Random(plan.seed)  # noqa: S311 - chaos dice, not secrets

    def supervise(prepared: campaign.Prepared, stop: threading.Event) -> list[dict[str, Any]]:
        lab = prepared.lab
        began = time.monotonic()
        events: list[dict[str, Any]] = []
        total = sum(e.resources for e in prepared.estates)
        generation = spec.hosts
        redis_done = postgres_done = False
        next_kill = began + plan.kill_every

        def note(what: str, **details: Any) -> None:
            events.append({"at_s": round(time.monotonic() - began, 1), "event": what, **details})

        while not stop.wait(0.5):
            for name, code in lab.fleet.exited().items():
                lab.fleet.processes.pop(name)
                note("process exited on its own; restarted", process=name, exit_code=code)
                _restart(lab, spec, name)
            if time.monotonic() >= next_kill:
                hosts = sorted(n for n in lab.fleet.processes if n.startswith(campaign.WORKER))
                if hosts:
                    victim = rng.choice(hosts)
                    lab.fleet.kill(victim)
                    replacement = f"{campaign.WORKER}-{generation}"
                    generation += 1
                    campaign.start_worker(lab, spec, replacement)
                    note("SIGKILL worker host", killed=victim, started=replacement)
                next_kill = time.monotonic() + plan.kill_every
            done = _finished_share(lab, total)
            if not redis_done and done is not None and done >= plan.redis_at:
                lab.redis.restart()
                redis_done = True
                note("redis restarted", finished_share=round(done, 3))
            if plan.restart_postgres and not postgres_done and done and done >= plan.postgres_at:
                seconds = restart_postgres()
                postgres_done = True
                note(
                    "postgresql restarted", finished_share=round(done, 3), down_s=round(seconds, 1)
                )
        return events

    return supervise


def _restart(lab: FleetLab, spec: campaign.CampaignSpec, name: str) -> None:
    if name.startswith(campaign.WORKER):
        campaign.start_worker(lab, spec, name)
    else:
        lab.fleet.scheduler(name, interval=campaign.SCHEDULER_INTERVAL)


def _finished_share(lab: FleetLab, total: int) -> float | None:
    try:
        with lab.database.unit_of_work() as session:
            done = session.execute(
                select(func.count()).where(Deployment.state.in_(TERMINAL_STATES))
            ).scalar_one()
    except DBAPIError:  # PostgreSQL is restarting
        return None
    return int(done) / total


def vendor_check(prepared: campaign.Prepared) -> dict[str, Any]:
    """Ask every vendor, through the adapters, what each deployed resource serves now."""
    lab = prepared.lab
    for cloud in prepared.clouds:
        cloud.calm()
    with lab.database.unit_of_work() as session:
        rows = session.execute(
            select(Deployment, Resource, Account)
            .join(Resource, Resource.id == Deployment.resource_id)
            .join(Account, Account.id == Resource.account_id)
        ).all()
        accounts = {a.id: provider_account(AccountView.of(a), lab.vault) for *_, a in rows}
        expected: dict[tuple[int, int, str], str | None] = {}
        work = []
        for d, r, a in rows:
            remote = d.remote_cert_id or d.target_remote_id
            if remote is None and d.certificate_id is not None:
                key = (a.id, d.certificate_id, deployments.remote_scope(r.product, r.region))
                if key not in expected:
                    expected[key] = deployments.remembered_remote_id(session, *key)
                remote = expected[key]
            work.append((d.id, d.state, remote, accounts[a.id], _vendor_resource(r)))

    def served(item: tuple[int, str, str | None, Any, VendorResource]) -> tuple[str, bool]:
        _, state, remote, account, resource = item
        try:
            now = registry.adapter(resource.product).current(account, resource).remote_id
        except ProviderError:
            return state, False
        return state, remote is not None and now == remote

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(served, work))
    return {
        "not_terminal": sum(1 for state, _ in answers if state not in TERMINAL_STATES),
        "succeeded_but_not_served": sum(
            1 for state, ok in answers if state == "succeeded" and not ok
        ),
    }


def _vendor_resource(row: Resource) -> VendorResource:
    return VendorResource(
        provider=row.provider,
        product=row.product,
        native_id=row.native_id,
        hostnames=tuple(row.hostnames),
        region=row.region,
        https_endpoint=row.https_endpoint,
        attributes=dict(row.attributes),
    )


def ledger_check(lab: FleetLab) -> dict[str, Any]:
    """Quota invariants: no double debit or refund, failed ones refunded, balance = journal."""
    with lab.database.unit_of_work() as session:
        per_kind = (
            select(QuotaEntry.deployment_id, QuotaEntry.kind, func.count().label("n"))
            .where(QuotaEntry.deployment_id.is_not(None))
            .group_by(QuotaEntry.deployment_id, QuotaEntry.kind)
            .subquery()
        )
        doubled: dict[str, int] = dict(
            session.execute(
                select(per_kind.c.kind, func.count())
                .where(per_kind.c.n > 1)
                .group_by(per_kind.c.kind)
            ).all()
        )
        refunded = select(QuotaEntry.deployment_id).where(QuotaEntry.kind == "refund")
        unrefunded = session.execute(
            select(func.count()).where(
                Deployment.state == "failed",
                Deployment.charged.is_(True),
                Deployment.id.not_in(refunded),
            )
        ).scalar_one()
        summary = quota.summary(session)
        journal = session.execute(select(func.sum(QuotaEntry.units))).scalar_one()
        problems = quota.audit(session)
    return {
        "double_debits": int(doubled.get("debit", 0)),
        "double_refunds": int(doubled.get("refund", 0)),
        "failed_not_refunded": int(unrefunded),
        "balance": summary.balance,
        "sum_of_entries": int(journal or 0),
        "audit_problems": problems,
    }


def _chaos_run(
    admin_url: str, spec: campaign.CampaignSpec, plan: ChaosPlan, workdir: Path
) -> dict[str, Any]:
    lab = FleetLab(admin_url, workdir, **spec.settings)
    clouds = campaign.make_clouds(list(spec.accounts), spec.mix)
    try:
        prepared = campaign.prepare(lab, clouds, spec)
        result = campaign.run(prepared, spec, supervisor(plan, spec))
        figures = campaign.report(prepared, spec, result)
        logs = [cloud.log() for cloud in clouds]  # the whole run, set-up included
        uploads = sum(n - 1 for log in logs for n in log.uploads.values() if n > 1)
        binds = sum(n - 1 for log in logs for n in log.binds.values() if n > 1)
        vendor = vendor_check(prepared)
        books = ledger_check(lab)
        return {
            "figures": figures,
            "events": result.events,
            "checks": {
                "every_deployment_terminal": vendor["not_terminal"] == 0,
                "lost": vendor["not_terminal"] + vendor["succeeded_but_not_served"],
                "succeeded_but_not_served_at_vendor": vendor["succeeded_but_not_served"],
                "double_uploads": uploads,
                "double_binds": binds,
                "binds_at_vendor": sum(sum(log.binds.values()) for log in logs),
                "uploads_at_vendor": sum(sum(log.uploads.values()) for log in logs),
            }
            | books,
        }
    finally:
        lab.close()
        for cloud in clouds:
            cloud.stop()


def bench(
    admin_url: str,
    spec: campaign.CampaignSpec,
    plan: ChaosPlan,
    workdir: Path,
    *,
    fault_free: bool = True,
) -> dict[str, Any]:
    """The chaos run and (unless told not to) the same campaign without faults."""
    (workdir / "chaos").mkdir()
    chaos = _chaos_run(admin_url, spec, plan, workdir / "chaos")
    calm = None
    if fault_free:
        (workdir / "calm").mkdir()
        calm = campaign.bench(admin_url, replace(spec, faults=Faults()), workdir / "calm")
    checks = chaos["checks"]
    sound = (
        checks["every_deployment_terminal"]
        and checks["lost"] == 0
        and checks["double_uploads"] == 0
        and checks["double_binds"] == 0
        and checks["double_debits"] == 0
        and checks["double_refunds"] == 0
        and checks["failed_not_refunded"] == 0
        and checks["balance"] == checks["sum_of_entries"]
        and not checks["audit_problems"]
    )
    figures = chaos["figures"]
    return {
        "bench": "chaos",
        "deployments": figures["deployments"],
        "outcomes": figures["outcomes"],
        "faults": {
            "vendor_5xx_share": spec.faults.server_error,
            "vendor_throttle_share": spec.faults.throttle,
            "changes_applied_but_answer_lost_share": spec.faults.lost_answer,
            "worker_host_killed_every_s": plan.kill_every,
            "redis_restarts": 1,
            "postgresql_restarts": 1 if plan.restart_postgres else 0,
        },
        "events": chaos["events"],
        "checks": checks,
        "makespan_s": figures["makespan_s"],
        "fault_free_makespan_s": calm["makespan_s"] if calm else None,
        "makespan_cost": round(figures["makespan_s"] / calm["makespan_s"], 2) if calm else None,
        "calls_per_deployment": figures["calls_per_deployment"],
        "fault_free_calls_per_deployment": calm["calls_per_deployment"] if calm else None,
        "throttle_share_of_calls": figures["throttle_share_of_calls"],
        "fleet": figures["fleet"],
        "finished_per_10s": figures["finished_per_10s"],
        "ledger_schema": figures["ledger_schema"],
        "sound": sound,
    }
