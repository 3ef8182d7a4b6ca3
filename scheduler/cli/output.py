"""Printing results: rich tables for people, ``--output json`` for scripts."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

console = Console()
errors = Console(stderr=True)


class Output(enum.StrEnum):
    """Output formats every data-printing command accepts."""

    table = "table"
    json = "json"


OutputOption = typer.Option(Output.table, "--output", "-o", help="table or json")


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    """Machine-readable output on stdout, nothing else on that stream."""
    typer.echo(json.dumps(data, default=_default, indent=2, sort_keys=True))


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A rich table with one row per record."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def emit(
    output: Output,
    data: Any,
    *,
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
) -> None:
    """JSON or a table, as asked."""
    if output is Output.json:
        print_json(data)
    else:
        print_table(title, columns, rows)
