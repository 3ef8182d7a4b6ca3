"""``certfleet task`` and ``certfleet discover``: plan, preview, submit, watch, cancel."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger import tasks
from ledger.errors import InputError
from ledger.rollback import create_rollback
from ledger.rollout import resume as resume_task
from ledger.tasks import Rollout
from ledger.timeutil import utcnow
from scheduler.cli.context import CONTEXT
from scheduler.cli.output import Output, OutputOption, console, emit, print_json, print_table
from scheduler.cli.progress import run_tasks, runtime_for_cli
from scheduler.discovery import discover
from scheduler.drafting import draft_task
from scheduler.planning import Preview
from scheduler.task_spec import build_spec

app = typer.Typer(help="Deployment tasks.", no_args_is_help=True)


def discover_command(
    account: Annotated[str, typer.Option(help="Account name")],
    product: Annotated[list[str], typer.Option(help="Product(s), e.g. tencent.cdn")],
    output: Output = OutputOption,
) -> None:
    """Pull every resource of the products from the account into the inventory."""
    counts = discover(CONTEXT.database, CONTEXT.vault, account, product)
    emit(
        output,
        counts,
        title=f"Discovered in {account}",
        columns=["product", "resources"],
        rows=sorted(counts.items()),
    )


def _show_preview(result: Preview) -> None:
    print_table(
        f"Preview: {result.spec.name} ({result.cert_type} certificates)",
        ["product", "resource", "hostnames", "certificate", "also covered by"],
        [
            [
                r.product,
                r.native_id,
                ", ".join(r.hostnames),
                r.certificate_id,
                ", ".join(map(str, r.alternatives)) or "-",
            ]
            for r in result.matched[:50]
        ],
    )
    if len(result.matched) > 50:
        console.print(f"… and {len(result.matched) - 50} more matched resources")
    for product, native_id, reason in result.unmatched[:10]:
        console.print(f"[yellow]not matched[/yellow] {product} {native_id}: {reason}")
    if len(result.unmatched) > 10:
        console.print(f"… and {len(result.unmatched) - 10} more not matched")
    used = ", ".join(f"cert {k}: {v}" for k, v in sorted(result.certificates_used.items()))
    console.print(
        f"discovered {result.discovered}, matched {len(result.matched)} ({used}); "
        f"quota to consume {result.quota_to_consume} of balance {result.balance}"
    )


@app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Task name")],
    account: Annotated[str, typer.Option(help="Account name")],
    contact: Annotated[list[str], typer.Option(help="E-mail or webhook URL (1..10)")],
    cert: Annotated[list[int], typer.Option(help="Certificate id(s), all of one type")],
    product: Annotated[list[str], typer.Option(help="Product(s), e.g. tencent.cdn")],
    at: Annotated[str | None, typer.Option(help="Start time, ISO 8601 (default: now)")] = None,
    now: Annotated[bool, typer.Option("--now", help="Start as soon as submitted")] = False,
    preview_only: Annotated[
        bool, typer.Option("--preview", help="Show what would happen; write nothing")
    ] = False,
    rediscover: Annotated[
        bool, typer.Option("--discover/--no-discover", help="Refresh the inventory first")
    ] = True,
    canary: Annotated[
        int | None, typer.Option(help="First N deployments per product must succeed first")
    ] = None,
    halt_at: Annotated[
        float | None, typer.Option(help="Pause the rest when this share fails, e.g. 0.2")
    ] = None,
    output: Output = OutputOption,
) -> None:
    """Discover, match and preview a task; without --preview, save it as a draft to submit."""
    if now and at:
        raise InputError("--at", "give either --now or --at, not both")
    spec = build_spec(
        name=name,
        account=account,
        contacts=contact,
        certificate_ids=cert,
        products=product,
        at=at,
        now=utcnow(),
    )
    rollout = Rollout(canary=canary, halt_failure_rate=halt_at)
    result, task_id = draft_task(
        CONTEXT.database,
        CONTEXT.vault,
        spec,
        rediscover=rediscover,
        save=not preview_only,
        rollout=rollout,
    )
    if output is Output.json:
        print_json({"task": task_id, "preview": result.as_dict()})
        return
    _show_preview(result)
    if task_id is not None:
        console.print(f"draft task {task_id} saved; submit it: certfleet task submit {task_id}")


@app.command("submit")
def submit(
    task_id: Annotated[int, typer.Argument(help="Draft task id")],
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Run/watch until done")] = True,
    output: Output = OutputOption,
) -> None:
    """Submit a draft: debit quota and schedule it; by default run it and wait."""
    with CONTEXT.database.unit_of_work() as session:
        submission = tasks.submit(session, task_id)
    if output is not Output.json:
        console.print(
            f"task {task_id} submitted: {submission.deployments} deployments, "
            f"{submission.debited} quota units debited"
        )
    if not wait:
        if output is Output.json:
            print_json(
                {
                    "task": task_id,
                    "deployments": submission.deployments,
                    "debited": submission.debited,
                }
            )
        return
    run_tasks(runtime_for_cli(), [task_id], show=output is not Output.json)
    status(task_id, output=output)


def _status_data(task_id: int) -> dict[str, object]:
    with CONTEXT.database.unit_of_work() as session:
        task = tasks.get_task(session, task_id)
        counts = tasks.progress(session, task_id)
        debited, refunded = tasks.quota_for_task(session, task_id)
        failures = tasks.failures(session, task_id)
        return {
            "task": task.id,
            "name": task.name,
            "status": task.status,
            "run_at": task.run_at,
            "counts": dict(counts),
            "quota_debited": debited,
            "quota_refunded": refunded,
            "failures": failures,
        }


@app.command("status")
def status(
    task_id: Annotated[int, typer.Argument(help="Task id")],
    watch: Annotated[bool, typer.Option(help="Follow with a progress bar until done")] = False,
    output: Output = OutputOption,
) -> None:
    """A task's state, per-state counts, quota and failures (exit 1 if any failed)."""
    if watch:
        run_tasks(runtime_for_cli(), [task_id], show=output is not Output.json)
    data = _status_data(task_id)
    if output is Output.json:
        print_json(data)
    else:
        counts = data["counts"]
        console.print(f"task {task_id} {data['name']!r}: {data['status']} {counts}")
        console.print(f"quota debited {data['quota_debited']}, refunded {data['quota_refunded']}")
        failures = data["failures"]
        assert isinstance(failures, list)
        for failure in failures[:20]:
            console.print(f"[red]failed[/red] {failure['resource']}: {failure['reason']}")
    if data["status"] in ("failed", "partial"):
        raise typer.Exit(1)


