"""Keeping an attempt's lease alive while it works.

Leases are short (30 s by default) so a deployment whose worker was killed is picked up again
quickly; a healthy attempt renews its lease every third of that, so slow vendor calls (CloudFront
rollouts, CLB task polling) never lose their deployment to a second worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType

from ledger import deployments
from ledger.db import Database
from ledger.deployments import Claim

log = logging.getLogger("certfleet.worker")


class LeaseKeeper:
    """Context manager: a daemon thread renews ``claim``'s lease until the block ends."""

    def __init__(
        self, database: Database, claim: Claim, lease_seconds: int, clock: Callable[[], datetime]
    ) -> None:
        self._database = database
        self._claim = claim
        self._lease = lease_seconds
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._lease / 3):
            try:
                with self._database.unit_of_work() as session:
                    owned = deployments.renew_lease(
                        session, self._claim, self._clock() + timedelta(seconds=self._lease)
                    )
            except Exception:  # a database blip: try again next period, the lease has slack
                log.warning("deployment %s: lease renewal failed", self._claim.deployment_id)
                continue
            if not owned:
                return

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
