"""Which imported certificate each discovered resource should serve.

A certificate matches a resource when its names cover every hostname the resource serves, by
RFC 6125 rules. Campaigns pair tens of thousands of resources with thousands of certificates,
so matching goes through :class:`CertificateIndex` (exact names and wildcard parents) and costs
O(resources + hostnames + names), never O(resources * certificates).

Rules, and the reasons for the ones RFC 6125 leaves open:

* Names compare case-insensitively, without a trailing dot, as IDNA A-labels
  (:func:`ledger.dnsnames.normalize_dns_name`); a name that cannot be normalized covers nothing
  and is covered by nothing.
* A wildcard is only a complete left-most label and stands for exactly one label:
  ``*.a.com`` covers ``x.a.com``, not ``a.com`` nor ``x.y.a.com``. Partial-label wildcards
  (``f*.a.com``) match nothing: browsers stopped honouring them and CAs may not issue them.
* A wildcard needs at least two labels after it: ``*.com`` covers nothing by wildcard. We hold
  no public-suffix list, so ``*.co.uk`` would still cover ``x.co.uk``; CAs refuse to issue such
  certificates, which makes that gap harmless in practice.
* A hostname that is itself a wildcard (a wildcard CDN domain ``*.a.com``) serves arbitrary
  subdomains, so only the identical wildcard name covers it.
* Among certificates that cover a resource, the one that expires last wins (fewest renewals);
  ties go to the lowest fingerprint, then the lowest id, so every planner picks the same one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, NamedTuple, TypeVar

from ledger.dnsnames import InvalidDnsName, is_wildcard, normalize_dns_name

K = TypeVar("K")

_ONE_CERTIFICATE = "(the resource serves them with one certificate)"
# What normalize_dns_name returns unchanged: lower-case ASCII labels of letters, digits,
# hyphens (not at either end) and underscores, an optional leading "*." and no trailing dot.
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_CANONICAL = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*")
_MAX_NAME_LENGTH = 253


@dataclass(frozen=True)
class CandidateCert:
    """A certificate the user selected for a campaign, as matching needs it.

    ``id`` identifies the certificate (unique among candidates); ``not_after`` is tz-aware.
    Expired certificates should be filtered out before matching; the matcher ranks, not judges.
    """

    id: int
    names: tuple[str, ...]
    not_after: datetime
    fingerprint: str


_NONE: list[CandidateCert] = []  # the shared empty answer of a lookup; never mutated


class Choice(NamedTuple):
    """The certificate chosen for a set of hostnames, and the others that would also do."""

    cert: CandidateCert
    alternatives: tuple[CandidateCert, ...]


class Match(NamedTuple, Generic[K]):
    """A resource and the certificate it should serve; alternatives are shown in previews."""

    key: K
    cert: CandidateCert
    alternatives: tuple[CandidateCert, ...]


class Unmatched(NamedTuple, Generic[K]):
    """A resource no candidate can serve, with a sentence the preview shows the user."""

    key: K
    reason: str


@dataclass
class MatchReport(Generic[K]):
    """Every resource once, either matched or unmatched, in the order resources were given."""

    matched: list[Match[K]] = field(default_factory=list)
    unmatched: list[Unmatched[K]] = field(default_factory=list)


def covers(pattern: str, hostname: str) -> bool:
    """Whether a certificate name ``pattern`` covers ``hostname`` (rules in the module doc)."""
    pattern_name = _normalized(pattern)
    host = _normalized(hostname)
    if pattern_name is None or host is None:
        return False
    if pattern_name == host:
        return True
    base = _wildcard_base(pattern_name)
    return base is not None and _wildcard_parent(host) == base


class CertificateIndex:
    """Candidates indexed by exact name and by the parent their wildcards stand over.

    A look-up normalizes the hostname and probes two dictionaries (the name itself and its
    parent), so its cost depends on the hostname, not on how many certificates were indexed.
    """

    def __init__(self, certificates: Iterable[CandidateCert]) -> None:
        exact: defaultdict[str, list[CandidateCert]] = defaultdict(list)
        wildcard: defaultdict[str, list[CandidateCert]] = defaultdict(list)
        for cert in certificates:
            for name in _usable_names(cert):
                exact[name].append(cert)
                base = _wildcard_base(name)
                if base is not None:
                    wildcard[base].append(cert)
        # Each list is kept best first, so a host that only one list covers (most hosts) is
        # answered without sorting or merging anything.
        self._exact = {name: _by_preference(certs) for name, certs in exact.items()}
        self._wildcard = {base: _by_preference(certs) for base, certs in wildcard.items()}
        # Names covered both exactly and by a wildcard (``x.a.com`` and ``*.a.com``): merged
        # once here rather than for every resource that serves the name.
        self._both = {
            name: _by_preference(self._covering(name).values())
            for name in self._exact
            if _wildcard_parent(name) in self._wildcard
        }

    def covering(self, hostname: str) -> list[CandidateCert]:
        """Candidates that cover ``hostname``, best first."""
        host = _normalized(hostname)
        return _by_preference(self._covering(host).values()) if host is not None else []

    def best_for(self, hostnames: Sequence[str]) -> Choice | None:
        """The best candidate covering all ``hostnames`` (one certificate serves them all)."""
        outcome = self._choose(hostnames)
        return outcome if isinstance(outcome, Choice) else None

    def _covering(self, host: str) -> dict[int, CandidateCert]:
        """Candidates covering a normalized host, by id (a cert may match exactly and by
        wildcard, e.g. both ``x.a.com`` and ``*.a.com``, and must count once)."""
        found = {cert.id: cert for cert in self._exact.get(host, ())}
        parent = _wildcard_parent(host)
        if parent is not None:
            found.update((cert.id, cert) for cert in self._wildcard.get(parent, ()))
        return found

    def _ranked(self, host: str) -> list[CandidateCert]:
        """Candidates covering a normalized host, best first (what ``_covering`` holds)."""
        exact = self._exact.get(host)
        if exact is not None:
            return self._both.get(host, exact)
        parent = _wildcard_parent(host)
        return self._wildcard.get(parent, _NONE) if parent is not None else _NONE

    def _choose(self, hostnames: Sequence[str]) -> Choice | str:
        """The choice for ``hostnames``, or the sentence explaining why there is none."""
        hosts: dict[str, str] = {}  # normalized -> as the resource spells it
        for hostname in hostnames:
            host = _normalized(hostname)
            if host is None:
                return f"{hostname.strip()!r} is not a valid DNS name"
            hosts.setdefault(host, hostname.strip())
        if not hosts:
            return "the resource serves no hostnames"
        if len(hosts) == 1:  # most resources: one lookup, already ranked
            host, spelled = next(iter(hosts.items()))
            ranked = self._ranked(host)
            return Choice(ranked[0], tuple(ranked[1:])) if ranked else _uncovered([spelled])
        return self._choose_common(hosts)

    def _choose_common(self, hosts: dict[str, str]) -> Choice | str:
        """The best candidate covering every one of several hosts (normalized -> spelled)."""
        per_host = {host: self._covering(host) for host in hosts}
        uncovered = [hosts[host] for host, found in per_host.items() if not found]
        if uncovered:
            return _uncovered(uncovered)
        common = _common_to_all(list(per_host.values()))
        if not common:
            listed = ", ".join(hosts.values())
            return f"no single certificate covers all of {listed} {_ONE_CERTIFICATE}"
        ranked = _by_preference(common)
        return Choice(ranked[0], tuple(ranked[1:]))


def _uncovered(spelled: Sequence[str]) -> str:
    return f"no selected certificate covers {', '.join(spelled)}"


def match(
    resources: Iterable[tuple[K, Sequence[str]]],
    certificates: Iterable[CandidateCert],
) -> MatchReport[K]:
    """Pair each ``(key, hostnames)`` resource with the best candidate covering all hostnames."""
    index = CertificateIndex(certificates)
    report: MatchReport[K] = MatchReport()
    for key, hostnames in resources:
        outcome = index._choose(hostnames)
        if isinstance(outcome, Choice):
            report.matched.append(Match(key, outcome.cert, outcome.alternatives))
        else:
            report.unmatched.append(Unmatched(key, outcome))
    return report


def _normalized(name: str) -> str | None:
    # Nearly every name reaching the matcher is already canonical (the ledger stores that
    # form); one C-level regex check then replaces the label-by-label normalization.
    if len(name) <= _MAX_NAME_LENGTH and _CANONICAL.fullmatch(name):
        return name
    try:
        return normalize_dns_name(name)
    except InvalidDnsName:
        return None


def _usable_names(cert: CandidateCert) -> set[str]:
    """The candidate's names that can match anything; each once even if spelled twice."""
    return {n for n in map(_normalized, cert.names) if n is not None}


