"""``certfleet bench``: benchmark programs that print one JSON object per run."""

from __future__ import annotations

from typing import Annotated

import typer

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
