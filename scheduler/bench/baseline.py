"""``certfleet bench baseline``: the same campaign deployed one resource after another, the way
single-process deployers work, against the fleet.

The sequential run uses the very code a worker runs (:func:`workers.deployment.run_attempt`:
the same adapters, SDKs, rate-limit hooks, read-back and TLS verification) in one thread, one
deployment at a time, retrying inline after the delay it is told. It runs on a sample of the
campaign with the same clouds, accounts and product mix; a sequential run has no ramp-up and
no overlap, so its time grows linearly with the resources and the full campaign's is the
sample's time per deployment times the campaign's resources (``extrapolated`` in the output).
The fleet figure is a full ``bench campaign`` run in the same invocation.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from ledger import tasks
from ledger.settings import load_settings
from ledger.timeutil import utcnow
from scheduler.bench import campaign, figures
from scheduler.bench.clouds import Faults
from scheduler.bench.lab import FleetLab
from scheduler.bench.procstats import own_cpu_seconds
from workers.call_hooks import FleetHooks
from workers.deployment import run_attempt
from workers.locks import LocalLocks
from workers.rate_limits.local import LocalTokenBuckets
from workers.retry_policy import RetryPolicy
from workers.runtime import Runtime, per_action_families, product_rates

SPEEDUP_TARGET = 20.0
MAX_ATTEMPTS = 60  # per deployment, as the worker's own safety net


def sequential_runtime(lab: FleetLab) -> Runtime:
    """A worker's runtime for this process: the lab's ledger, in-process buckets and locks."""
    settings = load_settings({"CERTFLEET_DATABASE_URL": lab.url, "CERTFLEET_DATA_DIR": "/"})
    hooks = FleetHooks(
        LocalTokenBuckets(), LocalLocks(), product_rates(), per_action=per_action_families()
    )
    return Runtime(settings, lab.database, lab.vault, hooks, RetryPolicy())


def run_sequential(admin_url: str, spec: campaign.CampaignSpec, workdir: Path) -> dict[str, Any]:
    """Deploy ``spec``'s campaign one deployment at a time; returns its figures."""
    lab = FleetLab(admin_url, workdir)
    clouds = campaign.make_clouds(list(spec.accounts), spec.mix)
    try:
        prepared = campaign.prepare(lab, clouds, spec)
        runtime = sequential_runtime(lab)
        for cloud in clouds:
            cloud.behave(Faults())
        with lab.database.unit_of_work() as session:
            for task_id in prepared.task_ids:
                tasks.submit(session, task_id)
        ids: list[int] = []
        while True:  # start_due_tasks starts a bounded number of tasks per call
            with lab.database.unit_of_work() as session:
                started = tasks.start_due_tasks(session, utcnow())
            if not started:
                break
            ids.extend(i for task in started for i in task.deployment_ids)
        outcomes: dict[str, int] = {}
        cpu = own_cpu_seconds()
        began = time.monotonic()
        for deployment_id in sorted(ids):
            kind = _deploy_inline(runtime, deployment_id)
            outcomes[kind] = outcomes.get(kind, 0) + 1
        seconds = time.monotonic() - began
        calls = figures.call_totals([cloud.log() for cloud in clouds])
        return {
            "deployments": len(ids),
            "outcomes": outcomes,
            "seconds": round(seconds, 2),
            "seconds_per_deployment": round(seconds / len(ids), 4),
            "deployments_per_s": round(len(ids) / seconds, 2),
            "cpu_s_per_deployment": round((own_cpu_seconds() - cpu) / len(ids), 4),
            "calls_including_discovery": calls.total,
        }
    finally:
        lab.close()
        for cloud in clouds:
            cloud.stop()


def _deploy_inline(runtime: Runtime, deployment_id: int) -> str:
    """Run attempts of one deployment until it ends, sleeping through its retry delays."""
    for _ in range(MAX_ATTEMPTS):
        outcome = run_attempt(runtime, deployment_id)
        if outcome.kind != "retry":
            return outcome.kind
        time.sleep(outcome.delay)
    return "unfinished"


def bench(
    admin_url: str, spec: campaign.CampaignSpec, sample: int, workdir: Path
) -> dict[str, Any]:
    """The sequential sample, then the fleet campaign, and the speed-up between them."""
    (workdir / "sequential").mkdir()
    (workdir / "fleet").mkdir()
    small = replace(spec, resources=max(sample, sum(spec.accounts.values())))
    sequential = run_sequential(admin_url, small, workdir / "sequential")
    fleet = campaign.bench(admin_url, spec, workdir / "fleet")
    extrapolated = sequential["seconds_per_deployment"] * spec.resources
    speedup = extrapolated / fleet["makespan_s"]
    return {
        "bench": "baseline",
        "resources": spec.resources,
        "sequential": sequential
        | {
            "extrapolated_makespan_s": round(extrapolated, 1),
            "extrapolation": (
                f"measured on {small.resources} resources (same clouds, accounts and product "
                f"mix), scaled linearly to {spec.resources}"
            ),
        },
        "fleet": {
            key: fleet[key]
            for key in (
                "deployments",
                "outcomes",
                "makespan_s",
                "ideal_makespan_s",
                "makespan_over_ideal",
                "deployments_per_s",
                "fleet",
            )
        },
        "speedup": round(speedup, 2),
        "targets": {"speedup>=20": speedup >= SPEEDUP_TARGET},
    }