@app.command("list")
def list_(output: Output = OutputOption) -> None:
    """Recent tasks."""
    with CONTEXT.database.unit_of_work() as session:
        recent = tasks.list_tasks(session)
    emit(
        output,
        [
            {
                "task": t.id,
                "name": t.name,
                "status": t.status,
                "run_at": t.run_at,
                "cert_type": t.cert_type,
                "products": t.products,
            }
            for t in recent
        ],
        title="Tasks",
        columns=["id", "name", "status", "run at", "type", "products"],
        rows=[
            [t.id, t.name, t.status, t.run_at, t.cert_type, ", ".join(t.products)] for t in recent
        ],
    )


@app.command("cancel")
def cancel(task_id: int, output: Output = OutputOption) -> None:
    """Cancel a task: deployments not yet running are cancelled and refunded."""
    with CONTEXT.database.unit_of_work() as session:
        cancelled = tasks.cancel(session, task_id)
    if output is Output.json:
        print_json({"task": task_id, "cancelled": cancelled})
    else:
        console.print(f"task {task_id} cancelled; {cancelled} deployments cancelled and refunded")


@app.command("resume")
def resume(
    task_id: int,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Run/watch until done")] = True,
    output: Output = OutputOption,
) -> None:
    """Let a halted task go on: its paused deployments are queued again."""
    with CONTEXT.database.unit_of_work() as session:
        released = resume_task(session, task_id)
    if output is not Output.json:
        console.print(f"task {task_id} resumed; {len(released)} deployments queued again")
    if wait:
        run_tasks(runtime_for_cli(), [task_id], show=output is not Output.json)
        status(task_id, output=output)
    elif output is Output.json:
        print_json({"task": task_id, "requeued": len(released)})


@app.command("rollback")
def rollback(
    task_id: int,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Run/watch until done")] = True,
    output: Output = OutputOption,
) -> None:
    """Re-bind what each resource served before this task (no quota is charged)."""
    with CONTEXT.database.unit_of_work() as session:
        plan = create_rollback(session, task_id)
    if output is not Output.json:
        console.print(
            f"rollback task {plan.task_id} submitted: {plan.deployments} resources to restore"
        )
        for resource, reason in plan.skipped[:20]:
            console.print(f"[yellow]not rolled back[/yellow] {resource}: {reason}")
    if wait:
        run_tasks(runtime_for_cli(), [plan.task_id], show=output is not Output.json)
        status(plan.task_id, output=output)
    elif output is Output.json:
        print_json(
            {
                "task": plan.task_id,
                "deployments": plan.deployments,
                "skipped": [{"resource": r, "reason": w} for r, w in plan.skipped],
            }
        )
