"""``certfleet bench campaign``: one renewal campaign across emulated clouds and accounts, run by
a real fleet (PostgreSQL, private Redis, ``certfleet worker`` and ``certfleet scheduler``
processes), measured against the vendors' rate limits.

The estate is seeded and drafted first (discovery, matching, preview: not timed); the clock
starts when the tasks are submitted and stops when every deployment is terminal. The figures
come from three places: the ledger (outcomes), the emulators (every call, throttle, upload and
bind the vendor saw, see :mod:`scheduler.bench.clouds`), and ``/proc`` (worker CPU and memory).
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger import quota, tasks
from ledger.certificates import validate_bundle
from ledger.certstore import import_certificate
from ledger.timeutil import utcnow
from providers.emulators.pki import Authority
from scheduler.bench import figures, outcomes
from scheduler.bench.clouds import BenchCloud, Estate, Faults, VendorLog
from scheduler.bench.lab import FleetLab, wait_terminal
from scheduler.bench.procstats import (
    ProcessWatch,
    machine_busy_seconds,
    own_cpu_seconds,
    worker_usage,
)
from scheduler.drafting import draft_task
from scheduler.task_spec import TaskSpec

WORKER = "workers"
SCHEDULER = "scheduler"
TIMELINE_STEP = 10  # seconds
SCHEDULER_INTERVAL = 1.0  # seconds, `certfleet scheduler`'s default
MAKESPAN_TARGET = 1.10
THROTTLE_TARGET = 0.005


@dataclass(frozen=True)
class CampaignSpec:
    """What to run: how many resources over how many accounts of each cloud, and the fleet."""

    resources: int = 10_000
    accounts: dict[str, int] = field(default_factory=lambda: {"tencent": 6})
    hosts: int = 1  # worker hosts (``certfleet worker`` commands), each its own process tree
    processes: int = 2  # worker processes per host
    threads: int = 16
    faults: Faults = field(default_factory=Faults)
    timeout: float = 3600.0
    settings: dict[str, str] = field(default_factory=dict)  # CERTFLEET_* of the fleet
    mix: dict[str, float] = field(default_factory=dict)  # product -> share (clouds' defaults)
    shares: dict[str, float] = field(default_factory=dict)  # cloud -> share of the resources


@dataclass
class Prepared:
    """A seeded, drafted campaign waiting to be submitted."""

    lab: FleetLab
    clouds: list[BenchCloud]
    estates: list[Estate]
    task_ids: list[int]
    seconds_to_prepare: float


@dataclass
class CampaignRun:
    """What one run measured."""

    makespan: float
    states: Counter[str]
    timeline: list[int]  # deployments finished in each TIMELINE_STEP after submission
    phases: dict[str, dict[str, list[float]]]  # account -> product -> claim and finish times
    logs: list[VendorLog]  # per cloud, during the run only
    usage: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)  # what a supervisor did


def split_resources(spec: CampaignSpec) -> dict[str, int]:
    """Resources per cloud: the ``shares`` given, the rest in proportion to accounts."""
    fixed = {p: round(spec.resources * spec.shares[p]) for p in spec.accounts if p in spec.shares}
    rest = [p for p in spec.accounts if p not in fixed]
    left = spec.resources - sum(fixed.values())
    if left < 0 or (left and not rest):
        raise ValueError(f"cloud shares {spec.shares} do not add up to the campaign")
    rest_accounts = sum(spec.accounts[p] for p in rest)
    shares = dict(fixed)
    for i, provider in enumerate(rest):
        last = i == len(rest) - 1
        shares[provider] = left if last else left * spec.accounts[provider] // rest_accounts
        left -= shares[provider]
    return shares


def prepare(lab: FleetLab, clouds: Sequence[BenchCloud], spec: CampaignSpec) -> Prepared:
    """Seed every cloud, import the new certificate, buy quota, draft one task per account."""
    started = time.monotonic()
    authority = Authority("bench")
    old = authority.issue(["*.fleet.test"], days=10)
    new = authority.issue(["*.fleet.test"], days=90)
    with lab.database.unit_of_work() as session:
        validated = validate_bundle(new.chain_pem, new.key_pem, trust_anchors=[authority.root])
        cert, _ = import_certificate(session, lab.vault, validated, cert_type="uploaded")
        quota.buy(session, spec.resources)
    shares = split_resources(spec)
    estates: list[Estate] = []
    task_ids: list[int] = []
    first = 0
    for cloud in clouds:
        cloud.start()
        estate = cloud.seed(
            lab.database,
            lab.vault,
            authority,
            old,
            accounts=spec.accounts[cloud.provider],
            resources=shares[cloud.provider],
            first_account=first,
        )
        first += len(estate.accounts)
        estates.append(estate)
        for name, products in estate.accounts.items():
            task = TaskSpec(
                f"bench {name}",
                name,
                ("ops@fleet.test",),
                (cert.id,),
                tuple(sorted(products)),
                utcnow(),
            )
            _, task_id = draft_task(lab.database, lab.vault, task)
            assert task_id is not None
            task_ids.append(task_id)
    return Prepared(lab, list(clouds), estates, task_ids, time.monotonic() - started)


Supervisor = Callable[[Prepared, threading.Event], list[dict[str, Any]]]


def run(
    prepared: Prepared, spec: CampaignSpec, supervisor: Supervisor | None = None
) -> CampaignRun:
    """Start the fleet, submit every task, wait until all deployments are terminal."""
    lab = prepared.lab
    for host in range(spec.hosts):
        start_worker(lab, spec, f"{WORKER}-{host}")
    # A fleet's scheduler is already running when tasks come, at its default interval (its
    # reaper re-sends overdue deployments on every pass, so the interval matters under faults).
    lab.start_scheduler(SCHEDULER, interval=SCHEDULER_INTERVAL)
    lab.wait_for_workers(spec.hosts * spec.processes)
    for cloud in prepared.clouds:
        cloud.behave(spec.faults)
    before = [cloud.log() for cloud in prepared.clouds]
    watch = ProcessWatch(lambda: _worker_roots(lab))
    events: list[dict[str, Any]] = []
    with watch, _supervised(prepared, supervisor, events):
        baseline = {s.pid: s.cpu_seconds for s in watch.samples()}
        bench_cpu = own_cpu_seconds()
        machine = machine_busy_seconds()
        started = time.monotonic()
        with lab.database.unit_of_work() as session:
            for task_id in prepared.task_ids:
                tasks.submit(session, task_id)
        wait_terminal(lab.database, prepared.task_ids, spec.timeout, poll=0.2)
        makespan = time.monotonic() - started  # from submission, not from the first poll
        watch.sample()
        bench_cpu = own_cpu_seconds() - bench_cpu
        (busy_now, total_now), (busy_then, total_then) = machine_busy_seconds(), machine
        busy, total = busy_now - busy_then, total_now - total_then
    logs = [cloud.log().since(start) for cloud, start in zip(prepared.clouds, before, strict=True)]
    usage = worker_usage(watch.samples(), baseline)
    with lab.database.unit_of_work() as session:
        states = outcomes.states(session)
        timeline = outcomes.timeline(session, TIMELINE_STEP)
        phases = outcomes.phases(session)
    return CampaignRun(
        makespan,
        states,
        timeline,
        phases,
        logs,
        {
            "worker_cpu_s": usage.cpu_seconds,
            "worker_processes": usage.worker_processes,
            "peak_rss_mb_per_worker_max": usage.peak_rss_mb_max,
            "peak_rss_mb_per_worker_mean": usage.peak_rss_mb_mean,
            "bench_process_cpu_s": bench_cpu,
            "machine_busy_share": busy / total if total else 0.0,
        },
        events,
    )


def start_worker(lab: FleetLab, spec: CampaignSpec, name: str) -> None:
    """One worker host: ``certfleet worker`` with the spec's processes and threads."""
    lab.fleet.worker(name, processes=spec.processes, threads=spec.threads)


