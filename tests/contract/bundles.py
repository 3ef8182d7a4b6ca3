"""The CertificateBundle the ledger would hand a worker, built from a test certificate."""

from __future__ import annotations

from cryptography import x509

from providers.base import CertificateBundle
from providers.emulators.pki import IssuedCertificate
from providers.secrets import Secret


def bundle_of(issued: IssuedCertificate) -> CertificateBundle:
    san = issued.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return CertificateBundle(
        fingerprint=issued.fingerprint,
        chain_pem=issued.chain_pem,
        key_pem=Secret(issued.key_pem),
        names=tuple(san.value.get_values_for_type(x509.DNSName)),
        not_after=issued.certificate.not_valid_after_utc,
    )
