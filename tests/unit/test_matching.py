"""RFC 6125 name matching and the indexed choice of one certificate per resource."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledger.dnsnames import InvalidDnsName, normalize_dns_name
from scheduler.matching import CandidateCert, CertificateIndex, Choice, covers, match

EPOCH = datetime(2030, 1, 1, tzinfo=UTC)


def cert(
    cert_id: int, *names: str, days: int = 90, fingerprint: str | None = None
) -> CandidateCert:
    return CandidateCert(
        id=cert_id,
        names=names,
        not_after=EPOCH + timedelta(days=days),
        fingerprint=fingerprint or f"{cert_id:064x}",
    )


# --- normalize_dns_name -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Shop.Example.COM", "shop.example.com"),
        ("shop.example.com.", "shop.example.com"),
        ("  shop.example.com \n", "shop.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
        ("*.Bücher.example", "*.xn--bcher-kva.example"),
        ("a_b.example.com", "a_b.example.com"),
    ],
)
def test_normalize_dns_name(raw: str, normalized: str) -> None:
    assert normalize_dns_name(raw) == normalized


@pytest.mark.parametrize(
    "raw", ["", ".", "a..com", "f*.a.com", "a.*.com", "*", "*.*.a.com", "a b.com", "-a.com"]
)
def test_normalize_dns_name_refuses_what_is_not_a_name(raw: str) -> None:
    with pytest.raises(InvalidDnsName):
        normalize_dns_name(raw)


# --- covers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "hostname", "expected"),
    [
        ("a.com", "a.com", True),
        ("a.com", "A.COM", True),
        ("A.Com.", "a.com", True),
        ("a.com", "a.com.", True),
        ("a.com", "b.com", False),
        ("*.a.com", "x.a.com", True),
        ("*.A.com", "X.a.COM.", True),
        ("*.a.com", "a.com", False),
        ("*.a.com", "x.y.a.com", False),
        ("*.a.com", "xa.com", False),
        ("f*.a.com", "foo.a.com", False),
        ("*x.a.com", "yx.a.com", False),
        ("x.*.a.com", "x.y.a.com", False),
        ("*.com", "a.com", False),
        ("*.co.uk", "a.co.uk", True),  # no public-suffix list: two labels after * is the rule
        ("*.a.com", "*.a.com", True),
        ("*.A.com.", "*.a.com", True),
        ("*.com", "*.com", True),  # identical names; a wildcard CDN domain over *.com is moot
        ("*.a.com", "*.x.a.com", False),
        ("x.a.com", "*.a.com", False),
        ("*.b.a.com", "*.a.com", False),
        ("bücher.example", "xn--bcher-kva.example", True),
        ("xn--bcher-kva.example", "BÜCHER.example", True),
        ("*.xn--bcher-kva.example", "shop.bücher.example", True),
        ("a.com", "", False),
        ("", "", False),
        ("a..com", "a..com", False),
    ],
)
def test_covers(pattern: str, hostname: str, expected: bool) -> None:
    assert covers(pattern, hostname) is expected


# --- CertificateIndex ---------------------------------------------------------------------------


def test_covering_finds_exact_and_wildcard_best_first() -> None:
    exact = cert(1, "shop.a.com", days=10)
    wildcard = cert(2, "*.a.com", days=20)
    other = cert(3, "b.com", "*.b.com")
    index = CertificateIndex([exact, wildcard, other])

    assert index.covering("Shop.A.com.") == [wildcard, exact]
    assert index.covering("a.com") == []
    assert index.covering("x.y.a.com") == []
    assert index.covering("not a name") == []


def test_certificate_covering_by_both_exact_and_wildcard_counts_once() -> None:
    both = cert(1, "shop.a.com", "*.a.com", "SHOP.a.com.")

    assert CertificateIndex([both]).covering("shop.a.com") == [both]


def test_wildcard_hostname_is_covered_only_by_identical_wildcard() -> None:
    wildcard = cert(1, "*.a.com")
    deeper = cert(2, "*.x.a.com")
    exact = cert(3, "x.a.com")
    index = CertificateIndex([wildcard, deeper, exact])

    assert index.covering("*.a.com") == [wildcard]
    assert index.covering("*.x.a.com") == [deeper]


def test_best_for_prefers_latest_expiry_and_lists_alternatives() -> None:
    soon = cert(1, "a.com", days=10)
    late = cert(2, "*.x.com", "a.com", days=300)
    middle = cert(3, "a.com", days=100)

    choice = CertificateIndex([soon, late, middle]).best_for(["a.com"])

    assert choice == Choice(late, (middle, soon))


def test_best_for_breaks_expiry_ties_by_lowest_fingerprint() -> None:
    b = cert(1, "a.com", fingerprint="bb")
    a = cert(2, "a.com", fingerprint="aa")
    c = cert(3, "a.com", fingerprint="cc")

    choice = CertificateIndex([b, c, a]).best_for(["a.com"])

    assert choice == Choice(a, (b, c))


def test_best_for_needs_one_certificate_covering_every_hostname() -> None:
    only_a = cert(1, "a.com", days=300)
    only_b = cert(2, "b.com", days=300)
    both = cert(3, "a.com", "*.b.com", "b.com", days=10)
    index = CertificateIndex([only_a, only_b, both])

    assert index.best_for(["a.com", "b.com", "x.b.com"]) == Choice(both, ())
    assert index.best_for(["a.com", "c.com"]) is None


def test_best_for_ignores_repeated_and_differently_spelled_hostnames() -> None:
    one = cert(1, "a.com")

    assert CertificateIndex([one]).best_for(["a.com", "A.com.", "a.com"]) == Choice(one, ())


def test_best_for_without_hostnames_is_none() -> None:
    assert CertificateIndex([cert(1, "a.com")]).best_for([]) is None


def test_unnormalizable_certificate_names_cover_nothing() -> None:
    odd = cert(1, "f*.a.com", "a..com")

    assert CertificateIndex([odd]).covering("fa.a.com") == []


# --- match --------------------------------------------------------------------------------------


def test_match_reports_every_resource_in_order() -> None:
    wildcard = cert(1, "*.a.com", days=50)
    apex = cert(2, "a.com", "www.a.com", days=60)
    resources = [
        ("cdn-1", ["www.a.com"]),
        ("cdn-2", ["shop.a.com"]),
        ("cdn-3", ["shop.b.com"]),
        ("lb-1", ["a.com", "api.a.com"]),
    ]

    report = match(resources, [wildcard, apex])

    assert [(m.key, m.cert.id, [c.id for c in m.alternatives]) for m in report.matched] == [
        ("cdn-1", 2, [1]),
        ("cdn-2", 1, []),
    ]
    assert [(u.key, u.reason) for u in report.unmatched] == [
        ("cdn-3", "no selected certificate covers shop.b.com"),
        (
            "lb-1",
            "no single certificate covers all of a.com, api.a.com "
            "(the resource serves them with one certificate)",
        ),
    ]


def test_unmatched_reason_lists_every_uncovered_hostname_as_spelled() -> None:
    report = match([(7, ["a.com", "Bücher.example", "x.com"])], [cert(1, "a.com")])

    assert report.unmatched[0].reason == "no selected certificate covers Bücher.example, x.com"


def test_unmatched_reasons_for_odd_resources() -> None:
    report = match([("empty", []), ("bad", ["a b.com"])], [cert(1, "a.com")])

    assert [(u.key, u.reason) for u in report.unmatched] == [
        ("empty", "the resource serves no hostnames"),
        ("bad", "'a b.com' is not a valid DNS name"),
    ]


def test_idna_hostnames_match_a_label_certificates() -> None:
    idn = cert(1, "xn--bcher-kva.example", "*.xn--bcher-kva.example")

    report = match([("r", ["bücher.example", "SHOP.Bücher.example."])], [idn])

    assert [m.cert for m in report.matched] == [idn]


def test_match_without_certificates_leaves_everything_unmatched() -> None:
    report = match([("r", ["a.com"])], [])

    assert report.matched == []
    assert [u.key for u in report.unmatched] == ["r"]
