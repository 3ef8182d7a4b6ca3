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

import base64
import binascii
import functools
import hashlib
import importlib
import re
import ssl
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from ledger.dnsnames import InvalidDnsName, is_wildcard, normalize_dns_name
from ledger.errors import InvalidCertificate
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
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_PEM_LINE = 64
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
    chain = _load_chain(chain_pem)
    key = _load_key(key_pem, passphrase)
    key_type = _key_type(key)
    _check_key_matches(key, chain)
    leaf = chain[0]
    _check_validity(leaf, moment)
    names = _dns_names(leaf)
    _check_order(chain)
    for intermediate in chain[1:]:
        if not _is_self_signed(intermediate):
            _check_validity(intermediate, moment, intermediate=True)
    _check_complete(chain[-1], trust_anchors)
    served = chain[:-1] if len(chain) > 1 and _is_self_signed(chain[-1]) else chain
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
    blocks = [b for b in _pem_blocks(pem_text) if b.label == "CERTIFICATE"]
    if not blocks:
        raise InvalidCertificate(
            "chain",
            "the trust anchor file holds no PEM certificate; pass the root CA certificate in PEM",
        )
    return [_parse_certificate(block, "chain", "trust anchor") for block in blocks]


# --- PEM ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PemBlock:
    """One ``-----BEGIN …-----`` block with its whitespace squeezed out."""

    label: str
    headers: tuple[str, ...]  # RFC 1421 headers of legacy encrypted keys (Proc-Type, DEK-Info)
    body: str  # base64 without any whitespace

    def to_pem(self) -> str:
        """Canonical PEM text, which the cryptography loaders accept without fuss."""
        lines = [f"-----BEGIN {self.label}-----", *self.headers]
        if self.headers:
            lines.append("")
        lines += [self.body[i : i + _PEM_LINE] for i in range(0, len(self.body), _PEM_LINE)]
        lines += [f"-----END {self.label}-----", ""]
        return "\n".join(lines)


def _pem_blocks(text: str) -> list[_PemBlock]:
    """Every PEM block in ``text``, tolerant of CRLF, indentation and blank lines.

    Users paste bundles from web consoles, e-mails and YAML files; the line layout is noise, only
    the labels and base64 matter.
    """
    blocks = []
    for match in _PEM_BLOCK.finditer(text):
        lines = [line.strip() for line in match.group(2).splitlines()]
        headers = tuple(line for line in lines if ":" in line)
        body = "".join("".join(line.split()) for line in lines if ":" not in line)
        blocks.append(_PemBlock(match.group(1), headers, body))
    return blocks


