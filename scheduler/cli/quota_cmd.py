"""``certfleet quota``: buy packs, show the balance, audit the journal."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger import quota
from scheduler.cli.context import CONTEXT
from scheduler.cli.output import Output, OutputOption, console, print_json

app = typer.Typer(help="Deployment quota.", no_args_is_help=True)


@app.command("buy")
def buy(
    units: Annotated[int, typer.Argument(help="Units in the pack")],
    note: Annotated[str | None, typer.Option(help="Order reference")] = None,
    output: Output = OutputOption,
) -> None:
    """Record a purchased quota pack."""
    with CONTEXT.database.unit_of_work() as session:
        balance = quota.buy(session, units, note)
    if output is Output.json:
        print_json({"bought": units, "balance": balance})
    else:
        console.print(f"bought {units} units; balance {balance}")


@app.command("show")
def show(output: Output = OutputOption) -> None:
    """Balance and totals, and whether the balance equals the journal's sum."""
    with CONTEXT.database.unit_of_work() as session:
        totals = quota.summary(session)
        problems = quota.audit(session)
    data = {
        "balance": totals.balance,
        "purchased": totals.purchased,
        "debited": totals.debited,
        "refunded": totals.refunded,
        "consistent": totals.consistent and not problems,
        "problems": problems,
    }
    if output is Output.json:
        print_json(data)
    else:
        state = "consistent" if data["consistent"] else "BROKEN"
        console.print(
            f"balance {totals.balance} (purchased {totals.purchased}, debited {totals.debited}, "
            f"refunded {totals.refunded}); journal {state}"
        )
        for problem in problems:
            console.print(f"[red]{problem}[/red]")
    if problems:
        raise typer.Exit(1)
