"""The order in which a task's deployments are sent to its account's queue.

One account's deployments share one queue, but each product spends its own rate-limit budget at
the vendor. Sent in id order (product after product), the workers would spend the first product's
budget while the others sat idle behind it in the queue. Spreading every product evenly through
the sequence keeps each product's budget in use from the first message to the last.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import Deployment, Resource

T = TypeVar("T")


def spread(items: Iterable[tuple[Hashable, T]]) -> list[T]:
    """``(group, item)`` pairs reordered so that each group is evenly spread over the whole
    sequence, keeping the order within a group: item ``i`` of a group of ``n`` sits at
    ``(i + ½) / n`` of the way through (ties by first appearance of the group)."""
    pairs = list(items)
    sizes = Counter(group for group, _ in pairs)
    first = {group: rank for rank, group in enumerate(dict.fromkeys(g for g, _ in pairs))}
    seen: Counter[Hashable] = Counter()
    keyed: list[tuple[float, int, T]] = []
    for group, item in pairs:
        keyed.append(((seen[group] + 0.5) / sizes[group], first[group], item))
        seen[group] += 1
    keyed.sort(key=lambda entry: (entry[0], entry[1]))
    return [item for _, _, item in keyed]


def deployment_ids(session: Session, *conditions: Any) -> list[int]:
    """Ids of the deployments matching ``conditions``, products spread evenly (see above)."""
    rows = session.execute(
        select(Deployment.id, Resource.product)
        .join(Resource, Resource.id == Deployment.resource_id)
        .where(*conditions)
        .order_by(Deployment.id)
    ).all()
    return spread((product, deployment_id) for deployment_id, product in rows)
