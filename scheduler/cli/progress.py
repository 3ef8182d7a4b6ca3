"""Watching tasks run: a rich progress bar per task, fed by the embedded runner's ticks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ledger import tasks
from ledger.models import TERMINAL_STATES
from scheduler.cli.output import console
from scheduler.embedded import EmbeddedRunner
from workers import runtime as worker_runtime
from workers.runtime import Runtime


def run_tasks(
    rt: Runtime,
    task_ids: Sequence[int],
    *,
    show: bool,
    threads: int | None = None,
    timeout: float | None = None,
) -> dict[int, str]:
    """Run (embedded) or watch (fleet) tasks to the end, with a progress bar when ``show``."""
    with rt.database.unit_of_work() as session:
        names = {t: tasks.get_task(session, t).name for t in task_ids}
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[green]{task.fields[ok]} ok[/green] [red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
    )
    with (
        Progress(*columns, console=console, disable=not show, transient=False) as bar,
        EmbeddedRunner(rt, threads=threads) as runner,
    ):
        rows = {
            t: bar.add_task(f"task {t} {names[t]}", total=None, ok=0, failed=0) for t in task_ids
        }

        def update(counts: dict[int, Counter[str]]) -> None:
            for task_id, c in counts.items():
                done = sum(c[s] for s in TERMINAL_STATES)
                bar.update(
                    rows[task_id],
                    total=sum(c.values()),
                    completed=done,
                    ok=c["succeeded"],
                    failed=c["failed"],
                )

        return runner.run_until_done(task_ids, update, timeout=timeout)


def runtime_for_cli() -> Runtime:
    """The worker runtime over the CLI's database (already migrated) and vault."""
    from scheduler.cli.context import CONTEXT  # noqa: PLC0415 - avoid a cycle at import

    rt = worker_runtime.build_runtime(CONTEXT.settings)
    rt.database = CONTEXT.database
    return rt
