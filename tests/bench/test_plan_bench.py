"""``bench plan`` in miniature, and the matcher's fast path for canonical names."""

from __future__ import annotations

import random
import string

import pytest

from ledger.dnsnames import InvalidDnsName, normalize_dns_name
from scheduler.bench import plan
from scheduler.matching import _normalized


def test_the_estate_mixes_wildcards_exact_names_and_strays() -> None:
    estate = plan.make_estate(2000)
    names = [n for c in estate.certificates for n in c.names]
    assert len(estate.certificates) == 200
    assert any(n.startswith("*.") for n in names) and any(not n.startswith("*.") for n in names)
    assert any(len(hosts) > 1 for _, hosts in estate.resources)
    report = plan.time_match(estate)
    assert report["matched"] + report["unmatched"] == 2000
    assert 0 < report["unmatched"] < 200  # the strays, and only them (about 3 %)


@pytest.mark.services
def test_preview_from_the_ledger_matches_what_the_matcher_matches(admin_url: str) -> None:
    result = plan.run(admin_url, [1000, 2000])

    for size in result["runs"]:
        assert size["preview_matched"] == size["matched"]
        assert size["matched"] + size["unmatched"] == size["resources"]
    assert result["growth"]["resources_ratio"] == 2.0
    assert set(result["targets"]) == {"preview_largest<=2s", "match_largest<=2s"}


def _spellings(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + "-_.*"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 20)))


def test_the_canonical_fast_path_agrees_with_normalization() -> None:
    rng = random.Random(6125)
    samples = [_spellings(rng) for _ in range(20_000)]
    samples += ["a.com", "*.a.com", "A.com", "a.com.", "*.com", "x" * 64 + ".com", "a" * 254]
    for name in samples:
        try:
            expected: str | None = normalize_dns_name(name)
        except InvalidDnsName:
            expected = None
        assert _normalized(name) == expected, name