def _wildcard_base(name: str) -> str | None:
    """``a.com`` for the wildcard ``*.a.com``; None for exact names and for ``*.com``."""
    if not is_wildcard(name):
        return None
    base = name[2:]
    return base if "." in base else None


def _wildcard_parent(host: str) -> str | None:
    """The base a wildcard needs to cover ``host``: ``a.com`` for ``x.a.com``.

    None for wildcard hostnames (only the identical name covers them) and for hosts whose
    parent is a single label, since ``*.com`` may not cover ``a.com``.
    """
    if is_wildcard(host) or "." not in host:
        return None
    parent = host.split(".", 1)[1]
    return parent if "." in parent else None


def _common_to_all(per_host: Sequence[dict[int, CandidateCert]]) -> list[CandidateCert]:
    """Candidates present for every host; starts from the smallest set to stay cheap."""
    smallest = min(per_host, key=len)
    return [cert for cert_id, cert in smallest.items() if all(cert_id in s for s in per_host)]


def _by_preference(certs: Iterable[CandidateCert]) -> list[CandidateCert]:
    """Latest expiry first; ties by lowest fingerprint, then lowest id (sorts are stable)."""
    by_identity = sorted(certs, key=lambda cert: (cert.fingerprint, cert.id))
    return sorted(by_identity, key=lambda cert: cert.not_after, reverse=True)
