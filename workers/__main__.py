"""``python -m workers [dramatiq options]``: one worker host (what ``certfleet worker`` runs).

It is dramatiq's own CLI (``dramatiq workers.actors``) with certfleet's process set-up done in
the master, before dramatiq forks its worker processes, so that every process inherits it:

* the host's Prometheus multiprocess directory (``CERTFLEET_METRICS_DIR``, emptied at start, or
  a private temporary one), so the host endpoint adds up all its processes;
* logging as ``CERTFLEET_LOG_FORMAT`` / ``CERTFLEET_LOG_LEVEL`` say (INFO by default), for the
  master's own lines too; dramatiq is told not to install its own.

SIGTERM is dramatiq's: each process stops taking messages, lets its in-flight attempts finish
(``--worker-shutdown-timeout``, 10 minutes by default) and exits; an attempt cut short after
that keeps its ledger lease only until the lease expires, and the reaper re-queues it.

Only the standard library, settings and logging are imported before the directory is chosen:
prometheus-client fixes its storage mode when first imported.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from dramatiq import cli as dramatiq_cli

from ledger.settings import load_settings
from workers.observability.logs import configure_logging
from workers.observability.multiprocess import host_directory

ACTORS_MODULE = "workers.actors"


def main(argv: Sequence[str] | None = None) -> int:
    """Run dramatiq's worker CLI for the deploy actors; returns its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level or "INFO")
    # dramatiq re-executes sys.argv on SIGHUP; make that re-run this module, not a bare path.
    sys.argv = [sys.executable, "-m", "workers", *argv]
    parser = dramatiq_cli.make_argument_parser()  # type: ignore[no-untyped-call]
    args = parser.parse_args([ACTORS_MODULE, "--skip-logging", *argv])
    with host_directory(settings.metrics_dir):
        code = dramatiq_cli.main(args)  # type: ignore[no-untyped-call]
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
