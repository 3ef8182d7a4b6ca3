"""Validate a certificate bundle at import, before the ledger stores it.

Every later deployment trusts what is checked here. A bad bundle found at import costs the user
one clear line; found by a vendor API it costs a failed deployment per resource, possibly
thousands. So each check raises :class:`~ledger.errors.InvalidCertificate` with a one-line
message that names the problem and the fix, and never quotes key material.

Decisions a caller can rely on:

* The normalized chain is the leaf followed by its intermediates. A self-signed root at the end
  of the user's bundle is verified and then dropped: servers must not send roots (clients ignore
  them; some vendors reject bundles that contain them). A self-signed *leaf* is kept.
* Certificates repeated verbatim in the bundle are kept once; any other departure from
  "each certificate is followed by its issuer" is an error, never silently reordered, because
  the user should fix the file they will use again elsewhere.
* Names come from subjectAltName DNS entries; the CN counts only when there are none
  (RFC 6125 §6.4.4). A DNS entry that cannot be normalized fails the import rather than being
  dropped, so a certificate never quietly covers fewer hosts than it says.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.x509.oid import NameOID

from ledger import truststore
from ledger.dnsnames import InvalidDnsName, is_wildcard, normalize_dns_name
from ledger.errors import InvalidCertificate
from ledger.pem import load_chain, load_key, one_line, parse_certificate, pem_blocks
from ledger.timeutil import as_utc, utcnow

SUPPORTED_KEYS = "use RSA 2048 or larger, or EC P-256/P-384"
_MIN_RSA_BITS = 2048
_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384"}
_UNSUPPORTED_KEY_NAMES: tuple[tuple[type, str], ...] = (
    (dsa.DSAPrivateKey, "DSA"),
    (ed25519.Ed25519PrivateKey, "Ed25519"),
    (ed448.Ed448PrivateKey, "Ed448"),
    (x25519.X25519PrivateKey, "X25519"),
    (x448.X448PrivateKey, "X448"),
)
_MAX_SHOWN = 80


@dataclass(frozen=True)
class ValidatedCertificate:
    """A bundle that passed every check, in the normalized form the ledger stores.

    ``key_pem`` is unencrypted PKCS#8: the caller must encrypt it before storing it; it is left
    out of ``repr`` so logging this object never leaks it.
    """

    fingerprint: str
    names: tuple[str, ...]
    common_name: str | None
    not_before: datetime
    not_after: datetime
    chain_pem: str
    key_pem: str = field(repr=False)
    key_type: str
    issuer: str


def validate_bundle(
    chain_pem: str,
    key_pem: str,
    *,
    passphrase: bytes | None = None,
    now: datetime | None = None,
    trust_anchors: Sequence[x509.Certificate] = (),
) -> ValidatedCertificate:
    """Check a leaf + chain and its private key; return them normalized or raise.

    ``chain_pem`` may also contain the key or other PEM blocks (a combined bundle); only
    CERTIFICATE blocks are read from it. ``now`` defaults to the current time (naive values are
    taken as UTC). ``trust_anchors`` are extra roots (private CAs) that complete a chain in
    addition to the system trust store.
    """
    moment = as_utc(now) if now is not None else utcnow()
    chain = load_chain(chain_pem)
    key = load_key(key_pem, passphrase)
    key_type = _key_type(key)
    _check_key_matches(key, chain)
    leaf = chain[0]
    _check_validity(leaf, moment)
    names = _dns_names(leaf)
    _check_order(chain)
    for intermediate in chain[1:]:
        if not truststore.is_self_signed(intermediate):
            _check_validity(intermediate, moment, intermediate=True)
    _check_complete(chain[-1], trust_anchors)
    served = chain[:-1] if len(chain) > 1 and truststore.is_self_signed(chain[-1]) else chain
    return ValidatedCertificate(
        fingerprint=hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).hexdigest(),
        names=names,
        common_name=_common_name(leaf),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        chain_pem="".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in served),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        key_type=key_type,
        issuer=leaf.issuer.rfc4514_string(),
    )


def load_trust_anchors(pem_text: str) -> list[x509.Certificate]:
    """Parse the roots a user passes with ``--trust-anchor`` (one or more PEM certificates)."""
    blocks = [b for b in pem_blocks(pem_text) if b.label == "CERTIFICATE"]
    if not blocks:
        raise InvalidCertificate(
            "chain",
            "the trust anchor file holds no PEM certificate; pass the root CA certificate in PEM",
        )
    return [parse_certificate(block, "chain", "trust anchor") for block in blocks]


# --- checks -------------------------------------------------------------------------------------


def _key_type(key: PrivateKeyTypes) -> str:
    """``"RSA 2048"`` / ``"EC P-256"``; other keys are refused because cloud vendors refuse them."""
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < _MIN_RSA_BITS:
            raise InvalidCertificate("key", f"RSA {key.key_size} is too weak; {SUPPORTED_KEYS}")
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        curve = _CURVES.get(key.curve.name)
        if curve is None:
            raise InvalidCertificate(
                "key", f"EC curve {key.curve.name} is not supported by clouds; {SUPPORTED_KEYS}"
            )
        return f"EC {curve}"
    kind = next((n for t, n in _UNSUPPORTED_KEY_NAMES if isinstance(key, t)), "this kind of")
    raise InvalidCertificate("key", f"{kind} keys are not supported by clouds; {SUPPORTED_KEYS}")


def _check_key_matches(key: PrivateKeyTypes, chain: Sequence[x509.Certificate]) -> None:
    """The key must be the leaf's; if it is a later certificate's, the leaf is not first."""
    wanted = _public_key_info(key.public_key())
    if _public_key_info(chain[0].public_key()) == wanted:
        return
    for position, cert in enumerate(chain[1:], 2):
        if _public_key_info(cert.public_key()) == wanted:
            raise InvalidCertificate(
                "chain",
                f"out of order: the key belongs to certificate {position} ({_describe(cert)}); "
                "put the leaf first, then each issuer after the certificate it signed",
            )
    raise InvalidCertificate(
        "key",
        f"does not match the certificate {_describe(chain[0])}; "
        "import the key generated together with this certificate's request",
    )


def _public_key_info(public_key: PublicKeyTypes) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _check_validity(cert: x509.Certificate, now: datetime, *, intermediate: bool = False) -> None:
    """Refuse certificates outside their validity window at ``now``."""
    field_name = "chain" if intermediate else "certificate"
    subject = f"intermediate {_describe(cert)} " if intermediate else ""
    fix = (
        "append your CA's current intermediate" if intermediate else "import a renewed certificate"
    )
    if now > cert.not_valid_after_utc:
        expired = cert.not_valid_after_utc.strftime("%Y-%m-%d")
        raise InvalidCertificate(field_name, f"{subject}expired on {expired}; {fix}")
    if now < cert.not_valid_before_utc:
        starts = cert.not_valid_before_utc.strftime("%Y-%m-%d %H:%M UTC")
        raise InvalidCertificate(
            field_name,
            f"{subject}not valid until {starts}; import it then, or check the issuer's clock",
        )


def _dns_names(cert: x509.Certificate) -> tuple[str, ...]:
    """Normalized, sorted, distinct DNS names; the CN only when there is no SAN DNS entry."""
    raw = _san_dns_names(cert)
    if raw:
        return tuple(sorted({_normalize_san(name) for name in raw}))
    common_name = _common_name(cert)
    host = _as_host_name(common_name) if common_name else None
    if host is None:
        raise InvalidCertificate(
            "certificate",
            "has no DNS names (no DNS subjectAltName and no host name as CN); "
            "reissue it with the host names as subjectAltNames",
        )
    return (host,)


def _san_dns_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    except ValueError as exc:
        raise InvalidCertificate(
            "certificate",
            f"has malformed extensions ({one_line(str(exc))}); reissue it with your CA",
        ) from None
    return san.value.get_values_for_type(x509.DNSName)


def _normalize_san(name: str) -> str:
    try:
        return normalize_dns_name(name)
    except InvalidDnsName:
        raise InvalidCertificate(
            "certificate",
            f"subjectAltName {_shown(name)} is not a usable DNS name; reissue it without that name",
        ) from None


def _as_host_name(common_name: str) -> str | None:
    """The CN as a normalized host name, or None when it is a label like "ACME Web Server"."""
    try:
        name = normalize_dns_name(common_name)
    except InvalidDnsName:
        return None
    bare = name.removeprefix("*.") if is_wildcard(name) else name
    return name if "." in bare else None


def _check_order(chain: Sequence[x509.Certificate]) -> None:
    """Each certificate must be followed by the one that signed it."""
    for position in range(1, len(chain)):
        child = chain[position - 1]
        if truststore.issued_by(child, chain[position]):
            continue
        signer = next(
            (i for i, c in enumerate(chain) if c != child and truststore.issued_by(child, c)), None
        )
        if signer is not None:
            raise InvalidCertificate(
                "chain",
                f"out of order: certificate {position} ({_describe(child)}) was signed by "
                f"certificate {signer + 1}, not the next one; list the leaf first, "
                "then each issuer right after the certificate it signed",
            )
        raise InvalidCertificate(
            "chain",
            f"certificate {position + 1} ({_describe(chain[position])}) did not sign certificate "
            f"{position} ({_describe(child)}), whose issuer is {_name_label(child.issuer)}; "
            "insert that issuer right after it and remove unrelated certificates",
        )


def _check_complete(last: x509.Certificate, trust_anchors: Sequence[x509.Certificate]) -> None:
    """The chain must end in a root: self-signed, a supplied anchor, or the system store."""
    if truststore.is_self_signed(last) or last in trust_anchors:
        return
    issuers = [a for a in trust_anchors if a.subject == last.issuer]
    # Looked up on the module, not imported, so tests can substitute the store.
    issuers += truststore.system_trust_store().get(last.issuer, ())
    if any(truststore.issued_by(last, issuer) for issuer in issuers):
        return
    raise InvalidCertificate(
        "chain",
        f"incomplete: the issuer {_name_label(last.issuer)} of {_describe(last)} is missing; "
        "append the intermediate certificate after the leaf, or add the root with --trust-anchor",
    )


# --- wording ------------------------------------------------------------------------------------


def _common_name(cert: x509.Certificate) -> str | None:
    attributes = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = attributes[0].value if attributes else None
    return value if isinstance(value, str) else None


def _describe(cert: x509.Certificate) -> str:
    return _name_label(cert.subject)


def _name_label(name: x509.Name) -> str:
    """A distinguished name as people recognise it: its CN, else the whole RFC 4514 string."""
    attributes = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = attributes[0].value if attributes else None
    return _shown(value if isinstance(value, str) else name.rfc4514_string())


def _shown(text: str) -> str:
    """Quoted, on one line and short, because it goes into a one-line error message."""
    flat = one_line(text)
    return repr(flat if len(flat) <= _MAX_SHOWN else flat[: _MAX_SHOWN - 1] + "…")
