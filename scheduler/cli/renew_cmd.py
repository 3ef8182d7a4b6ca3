"""``certfleet renew`` (a renewal campaign) and ``certfleet inventory expiring``."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.accounts import list_accounts
from ledger.tasks import Rollout
from ledger.timeutil import utcnow
from scheduler.cli.context import CONTEXT
from scheduler.cli.output import Output, OutputOption, console, emit, print_json, print_table
from scheduler.cli.progress import run_tasks, runtime_for_cli
from scheduler.durations import parse_duration
from scheduler.renewal import CampaignPlan, expiring_inventory, plan_campaign, submit_campaign
from scheduler.task_spec import parse_run_at, validate_contacts

inventory_app = typer.Typer(help="The resource inventory.", no_args_is_help=True)


def _show(plan: CampaignPlan) -> None:
    print_table(
        f"Campaign {plan.name!r}: certificates expiring within {plan.within.days} days",
        ["account", "product", "deployments"],
        [[a.account, p, n] for a in plan.accounts for p, n in sorted(a.per_product.items())],
    )
    for account, product, why in plan.unreadable:
        console.print(f"[red]not inventoried[/red] {account} {product}: {why}")
    for u in plan.uncovered[:20]:
        when = f"{u.expires:%Y-%m-%d}" if u.expires else "unknown expiry"
        console.print(f"[yellow]not covered[/yellow] {u.account} {u.resource} ({when}): {u.reason}")
    if len(plan.uncovered) > 20:
        console.print(f"… and {len(plan.uncovered) - 20} more not covered")
    console.print(
        f"{plan.expiring} expiring, {plan.matched} covered by the new certificates; "
        f"quota to consume {plan.quota_to_consume}"
    )


def renew(
    cert: Annotated[list[int], typer.Option(help="New certificate id(s), all of one type")],
    within: Annotated[str, typer.Option(help="Renew what expires within, e.g. 30d")] = "30d",
    account: Annotated[
        list[str] | None, typer.Option(help="Only these accounts (default: all accounts)")
    ] = None,
    product: Annotated[list[str] | None, typer.Option(help="Only these products")] = None,
    contact: Annotated[list[str] | None, typer.Option(help="E-mail or webhook (1..10)")] = None,
    name: Annotated[str, typer.Option(help="Campaign name")] = "renewal",
    at: Annotated[str | None, typer.Option(help="Start time, ISO 8601 (default: now)")] = None,
    canary: Annotated[int | None, typer.Option(help="Canary deployments per product")] = None,
    halt_at: Annotated[float | None, typer.Option(help="Halt at this failure share")] = None,
    freshness: Annotated[str, typer.Option(help="Re-discover inventory older than")] = "60m",
    preview_only: Annotated[bool, typer.Option("--preview", help="Write nothing")] = False,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Run/watch until done")] = True,
    output: Output = OutputOption,
) -> None:
    """Replace every served certificate that expires soon, one task per account."""
    now = utcnow()
    contacts = validate_contacts(contact or []) if not preview_only else tuple(contact or [])
    rollout = Rollout(canary=canary, halt_failure_rate=halt_at)
    run_at = parse_run_at(at, now)
    plan = plan_campaign(
        CONTEXT.database,
        CONTEXT.vault,
        name=name,
        certificate_ids=cert,
        within=parse_duration(within, "--within"),
        now=now,
        accounts=account or [],
        products=product or [],
        freshness=parse_duration(freshness, "--freshness"),
    )
    if output is not Output.json:
        _show(plan)
    if preview_only:
        if output is Output.json:
            print_json({"preview": plan.as_dict(), "tasks": []})
        return
    task_ids = submit_campaign(
        CONTEXT.database, plan, contacts=contacts, run_at=run_at, rollout=rollout
    )
    if output is not Output.json:
        console.print(f"campaign submitted as tasks {', '.join(map(str, task_ids))}")
    statuses = (
        run_tasks(runtime_for_cli(), task_ids, show=output is not Output.json) if wait else {}
    )
    if output is Output.json:
        print_json({"preview": plan.as_dict(), "tasks": task_ids, "statuses": statuses})
    if any(s in ("failed", "partial", "halted") for s in statuses.values()):
        raise typer.Exit(1)


@inventory_app.command("expiring")
def expiring(
    within: Annotated[str, typer.Option(help="Window, e.g. 30d")] = "30d",
    output: Output = OutputOption,
) -> None:
    """Resources whose served certificate expires within the window (what is still to renew)."""
    now = utcnow()
    with CONTEXT.database.unit_of_work() as session:
        names = {a.id: a.name for a in list_accounts(session)}
        rows = expiring_inventory(session, parse_duration(within, "--within"), now)
        data = [
            {
                "account": names.get(r.account_id),
                "product": r.product,
                "resource": r.native_id,
                "hostnames": r.hostnames,
                "expires": r.served_not_after,
                "days_left": (r.served_not_after - now).days if r.served_not_after else None,
            }
            for r in rows
        ]
    emit(
        output,
        data,
        title=f"Served certificates expiring within {within}",
        columns=["account", "product", "resource", "expires", "days left"],
        rows=[
            [d["account"], d["product"], d["resource"], d["expires"], d["days_left"]] for d in data
        ],
    )


def cleanup(
    account: Annotated[list[str] | None, typer.Option(help="Only these accounts")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Delete (default: dry run)")] = False,
    output: Output = OutputOption,
) -> None:
    """Delete certfleet's expired uploads that no resource serves (dry run unless --apply)."""
    from scheduler.cleanup import apply_cleanup, plan_cleanup  # noqa: PLC0415

    candidates = plan_cleanup(CONTEXT.database, CONTEXT.vault, accounts=account or [], now=utcnow())
    deleted = apply_cleanup(CONTEXT.database, CONTEXT.vault, candidates) if apply else 0
    data = {
        "applied": apply,
        "deleted": deleted,
        "certificates": [
            {
                "account": c.account,
                "store": c.store,
                "id": c.certificate.remote_id,
                "name": c.certificate.name,
                "not_after": c.certificate.not_after,
                "delete": c.delete,
                "reason": c.reason,
            }
            for c in candidates
        ],
    }
    emit(
        output,
        data,
        title="certfleet uploads" + ("" if apply else " (dry run)"),
        columns=["account", "store", "id", "expires", "verdict", "why"],
        rows=[
            [
                c.account,
                c.store,
                c.certificate.remote_id,
                c.certificate.not_after,
                ("deleted" if apply else "would delete") if c.delete else "keep",
                c.reason,
            ]
            for c in candidates
        ],
    )
