"""What certfleet reads from the PEM Huawei Cloud hands back, and how it names certificates.

Both services return the certificate body they serve (CDN ``certificate_value``, ELB
``certificate``), so certfleet compares exact leaves — SHA-256 of the DER, the identity it uses
everywhere — instead of trusting names an operator may have reused.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID


def leaf(pem: object) -> x509.Certificate | None:
    """The first certificate of a PEM chain, or None when there is none to read."""
    if not isinstance(pem, str) or "BEGIN CERTIFICATE" not in pem:
        return None
    try:
        return x509.load_pem_x509_certificates(pem.strip().encode())[0]
    except (ValueError, IndexError):
        return None


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def certfleet_id(leaf_fingerprint: str) -> str:
    """The name certfleet gives a certificate: ``CertificateBundle.alias`` of the same leaf."""
    return f"certfleet-{leaf_fingerprint[:16]}"


def names(cert: x509.Certificate) -> tuple[str, ...]:
    """DNS SANs (lower-case); the CN when the certificate has no SAN extension."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        found = san.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        found = [
            str(attr.value) for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        ]
    return tuple(dict.fromkeys(name.strip().lower() for name in found if name.strip()))


def not_after(cert: x509.Certificate) -> datetime:
    return cert.not_valid_after_utc.astimezone(UTC)