@contextmanager
def _supervised(
    prepared: Prepared, supervisor: Supervisor | None, events: list[dict[str, Any]]
) -> Iterator[None]:
    """Run ``supervisor`` in a thread for the duration of the block; stop and join it after."""
    if supervisor is None:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=lambda: events.extend(supervisor(prepared, stop)), name="supervisor", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=120)


def _worker_roots(lab: FleetLab) -> list[int]:
    return [
        p.pid for n, p in lab.fleet.processes.items() if n.startswith(WORKER) and p.poll() is None
    ]


def report(prepared: Prepared, spec: CampaignSpec, result: CampaignRun) -> dict[str, Any]:
    """The campaign's JSON figures."""
    deployments = sum(e.resources for e in prepared.estates)
    ideal = figures.ideal_makespan(prepared.clouds, result.logs)
    calls = figures.call_totals(result.logs)
    ratio = result.makespan / ideal.seconds if ideal.seconds else None
    throttled = calls.throttles / calls.total if calls.total else 0.0
    return {
        "bench": "campaign",
        "deployments": deployments,
        "outcomes": dict(result.states),
        **_setting(prepared, spec),
        "makespan_s": round(result.makespan, 2),
        "ideal_makespan_s": round(ideal.seconds, 2),
        "ideal_bottleneck": ideal.as_dict(),
        "makespan_over_ideal": round(ratio, 3) if ratio else None,
        "certfleet_budget": _budget(prepared, result),
        "calls": calls.total,
        "calls_per_deployment": round(calls.total / deployments, 2),
        "calls_by_action": dict(calls.by_action.most_common()),
        "throttle_answers": calls.throttles,
        "throttle_share_of_calls": round(throttled, 5),
        "deployments_per_s": round(deployments / result.makespan, 2),
        **_costs(result, deployments),
        "seconds_to_seed_and_draft": round(prepared.seconds_to_prepare, 1),
        f"finished_per_{TIMELINE_STEP}s": result.timeline,
        "claimed_first_finished_first_median_last_s": result.phases,
        "reaper_reenqueued_messages": outcomes.reenqueued(prepared.lab.fleet.logs, "scheduler*"),
        "double_uploads_at_vendor": sum(
            n - 1 for log in result.logs for n in log.uploads.values() if n > 1
        ),
        "double_binds_at_vendor": sum(
            n - 1 for log in result.logs for n in log.binds.values() if n > 1
        ),
        "ledger_schema": prepared.lab.url.rsplit("%3D", 1)[-1],
        "targets": {
            "makespan_over_ideal<=1.10": bool(ratio and ratio <= MAKESPAN_TARGET),
            "throttle_share<=0.005": bool(calls.total and throttled <= THROTTLE_TARGET),
        },
    }


