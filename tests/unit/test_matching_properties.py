"""The index must agree with the obvious resources x certificates search, whatever the order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.dnsnames import InvalidDnsName, normalize_dns_name
from scheduler.matching import CandidateCert, MatchReport, covers, match

EPOCH = datetime(2030, 1, 1, tzinfo=UTC)

# A tiny alphabet so names collide often: exact hits, wildcard hits, IDNA and case variants.
LABELS = st.sampled_from(["a", "b", "A", "xn--bcher-kva", "bücher", "BÜCHER"])
# Now and then a spelling that is not a name at all, which must match nothing on either side.
NOT_NAMES = st.sampled_from(["f*.a.b", "a.*.b", "a..b", "*", "a b.a"])


@st.composite
def dns_names(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(NOT_NAMES)
    labels = draw(st.lists(LABELS, min_size=1, max_size=3))
    prefix = draw(st.sampled_from(["", "", "*."]))
    suffix = draw(st.sampled_from(["", "", "."]))
    return prefix + ".".join(labels) + suffix


@st.composite
def candidate_lists(draw: st.DrawFn) -> list[CandidateCert]:
    specs = draw(
        st.lists(
            st.tuples(
                st.lists(dns_names(), min_size=1, max_size=4),
                st.integers(0, 3),  # few distinct expiries, so ties are common
                st.sampled_from(["aa", "bb", "cc"]),  # and fingerprint ties too
            ),
            min_size=1,
            max_size=12,
        )
    )
    return [
        CandidateCert(i, tuple(names), EPOCH + timedelta(days=days), fingerprint)
        for i, (names, days, fingerprint) in enumerate(specs)
    ]


def _variants(name: str) -> list[str]:
    """Hostnames near a certificate name: itself, under its wildcard, one level off, recased."""
    bare = name.removeprefix("*.")
    return [name, bare, "x." + bare, "y.x." + bare, bare.split(".", 1)[-1], name.upper()]


def _is_name(text: str) -> bool:
    try:
        normalize_dns_name(text)
    except InvalidDnsName:
        return False
    return True


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[tuple[str, list[str]]], list[CandidateCert]]:
    """Candidates, then resources whose hostnames are mostly near the candidates' names, so
    matches, alternatives and multi-hostname near-misses are all common."""
    certs = draw(candidate_lists())
    near = sorted({v for c in certs for n in c.names for v in _variants(n) if _is_name(v)})
    hostnames = (
        st.one_of(st.sampled_from(near), st.sampled_from(near), dns_names())
        if near
        else dns_names()
    )
    # Resources without hostnames and runs without candidates are left to the example tests;
    # here they would crowd out the interesting cases.
    hostname_lists = draw(st.lists(st.lists(hostnames, min_size=1, max_size=3), max_size=10))
    return [(f"r{i}", hosts) for i, hosts in enumerate(hostname_lists)], certs


Outcome = tuple[str, int, tuple[int, ...]] | tuple[str, str]


def _reference(
    resources: Sequence[tuple[str, Sequence[str]]], certs: Sequence[CandidateCert]
) -> list[Outcome]:
    """Brute force: try every certificate on every resource with ``covers`` alone."""
    outcomes: list[Outcome] = []
    for key, hosts in resources:
        fitting = [c for c in certs if all(any(covers(n, h) for n in c.names) for h in hosts)]
        if not hosts or not fitting:
            outcomes.append((key, _reference_reason(hosts, certs)))
            continue
        ranked = sorted(fitting, key=lambda c: (-c.not_after.timestamp(), c.fingerprint, c.id))
        outcomes.append((key, ranked[0].id, tuple(c.id for c in ranked[1:])))
    return outcomes


def _reference_reason(hosts: Sequence[str], certs: Sequence[CandidateCert]) -> str:
    """The start of the reason the report must give."""
    if not hosts:
        return "the resource serves no hostnames"
    for host in hosts:
        if not _is_name(host):
            return f"{host.strip()!r} is not a valid DNS name"
    if any(not any(covers(n, h) for c in certs for n in c.names) for h in hosts):
        return "no selected certificate covers "
    return "no single certificate covers all of "


def _outcomes(report: MatchReport[str]) -> list[Outcome]:
    """The report as comparable tuples in resource order (reasons cut to their fixed start)."""
    found: dict[str, Outcome] = {}
    for m in report.matched:
        found[m.key] = (m.key, m.cert.id, tuple(c.id for c in m.alternatives))
    for u in report.unmatched:
        found[u.key] = (u.key, u.reason)
    return [found[key] for key in sorted(found, key=lambda k: int(k[1:]))]


def _cut(outcomes: list[Outcome], reference: list[Outcome]) -> list[Outcome]:
    """Shorten actual reasons to the length of the reference's expected prefix."""
    cut: list[Outcome] = []
    for actual, expected in zip(outcomes, reference, strict=True):
        if len(actual) == 2 and len(expected) == 2:
            cut.append((actual[0], str(actual[1])[: len(str(expected[1]))]))
        else:
            cut.append(actual)
    return cut


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios())
def test_index_matches_brute_force(
    scenario: tuple[list[tuple[str, list[str]]], list[CandidateCert]],
) -> None:
    resources, certs = scenario
    reference = _reference(resources, certs)

    actual = _outcomes(match(resources, certs))

    assert _cut(actual, reference) == reference


@settings(max_examples=150, deadline=None)
@given(scenario=scenarios(), data=st.data())
def test_choice_does_not_depend_on_input_order(
    scenario: tuple[list[tuple[str, list[str]]], list[CandidateCert]], data: st.DataObject
) -> None:
    resources, certs = scenario
    shuffled_certs = data.draw(st.permutations(certs))
    shuffled_resources = data.draw(st.permutations(resources))

    assert _outcomes(match(shuffled_resources, shuffled_certs)) == _outcomes(
        match(resources, certs)
    )


@given(name=dns_names())
def test_normalization_is_idempotent(name: str) -> None:
    try:
        once = normalize_dns_name(name)
    except InvalidDnsName:
        return
    assert normalize_dns_name(once) == once
