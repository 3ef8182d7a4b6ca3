"""``certfleet demo``: the embedded campaign, with a summary for people or JSON for scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.errors import InputError
from scheduler.cli.context import CONTEXT
from scheduler.cli.output import Output, OutputOption, console, print_json, print_table
from scheduler.demo import run_demo


def demo(
    domains: Annotated[int, typer.Option(help="Wildcard-covered shop domains in acme-prod")] = 180,
    threads: Annotated[int, typer.Option(help="Worker threads")] = 8,
    data_dir: Annotated[
        Path | None, typer.Option(help="Keep the demo's database here (default: a temp dir)")
    ] = None,
    output: Output = OutputOption,
) -> None:
    """Run a renewal campaign against an in-process Tencent Cloud CDN emulator."""
    if not CONTEXT.settings.embedded:
        raise InputError("CERTFLEET_BROKER_URL", "the demo runs embedded; unset it for the demo")
    if domains < 1:
        raise InputError("--domains", "must be at least 1")
    report = run_demo(
        domains=domains, data_dir=data_dir, threads=threads, show=output is Output.table
    )
    if output is Output.json:
        print_json(report.as_dict())
        return
    for c in report.campaigns:
        console.print(
            f"campaign {c['campaign']!r}: {c['expiring']} certificates expiring within "
            f"{c['within_days']} days, {c['matched']} covered, {len(c['uncovered'])} not covered, "  # type: ignore[arg-type]
            f"quota {c['quota_to_consume']}"
        )
    print_table(
        "Demo campaign",
        ["task", "type", "status", "succeeded", "failed", "quota debited", "refunded"],
        [
            [t.name, t.cert_type, t.status, t.succeeded, t.failed, t.debited, t.refunded]
            for t in report.tasks
        ],
    )
    for t in report.tasks:
        for failure in t.failures:
            console.print(f"[red]failed[/red] {failure['resource']}: {failure['reason']}")
    console.print(
        f"matched {report.matched}, succeeded {report.succeeded} (verified by TLS handshake: "
        f"{report.verified}), failed {report.failed}, not matched {report.unmatched}; quota "
        f"debited {report.quota_debited}, refunded {report.quota_refunded}; "
        f"{report.seconds}s, {report.deployments_per_second} deployments/s; "
        f"{report.notifications} signed webhook notifications received"
    )
