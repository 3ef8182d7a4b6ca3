"""A throwaway certificate authority for emulators, tests and ``certfleet demo``, and how the
emulated vendors read the certificates they are given (fingerprint, names, coverage).

Real deployments import certificates issued elsewhere; this exists so the demo and the tests can
mint realistic chains (root → intermediate → leaf, RSA or EC, wildcard SANs, any validity window)
without touching the network. Nothing here is used on a production path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KeyType = Literal["ec", "rsa"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def new_key(key_type: KeyType = "ec") -> PrivateKey:
    """A fresh key; EC P-256 by default because it is fast to generate in bulk."""
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def key_to_pem(key: PrivateKey, passphrase: bytes | None = None) -> str:
    """PKCS#8 PEM, encrypted when a passphrase is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()


def cert_to_pem(cert: x509.Certificate) -> str:
    """PEM text of one certificate."""
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER encoding, lower-case hex: the identity certfleet uses everywhere."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def common_name(cert: x509.Certificate) -> str:
    """The subject's CN, or "" when it has none."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def dns_names(cert: x509.Certificate) -> tuple[str, ...]:
    """DNS SANs; the CN only when the certificate has no SAN extension (as CAs used to issue)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        cn = common_name(cert)
        return (cn,) if cn else ()
    return tuple(san.value.get_values_for_type(x509.DNSName))


def covers(names: tuple[str, ...], hostname: str) -> bool:
    """Whether a certificate with ``names`` can serve ``hostname``, as the vendors judge it.

    RFC 6125, case-insensitive: ``*.a.com`` covers ``x.a.com`` but neither ``a.com`` nor
    ``x.y.a.com``; a wildcard domain ``*.a.com`` is covered only by the name ``*.a.com``.
    """
    host = hostname.strip().rstrip(".").lower()
    for raw in names:
        name = raw.strip().rstrip(".").lower()
        if name == host:
            return True
        if name.startswith("*.") and not host.startswith("*."):
            label, _, parent = host.partition(".")
            if label and parent == name[2:]:
                return True
    return False


@dataclass(frozen=True)
class IssuedCertificate:
    """A leaf with its key and the chain a server must send (leaf first, root excluded)."""

    certificate: x509.Certificate
    key: PrivateKey
    chain: tuple[x509.Certificate, ...]  # intermediates, nearest first

    @property
    def cert_pem(self) -> str:
        return cert_to_pem(self.certificate)

    @property
    def chain_pem(self) -> str:
        """Leaf followed by intermediates, as servers and vendors expect."""
        return "".join(cert_to_pem(c) for c in (self.certificate, *self.chain))

    @property
    def key_pem(self) -> str:
        return key_to_pem(self.key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)


class Authority:
    """A root CA with one intermediate, like public CAs issue from."""

    def __init__(self, name: str = "certfleet demo", key_type: KeyType = "ec") -> None:
        now = datetime.now(UTC)
        self.root_key = new_key(key_type)
        self.root = _ca_certificate(
            f"{name} root", self.root_key, None, self.root_key, now, path_length=1
        )
        self.intermediate_key = new_key(key_type)
        self.intermediate = _ca_certificate(
            f"{name} intermediate",
            self.intermediate_key,
            self.root,
            self.root_key,
            now,
            path_length=0,
        )

    def issue(
        self,
        names: list[str],
        *,
        days: int = 90,
        not_before: datetime | None = None,
        key_type: KeyType = "ec",
        common_name: str | None = None,
        with_san: bool = True,
    ) -> IssuedCertificate:
        """Issue a server certificate for ``names`` (SANs; the first is also the CN)."""
        start = not_before or datetime.now(UTC) - timedelta(hours=1)
        key = new_key(key_type)
        cn = common_name if common_name is not None else (names[0] if names else "no-name")
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(self.intermediate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        )
        if with_san and names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
            )
        cert = builder.sign(self.intermediate_key, hashes.SHA256())
        return IssuedCertificate(cert, key, (self.intermediate,))


def _ca_certificate(
    common_name: str,
    key: PrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: PrivateKey,
    now: datetime,
    *,
    path_length: int,
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(issuer_key, hashes.SHA256())
    )
