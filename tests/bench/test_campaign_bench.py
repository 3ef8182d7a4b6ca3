"""``bench campaign`` in miniature: the figures are consistent with what the vendor saw."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.bench import campaign

pytestmark = pytest.mark.services

SPEC = campaign.CampaignSpec(
    resources=90, accounts={"tencent": 2}, processes=2, threads=8, settings={"shards": "16"}
)


def test_a_small_campaign_succeeds_within_the_vendors_limits(
    fleet_ready: str, tmp_path: Path
) -> None:
    figures = campaign.bench(fleet_ready, SPEC, tmp_path)

    assert figures["outcomes"] == {"succeeded": 90}
    assert figures["deployments"] == 90
    # The ideal is a lower bound: nothing can beat the vendors' limits.
    assert figures["makespan_s"] >= figures["ideal_makespan_s"] > 0
    assert figures["makespan_over_ideal"] >= 1.0
    # certfleet's buckets stay under every limit, so the vendor never had to refuse a call.
    assert figures["throttle_answers"] == 0
    # Every deployment reads, changes and reads back: at least three calls each.
    assert figures["calls_per_deployment"] >= 3.0
    calls = figures["calls_by_action"]
    assert calls["UploadCertificate"] == 2  # once per account, never per deployment
    assert calls["UpdateDomainConfig"] == figures["clouds"]["tencent"]["resources"]["tencent.cdn"]
    assert figures["worker_cpu_s_per_deployment"] > 0
    assert figures["peak_rss_mb_per_worker"]["processes"] == 2
    assert sum(figures["finished_per_10s"]) == 90
