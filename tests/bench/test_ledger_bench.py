"""``bench ledger`` in miniature: concurrent debits and refunds keep the books balanced."""

from __future__ import annotations

import pytest

from scheduler.bench import quota_load

pytestmark = pytest.mark.services


def test_concurrent_debits_and_refunds_keep_every_invariant(admin_url: str) -> None:
    result = quota_load.run(admin_url, clients=3, seconds=1.0)

    invariants = result["invariants"]
    assert result["transactions"] > 0
    assert invariants["audit_problems"] == []
    assert invariants["double_debits_or_refunds"] == 0
    assert invariants["balance"] == invariants["journal_sum"]
    assert invariants["debits"] - invariants["refunds"] in (0, 1, 2, 3)  # one debit per client
    assert result["targets"]["invariants_hold"]
