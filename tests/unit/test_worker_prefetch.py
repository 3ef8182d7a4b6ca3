"""How many messages of one queue a worker process holds: half its threads unless configured."""

from __future__ import annotations

from ledger.settings import load_settings
from scheduler.cli.fleet import prefetch_for


def test_half_the_threads_by_default_so_no_single_account_holds_them_all() -> None:
    assert prefetch_for(32, None) == 16
    assert prefetch_for(8, None) == 4
    assert prefetch_for(1, None) == 1


def test_the_setting_wins() -> None:
    settings = load_settings({"CERTFLEET_QUEUE_PREFETCH": "3", "CERTFLEET_DATA_DIR": "/tmp/x"})
    assert prefetch_for(32, settings.queue_prefetch) == 3
    assert load_settings({"CERTFLEET_DATA_DIR": "/tmp/x"}).queue_prefetch is None
