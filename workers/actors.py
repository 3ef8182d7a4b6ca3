"""dramatiq actors. Start a fleet worker with ``dramatiq workers.actors`` (or ``certfleet worker``).

Messages carry a deployment id and nothing else: the ledger is the truth, so a message delivered
twice or late is harmless (the claim is a compare-and-set), and no secret ever sits in a queue.
"""

from __future__ import annotations

from collections.abc import Sequence

import dramatiq

from workers import runtime
from workers.broker import BROKER, SETTINGS, queue_name
from workers.deployment import run_attempt

# The ledger decides when a deployment has failed for good (RetryPolicy); dramatiq's own retry
# limit only needs to be out of the way, while still bounding a message that crashes its worker.
MAX_MESSAGE_RETRIES = 10_000
# One attempt may wait on slow vendors (CloudFront rollouts, CLB tasks); the lease is renewed
# meanwhile, this only stops a wedged call.
ATTEMPT_TIME_LIMIT_MS = 15 * 60 * 1000


@dramatiq.actor(
    queue_name="deploy.default",
    max_retries=MAX_MESSAGE_RETRIES,
    time_limit=ATTEMPT_TIME_LIMIT_MS,
    min_backoff=1_000,
    max_backoff=60_000,
)
def deploy(deployment_id: int) -> None:
    """Run one attempt of a deployment; ask dramatiq to redeliver it when it must retry."""
    outcome = run_attempt(runtime.current(), deployment_id)
    if outcome.released and outcome.route:
        enqueue(outcome.released, *outcome.route)
    if outcome.kind == "retry":
        raise dramatiq.Retry(outcome.reason or "retry", delay=int(outcome.delay * 1000))


def queue_of(provider: str, account_id: int) -> str:
    """The shard queue the account's messages go to."""
    return queue_name(provider, account_id, SETTINGS.shards)


def enqueue(deployment_ids: Sequence[int], provider: str, account_id: int) -> None:
    """Send one message per deployment to the account's shard queue."""
    queue = queue_of(provider, account_id)
    BROKER.declare_queue(queue)
    for deployment_id in deployment_ids:
        BROKER.enqueue(deploy.message(deployment_id).copy(queue_name=queue))
