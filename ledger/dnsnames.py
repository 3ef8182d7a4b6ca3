"""One spelling for every DNS name certfleet stores or compares.

Certificates, cloud APIs and users spell the same host differently (``Shop.A.com.``,
``bücher.example`` vs ``xn--bcher-kva.example``). The ledger stores, and the scheduler matches,
only the form this module produces, so "is this the same name?" is a plain string comparison
everywhere. The scheduler imports this module; it must stay free of imports from scheduler,
providers and workers.
"""

from __future__ import annotations

import re

import idna

WILDCARD_PREFIX = "*."

_MAX_NAME_LENGTH = 253
# Letters, digits, hyphens (not at either end) and underscores: underscores are not valid in
# host names, but older certificates and some CDN domains carry them, and rejecting those would
# block an import that every browser-facing system already accepts.
_ASCII_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


class InvalidDnsName(ValueError):
    """The text cannot be a DNS name (empty label, stray ``*``, bad characters, bad IDNA)."""


def normalize_dns_name(name: str) -> str:
    """Return the canonical form of ``name``: lower-case A-labels, no trailing dot.

    A leading ``*.`` wildcard label is kept as is; a ``*`` anywhere else (``f*.a.com``,
    ``a.*.com``) is not a name we can represent, so it raises :class:`InvalidDnsName` like any
    other malformed name. U-labels are converted with UTS #46 mapping and IDNA 2008; labels
    already in ``xn--`` form are only lower-cased, because some deployed IDNA 2003 names (emoji
    domains) would fail a strict round-trip yet are real names users serve.
    """
    text = name.strip()
    if text.endswith("."):
        text = text[:-1]
    if not text.isascii():
        text = _uts46_map(text, name)
    wildcard = text.startswith(WILDCARD_PREFIX)
    body = text[len(WILDCARD_PREFIX) :] if wildcard else text
    labels = [_a_label(label, name) for label in body.split(".")]
    normalized = (WILDCARD_PREFIX if wildcard else "") + ".".join(labels)
    if len(normalized) > _MAX_NAME_LENGTH:
        raise InvalidDnsName(f"{name!r} is longer than {_MAX_NAME_LENGTH} characters")
    return normalized


def is_wildcard(name: str) -> bool:
    """Whether a normalized name is a wildcard (``*.a.com``)."""
    return name.startswith(WILDCARD_PREFIX)


def _uts46_map(text: str, original: str) -> str:
    """Case-fold and map Unicode as browsers do before IDNA (``BÜCHER`` → ``bücher``)."""
    try:
        return idna.uts46_remap(text, std3_rules=False, transitional=False)
    except idna.IDNAError as exc:
        raise InvalidDnsName(f"{original!r} is not a valid internationalized name") from exc


def _a_label(label: str, original: str) -> str:
    if not label.isascii():
        try:
            return idna.alabel(label).decode("ascii")
        except idna.IDNAError as exc:
            raise InvalidDnsName(f"{original!r} has an invalid internationalized label") from exc
    lowered = label.lower()
    if not _ASCII_LABEL.fullmatch(lowered):
        raise InvalidDnsName(f"{original!r} has an invalid label {label!r}")
    return lowered
