"""``certfleet bench``: benchmark programs that print one JSON object per run."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.errors import InputError
from scheduler.cli.output import print_json

app = typer.Typer(help="Benchmarks (print JSON figures measured in one run).", no_args_is_help=True)

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@app.command("fleet")
def fleet(
    processes: Annotated[list[int], typer.Option(help="Worker process counts to compare")] = [1, 4],  # noqa: B006
    threads: Annotated[int, typer.Option(help="Threads per worker process")] = 8,
    accounts: Annotated[int, typer.Option(help="Emulated accounts")] = 4,
    domains: Annotated[int, typer.Option(help="CDN domains per account")] = 150,
    limit: Annotated[float, typer.Option(help="Per-account, per-API req/s at the emulator")] = 50,
    latency: Annotated[float, typer.Option(help="Emulated vendor latency per call (s)")] = 0.02,
    postgres: Annotated[str, typer.Option(help="PostgreSQL admin URL")] = DEFAULT_POSTGRES,
) -> None:
    """Deployments/s of one campaign with 1 vs N worker processes (PostgreSQL + Redis fleet)."""
    from scheduler.bench import fleet as bench  # noqa: PLC0415 - heavy imports only when used

    print_json(
        bench.run(
            admin_url=postgres,
            processes=sorted(processes),
            threads=threads,
            accounts=accounts,
            domains=domains,
            limit=limit,
            latency=latency,
        )
    )


ResourcesOption = Annotated[int, typer.Option(help="Resources (deployments) in the campaign")]
TencentOption = Annotated[int, typer.Option(help="Tencent Cloud accounts (0: none)")]
HuaweiOption = Annotated[int, typer.Option(help="Huawei Cloud accounts (0: none)")]
AwsOption = Annotated[int, typer.Option(help="AWS accounts (0: none; campaign and baseline)")]
HuaweiShare = Annotated[float, typer.Option(help="Share of the resources at Huawei")]
AwsShare = Annotated[float, typer.Option(help="Share of the resources at AWS")]
HostsOption = Annotated[int, typer.Option(help="Worker hosts (certfleet worker commands)")]
ProcessesOption = Annotated[int, typer.Option(help="Worker processes per host")]
ThreadsOption = Annotated[int, typer.Option(help="Threads per worker process")]
ShardsOption = Annotated[
    int, typer.Option(help="CERTFLEET_SHARDS of the fleet (queues per provider)")
]
PostgresOption = Annotated[str, typer.Option(help="PostgreSQL admin URL")]
PrefetchOption = Annotated[
    int,
    typer.Option(
        help="CERTFLEET_QUEUE_PREFETCH of the fleet: deployments of one queue (account) a "
        "worker process holds at once"
    ),
]
ReapGraceOption = Annotated[
    int | None,
    typer.Option(help="CERTFLEET_REAP_GRACE_SECONDS of the fleet [default: the fleet's, 30]"),
]
KeepOption = Annotated[
    Path | None, typer.Option(help="Keep logs and work files in this new directory")
]


def _campaign_spec(
    resources: int,
    clouds: dict[str, tuple[int, float | None]],
    hosts: int,
    processes: int,
    threads: int,
    shards: int,
    prefetch: int,
    reap_grace: int | None = None,
) -> Any:
    from scheduler.bench.campaign import CampaignSpec  # noqa: PLC0415

    accounts = {name: n for name, (n, _) in clouds.items() if n > 0}
    shares = {name: s for name, (n, s) in clouds.items() if n > 0 and s is not None}
    if sum(shares.values()) > 1 or (
        shares and len(shares) == len(accounts) and sum(shares.values()) != 1
    ):
        raise InputError(
            "--aws-share", "cloud shares must leave the rest of the campaign to a cloud"
        )
    if not accounts or resources < sum(accounts.values()):
        raise InputError("--resources", "give at least one account and one resource per account")
    if min(hosts, processes, threads, shards, prefetch) < 1:
        raise InputError(
            "--hosts", "hosts, processes, threads, shards and prefetch must be at least 1"
        )
    return CampaignSpec(
        resources=resources,
        accounts=accounts,
        hosts=hosts,
        processes=processes,
        threads=threads,
        settings={"shards": str(shards), "queue_prefetch": str(prefetch)}
        | ({"reap_grace_seconds": str(reap_grace)} if reap_grace is not None else {}),
        shares=shares,
    )


@contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    """A scratch directory, removed afterwards unless ``--keep`` names where to leave it."""
    if keep is not None:
        keep.mkdir(parents=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="certfleet-bench-") as workdir:
        yield Path(workdir)


@app.command("campaign")
def campaign(
    resources: ResourcesOption = 10_000,
    tencent_accounts: TencentOption = 3,
    huawei_accounts: HuaweiOption = 1,
    aws_accounts: AwsOption = 1,
    huawei_share: HuaweiShare = 0.10,
    aws_share: AwsShare = 0.03,
    hosts: HostsOption = 1,
    processes: ProcessesOption = 2,
    threads: ThreadsOption = 32,
    shards: ShardsOption = 16,
    prefetch: PrefetchOption = 8,
    reap_grace: ReapGraceOption = None,
    postgres: PostgresOption = DEFAULT_POSTGRES,
    keep: KeepOption = None,
) -> None:
    """Makespan of a campaign against the ideal the vendors' rate limits allow."""
    from scheduler.bench import campaign as bench  # noqa: PLC0415

    spec = _campaign_spec(
        resources,
        {
            "tencent": (tencent_accounts, None),
            "huawei": (huawei_accounts, huawei_share),
            "aws": (aws_accounts, aws_share),
        },
        hosts,
        processes,
        threads,
        shards,
        prefetch,
        reap_grace,
    )
    with _workdir(keep) as workdir:
        print_json(bench.bench(postgres, spec, workdir))