def _setting(prepared: Prepared, spec: CampaignSpec) -> dict[str, Any]:
    """What ran: the clouds (accounts, resources, vendor behaviour) and the fleet."""
    return {
        "clouds": {
            e.provider: {
                "accounts": len(e.accounts),
                "resources": dict(sum((c for c in e.accounts.values()), Counter())),
                "vendor": dict(cloud.describe()),
            }
            for e, cloud in zip(prepared.estates, prepared.clouds, strict=True)
        },
        "fleet": {
            "worker_hosts": spec.hosts,
            "worker_processes_per_host": spec.processes,
            "threads_per_process": spec.threads,
            "settings": spec.settings,
            "machine_cores": os.cpu_count(),
        },
    }


def _budget(prepared: Prepared, result: CampaignRun) -> dict[str, Any]:
    """The bounds certfleet's own rate-limit budget implies, for the same calls."""
    budget = figures.budget_makespan(prepared.clouds, result.logs)
    at_headroom = budget.seconds / figures.HEADROOM
    return {
        "note": (
            "certfleet keeps one bucket per vendor bucket (an action at Tencent and Huawei, a "
            "category at AWS) at the rate the product declares, and aims at HEADROOM of it; "
            "these are the bounds that budget implies, for the same calls"
        ),
        "headroom": figures.HEADROOM,
        "budget_makespan_s": round(budget.seconds, 2),
        "budget_bottleneck": budget.as_dict(),
        "at_headroom_makespan_s": round(at_headroom, 2),
        "makespan_over_at_headroom": round(result.makespan / at_headroom, 3)
        if at_headroom
        else None,
    }


def _costs(result: CampaignRun, deployments: int) -> dict[str, Any]:
    """What the fleet's workers and the bench process (the emulators) spent."""
    usage = result.usage
    return {
        "worker_cpu_s_per_deployment": round(usage["worker_cpu_s"] / deployments, 4),
        "worker_cpu_share_of_machine": round(
            usage["worker_cpu_s"] / (result.makespan * (os.cpu_count() or 1)), 3
        ),
        "peak_rss_mb_per_worker": {
            "max": round(usage["peak_rss_mb_per_worker_max"], 1),
            "mean": round(usage["peak_rss_mb_per_worker_mean"], 1),
            "processes": usage["worker_processes"],
        },
        "emulators_and_bench_cpu_s": round(usage["bench_process_cpu_s"], 1),
        # Every core's busy share over the run (workers, emulators, PostgreSQL, Redis, the
        # rest of the machine): near 1.0, the campaign measured the machine, not the vendors.
        "machine_busy_share": round(usage["machine_busy_share"], 3),
    }


def make_clouds(names: Sequence[str], mix: Mapping[str, float] | None = None) -> list[BenchCloud]:
    """The bench clouds called ``names`` (each imported only when asked for); ``mix`` overrides
    the share of resources per product (e.g. ``{"tencent.clb": 0}``)."""
    mix = mix or {}
    clouds: list[BenchCloud] = []
    for name in names:
        if name == "tencent":
            from scheduler.bench.clouds.tencent import ProductMix, TencentCloud  # noqa: PLC0415

            shares = ProductMix(mix.get("tencent.clb", 0.15), mix.get("tencent.waf", 0.15))
            clouds.append(TencentCloud(mix=shares))
        elif name == "huawei":
            from scheduler.bench.clouds.huawei import HuaweiCloud, HuaweiMix  # noqa: PLC0415

            clouds.append(HuaweiCloud(mix=HuaweiMix(mix.get("huawei.elb", 0.2))))
        elif name == "aws":
            from scheduler.bench.clouds.aws import AwsCloud, AwsMix  # noqa: PLC0415

            clouds.append(AwsCloud(mix=AwsMix(mix.get("aws.cloudfront", 0.3))))
        else:
            raise ValueError(f"no bench cloud {name!r}; available: tencent, huawei, aws")
    return clouds


def bench(admin_url: str, spec: CampaignSpec, workdir: Path) -> dict[str, Any]:
    """One campaign on a fresh fleet; returns its figures."""
    lab = FleetLab(admin_url, workdir, **spec.settings)
    clouds = make_clouds(list(spec.accounts), spec.mix)
    try:
        prepared = prepare(lab, clouds, spec)
        result = run(prepared, spec)
        return report(prepared, spec, result)
    finally:
        lab.close()
        for cloud in clouds:
            cloud.stop()
