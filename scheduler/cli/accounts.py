"""``certfleet account``: register, list and check cloud AccessKeys."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ledger.accounts import AccountView, add_account, get_account, list_accounts, record_check
from ledger.errors import InputError
from providers import registry
from providers.errors import ProviderError
from scheduler.cli.context import CONTEXT
from scheduler.cli.output import Output, OutputOption, console, emit, print_json
from workers.credentials import provider_account

app = typer.Typer(help="Cloud accounts (AccessKey pairs).", no_args_is_help=True)


def read_secret(secret_env: str | None, secret_file: Path | None, secret_stdin: bool) -> str:
    """The secret from exactly one source; never from a command-line argument (shell history)."""
    chosen = [s for s in (secret_env, secret_file, secret_stdin or None) if s]
    if len(chosen) > 1:
        raise InputError("secret", "give one of --secret-env, --secret-file, --secret-stdin")
    if secret_env:
        value = os.environ.get(secret_env)
        if not value:
            raise InputError("--secret-env", f"environment variable {secret_env} is not set")
        return value
    if secret_file:
        try:
            return secret_file.read_text().strip()
        except OSError as error:
            raise InputError(
                "--secret-file", f"cannot read {secret_file}: {error.strerror}"
            ) from None
    if secret_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    return str(typer.prompt("AccessKey secret", hide_input=True)).strip()


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A unique name for this account")],
    provider: Annotated[str, typer.Option(help="tencent, aws or huawei")],
    access_key_id: Annotated[str, typer.Option("--access-key-id", help="The AccessKey id")],
    secret_env: Annotated[
        str | None, typer.Option(help="Read the secret from this env var")
    ] = None,
    secret_file: Annotated[Path | None, typer.Option(help="Read the secret from a file")] = None,
    secret_stdin: Annotated[bool, typer.Option(help="Read the secret from stdin")] = False,
    region: Annotated[list[str] | None, typer.Option(help="Region(s) to use")] = None,
    endpoint: Annotated[
        str | None, typer.Option(help="API endpoint override host:port (emulators)")
    ] = None,
    tls_edge: Annotated[
        str | None, typer.Option(help="Where HTTPS resources answer host:port (emulators)")
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option(help="Extra KEY=VALUE settings, e.g. rate.cdn=5")
    ] = None,
    output: Output = OutputOption,
) -> None:
    """Register an AccessKey pair; the secret is stored encrypted."""
    options: dict[str, str] = {}
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError("--option", f"{item!r} is not KEY=VALUE")
        options[key] = value
    secret = read_secret(secret_env, secret_file, secret_stdin)
    with CONTEXT.database.unit_of_work() as session:
        account = add_account(
            session,
            CONTEXT.vault,
            name=name,
            provider=provider,
            access_key_id=access_key_id,
            secret=secret,
            regions=region or [],
            api_endpoint=endpoint,
            tls_edge=tls_edge,
            options=options,
        )
        account_id = account.id
    if output is Output.json:
        print_json({"id": account_id, "name": name, "provider": provider})
    else:
        console.print(
            f"account {name!r} added (id {account_id}); check it: certfleet account check {name}"
        )


@app.command("list")
def list_(output: Output = OutputOption) -> None:
    """List registered accounts (never their secrets)."""
    with CONTEXT.database.unit_of_work() as session:
        rows = list_accounts(session)
        data = [
            {
                "id": a.id,
                "name": a.name,
                "provider": a.provider,
                "access_key_id": a.access_key_id,
                "regions": a.regions,
                "endpoint": a.api_endpoint,
                "checked_at": a.checked_at,
                "check_error": a.check_error,
            }
            for a in rows
        ]
    emit(
        output,
        data,
        title="Accounts",
        columns=["id", "name", "provider", "AccessKey id", "checked", "problem"],
        rows=[
            [
                d["id"],
                d["name"],
                d["provider"],
                d["access_key_id"],
                d["checked_at"],
                d["check_error"],
            ]
            for d in data
        ],
    )


@app.command("check")
def check(name: str, output: Output = OutputOption) -> None:
    """Verify the AccessKey with one harmless read per product (exit 2 if the key is refused)."""
    with CONTEXT.database.unit_of_work() as session:
        view = AccountView.of(get_account(session, name))
    error: str | None = None
    products: dict[str, str | None] = {}
    try:
        products = registry.check_credentials(provider_account(view, CONTEXT.vault))
    except ProviderError as failure:
        error = str(failure)
    with CONTEXT.database.unit_of_work() as session:
        record_check(session, get_account(session, name), error)
    if output is Output.json:
        print_json({"name": name, "ok": error is None, "error": error, "products": products})
    elif error is None:
        console.print(f"account {name!r}: the key works")
        for product, problem in products.items():
            verdict = "[green]ok[/green]" if problem is None else f"[yellow]{problem}[/yellow]"
            console.print(f"  {product}: {verdict}")
    else:
        console.print(f"account {name!r}: [red]{error}[/red]")
    if error is not None:
        raise typer.Exit(2)