@app.command("baseline")
def baseline(
    resources: ResourcesOption = 10_000,
    sample: Annotated[
        int, typer.Option(help="Resources deployed sequentially (scaled linearly)")
    ] = 300,
    tencent_accounts: TencentOption = 3,
    huawei_accounts: HuaweiOption = 1,
    aws_accounts: AwsOption = 1,
    huawei_share: HuaweiShare = 0.10,
    aws_share: AwsShare = 0.03,
    hosts: HostsOption = 1,
    processes: ProcessesOption = 2,
    threads: ThreadsOption = 32,
    shards: ShardsOption = 16,
    prefetch: PrefetchOption = 8,
    reap_grace: ReapGraceOption = None,
    postgres: PostgresOption = DEFAULT_POSTGRES,
    keep: KeepOption = None,
) -> None:
    """One resource after another through the same adapters, against the fleet: speed-up."""
    from scheduler.bench import baseline as bench  # noqa: PLC0415

    spec = _campaign_spec(
        resources,
        {
            "tencent": (tencent_accounts, None),
            "huawei": (huawei_accounts, huawei_share),
            "aws": (aws_accounts, aws_share),
        },
        hosts,
        processes,
        threads,
        shards,
        prefetch,
        reap_grace,
    )
    with _workdir(keep) as workdir:
        print_json(bench.bench(postgres, spec, sample, workdir))


@app.command("plan")
def plan(
    sizes: Annotated[
        list[int], typer.Option("--resources", help="Estate sizes (certificates: a tenth)")
    ] = [10_000, 25_000, 50_000, 100_000],  # noqa: B006
    postgres: PostgresOption = DEFAULT_POSTGRES,
) -> None:
    """Matching and preview time for 10k..100k resources x 1k..10k certificates."""
    from scheduler.bench import plan as bench  # noqa: PLC0415

    if not sizes or min(sizes) < 10:
        raise InputError("--resources", "give sizes of at least 10 resources")
    print_json(bench.run(postgres, sizes))


@app.command("ledger")
def ledger(
    clients: Annotated[int, typer.Option(help="Concurrent client processes")] = 16,
    seconds: Annotated[float, typer.Option(help="Length of the measured window")] = 10.0,
    postgres: PostgresOption = DEFAULT_POSTGRES,
) -> None:
    """Quota debit/refund transactions per second on PostgreSQL, invariants checked."""
    from scheduler.bench import quota_load as bench  # noqa: PLC0415

    if clients < 1 or seconds <= 0:
        raise InputError("--clients", "at least one client for a positive number of seconds")
    print_json(bench.run(postgres, clients=clients, seconds=seconds))


@app.command("chaos")
def chaos(
    resources: ResourcesOption = 10_000,
    tencent_accounts: TencentOption = 3,
    huawei_accounts: HuaweiOption = 1,
    huawei_share: HuaweiShare = 0.10,
    hosts: HostsOption = 3,
    processes: ProcessesOption = 1,
    threads: ThreadsOption = 32,
    shards: ShardsOption = 16,
    prefetch: PrefetchOption = 8,
    reap_grace: ReapGraceOption = None,
    kill_every: Annotated[float, typer.Option(help="Seconds between worker SIGKILLs")] = 5.0,
    restart_postgres: Annotated[
        bool,
        typer.Option(help="Restart the machine's PostgreSQL once (pg_ctlcluster; needs root)"),
    ] = True,
    fault_free: Annotated[
        bool, typer.Option(help="Also run the campaign without faults, for the makespan cost")
    ] = True,
    postgres: PostgresOption = DEFAULT_POSTGRES,
    keep: KeepOption = None,
) -> None:
    """A campaign under SIGKILLs, Redis and PostgreSQL restarts and vendor faults; exit code 1
    unless nothing was lost or done twice."""
    from dataclasses import replace  # noqa: PLC0415

    from scheduler.bench import chaos as bench  # noqa: PLC0415

    if hosts < 2:
        raise InputError("--hosts", "chaos needs at least 2 worker hosts (one is always killed)")
    spec = _campaign_spec(
        resources,
        {"tencent": (tencent_accounts, None), "huawei": (huawei_accounts, huawei_share)},
        hosts,
        processes,
        threads,
        shards,
        prefetch,
        reap_grace,
    )
    spec = replace(spec, faults=bench.DEFAULT_FAULTS, timeout=4 * 3600)
    plan = bench.ChaosPlan(kill_every=kill_every, restart_postgres=restart_postgres)
    with _workdir(keep) as workdir:
        result = bench.bench(postgres, spec, plan, workdir, fault_free=fault_free)
    print_json(result)
    if not result["sound"]:
        raise typer.Exit(1)
