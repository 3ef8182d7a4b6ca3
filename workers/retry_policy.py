"""The one retry policy: exponential backoff with jitter, capped.

"Equal jitter" (a uniform draw in [c/2, c] with c = base·2ⁿ⁻¹) spreads the retries of thousands
of deployments that failed together (a vendor blip) instead of sending them back in one wave,
while still guaranteeing each waits at least half the nominal backoff.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a deployment is retried after a transient error or a throttle."""

    max_transient_failures: int = 6
    base_seconds: float = 2.0
    max_seconds: float = 300.0
    max_attempts: int = 60  # safety net against a deployment that never settles

    def backoff(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before the retry that follows the ``failures``-th failure."""
        ceiling = min(self.max_seconds, self.base_seconds * (2 ** max(failures - 1, 0)))
        return (rng or random).uniform(ceiling / 2, ceiling)

    def after_throttle(self, retry_after: float, rng: random.Random | None = None) -> float:
        """Seconds to wait after a throttle: what was asked for, plus a little jitter."""
        return retry_after + (rng or random).uniform(0, max(retry_after, 0.05) * 0.25)

    def gives_up(self, transient_failures: int) -> bool:
        """True once the deployment has failed transiently as often as allowed."""
        return transient_failures >= self.max_transient_failures
