"""The ``certfleet`` command: one entry point, consistent errors and exit codes.

Exit codes: 0 ok, 1 some deployments failed (or a vendor/transient problem), 2 bad input. Errors
print one line on stderr naming the field and the fix; tracebacks are not shown to users (they
could carry request data), only logged at debug level.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from ledger.db import Database
from ledger.errors import Conflict, InputError, LedgerError, QuotaExhausted
from ledger.settings import load_settings
from ledger.vault import VaultError, generate_key
from providers import registry
from providers.errors import AuthFailed, ProviderError
from scheduler.cli import (
    accounts,
    bench_cmd,
    certs,
    emulate_cmd,
    fleet,
    quota_cmd,
    renew_cmd,
    tasks_cmd,
)
from scheduler.cli.context import CONTEXT
from scheduler.cli.demo_cmd import demo
from scheduler.cli.output import Output, OutputOption, console, emit
from workers.observability.logs import configure_logging

app = typer.Typer(
    help="Deploy TLS certificates in bulk to Tencent Cloud, AWS and Huawei Cloud.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(accounts.app, name="account")
app.add_typer(certs.app, name="cert")
app.add_typer(quota_cmd.app, name="quota")
app.add_typer(tasks_cmd.app, name="task")
app.add_typer(bench_cmd.app, name="bench")
app.add_typer(renew_cmd.inventory_app, name="inventory")
app.command("renew")(renew_cmd.renew)
app.command("cleanup")(renew_cmd.cleanup)
app.command("emulate")(emulate_cmd.emulate)
app.command("discover")(tasks_cmd.discover_command)
app.command("demo")(demo)
app.command("worker", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    fleet.worker
)
app.command("scheduler")(fleet.scheduler)

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
vault_app = typer.Typer(help="Encryption key for secrets at rest.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(vault_app, name="vault")


@app.callback()
def _logging(
    log_format: Annotated[
        str | None,
        typer.Option(help="text, or json: one object per line [default: CERTFLEET_LOG_FORMAT]"),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(help="debug … critical [default: CERTFLEET_LOG_LEVEL, else warning]"),
    ] = None,
) -> None:
    # Through the environment, so `certfleet worker` hands them to the processes it starts.
    if log_format:
        os.environ["CERTFLEET_LOG_FORMAT"] = log_format
    if log_level:
        os.environ["CERTFLEET_LOG_LEVEL"] = log_level
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level or "WARNING")


@app.command("providers")
def providers_(output: Output = OutputOption) -> None:
    """The cloud products certfleet deploys to, and the permissions each AccessKey needs."""
    data = [
        {
            "name": info.name,
            "display_name": info.display_name,
            "permissions": list(info.permissions),
            "rate_limits": dict(info.rate_limits),
            "api_docs": info.api_docs,
        }
        for info in registry.PRODUCTS.values()
    ]
    emit(
        output,
        data,
        title="Products",
        columns=["name", "product", "permissions the AccessKey needs"],
        rows=[[d["name"], d["display_name"], ", ".join(d["permissions"])] for d in data],
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (run once per release in a fleet)."""
    Database(CONTEXT.settings.database_url).upgrade()
    console.print("database schema is up to date")


@vault_app.command("generate-key")
def vault_generate_key() -> None:
    """Print a new key for CERTFLEET_VAULT_KEY (store it in your secret manager)."""
    typer.echo(generate_key())


def _fail(error: Exception, code: int) -> None:
    # Plain write, not rich: a terminal-width wrap would split the one-line message.
    typer.echo(f"error: {error}", err=True)
    sys.exit(code)


def main() -> None:
    """Console-script entry point."""
    configure_logging("text", "WARNING")
    try:
        app()
    except (InputError, QuotaExhausted, Conflict, VaultError, AuthFailed, ValueError) as error:
        _fail(error, 2)  # ValueError: configuration errors from ledger.settings
    except (ProviderError, LedgerError) as error:
        _fail(error, 1)