def _parse_certificate(block: _PemBlock, field_name: str, what: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(base64.b64decode(block.body, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCertificate(
            field_name,
            f"the {what} is not a readable X.509 certificate ({_one_line(str(exc))}); "
            "export it again from your CA in PEM format",
        ) from None


# --- loading ------------------------------------------------------------------------------------


def _load_chain(chain_pem: str) -> list[x509.Certificate]:
    """Certificates of the bundle in the user's order, verbatim repeats dropped."""
    blocks = _pem_blocks(chain_pem)
    cert_blocks = [b for b in blocks if b.label == "CERTIFICATE"]
    if not cert_blocks:
        found = "a private key but no certificate" if _has_key(blocks) else "no PEM certificate"
        raise InvalidCertificate(
            "certificate",
            f"found {found} (expected '-----BEGIN CERTIFICATE-----'); "
            "pass the certificate file in PEM format",
        )
    chain: list[x509.Certificate] = []
    for position, block in enumerate(cert_blocks, 1):
        cert = _parse_certificate(
            block,
            "certificate" if position == 1 else "chain",
            "certificate" if position == 1 else f"certificate {position} of the chain",
        )
        if cert not in chain:
            chain.append(cert)
    return chain


def _has_key(blocks: Sequence[_PemBlock]) -> bool:
    return any(b.label.endswith("PRIVATE KEY") for b in blocks)


def _load_key(key_pem: str, passphrase: bytes | None) -> PrivateKeyTypes:
    """The one private key in ``key_pem``, decrypted with ``passphrase`` when it is encrypted."""
    blocks = [b for b in _pem_blocks(key_pem) if b.label.endswith("PRIVATE KEY")]
    if not blocks:
        raise InvalidCertificate(
            "key",
            "no PEM private key found (expected '-----BEGIN PRIVATE KEY-----'); "
            "pass the key file in PEM format",
        )
    if len(blocks) > 1:
        raise InvalidCertificate(
            "key", f"found {len(blocks)} private keys; pass the file with only the leaf's key"
        )
    block = blocks[0]
    data = block.to_pem().encode()
    if not _is_encrypted(block):
        return _decode_key(data)
    if passphrase is None:
        raise InvalidCertificate("key", "encrypted; pass --passphrase-file")
    for candidate in _passphrase_variants(passphrase):
        try:
            return serialization.load_pem_private_key(data, candidate)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
    raise InvalidCertificate(
        "passphrase",
        "does not decrypt the key (wrong passphrase or damaged key); check --passphrase-file",
    )


def _is_encrypted(block: _PemBlock) -> bool:
    return block.label == "ENCRYPTED PRIVATE KEY" or any(
        h.replace(" ", "").upper() == "PROC-TYPE:4,ENCRYPTED" for h in block.headers
    )


def _passphrase_variants(passphrase: bytes) -> list[bytes]:
    """The passphrase, then without a trailing newline: editors add one to passphrase files."""
    stripped = passphrase.rstrip(b"\r\n")
    return [passphrase, stripped] if stripped and stripped != passphrase else [passphrase]


def _decode_key(data: bytes) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(data, None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # The library's message is deliberately not shown: it is no help and could echo input.
        raise InvalidCertificate(
            "key",
            "cannot be read as a private key; export it as PEM (PKCS#8 or PKCS#1/SEC1)",
        ) from None


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
            f"has malformed extensions ({_one_line(str(exc))}); reissue it with your CA",
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
        if _issued_by(child, chain[position]):
            continue
        signer = next((i for i, c in enumerate(chain) if c != child and _issued_by(child, c)), None)
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
    if _is_self_signed(last) or last in trust_anchors:
        return
    issuers = [a for a in trust_anchors if a.subject == last.issuer]
    issuers += _system_trust_store().get(last.issuer, ())
    if any(_issued_by(last, issuer) for issuer in issuers):
        return
    raise InvalidCertificate(
        "chain",
        f"incomplete: the issuer {_name_label(last.issuer)} of {_describe(last)} is missing; "
        "append the intermediate certificate after the leaf, or add the root with --trust-anchor",
    )


def _issued_by(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _is_self_signed(cert: x509.Certificate) -> bool:
    return cert.subject == cert.issuer and _issued_by(cert, cert)


# --- system trust store -------------------------------------------------------------------------


@functools.cache
def _system_trust_store() -> Mapping[x509.Name, tuple[x509.Certificate, ...]]:
    """Roots the operating system (and certifi, when installed) trust, by subject; read once.

    ``ssl`` reports only roots it loaded from a CA file, not a CA directory, so the default CA
    file and certifi's bundle are read too.
    """
    by_subject: dict[x509.Name, list[x509.Certificate]] = {}
    with warnings.catch_warnings():
        # Some long-lived roots have non-positive serials; that is not the user's problem.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for der in _system_root_ders():
            try:
                cert = x509.load_der_x509_certificate(der)
                by_subject.setdefault(cert.subject, []).append(cert)
            except ValueError:
                continue  # one odd root in the store must not break every import
    return {subject: tuple(certs) for subject, certs in by_subject.items()}


def _system_root_ders() -> set[bytes]:
    ders: set[bytes] = set(ssl.create_default_context().get_ca_certs(binary_form=True))
    for path in (ssl.get_default_verify_paths().cafile, _certifi_bundle()):
        if path and Path(path).is_file():
            text = Path(path).read_text(encoding="ascii", errors="replace")
            for block in _pem_blocks(text):
                if block.label == "CERTIFICATE":
                    try:
                        ders.add(base64.b64decode(block.body, validate=True))
                    except binascii.Error:
                        continue
    return ders


def _certifi_bundle() -> str | None:
    try:
        certifi = importlib.import_module("certifi")  # optional: not a declared dependency
    except ImportError:
        return None
    where: Callable[[], str] = certifi.where
    return where()


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
    flat = _one_line(text)
    return repr(flat if len(flat) <= _MAX_SHOWN else flat[: _MAX_SHOWN - 1] + "…")


def _one_line(text: str) -> str:
    return " ".join(text.split())
