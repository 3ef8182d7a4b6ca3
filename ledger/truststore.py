"""The roots the machine already trusts, and the signature checks that link a chain to them."""

from __future__ import annotations

import base64
import binascii
import functools
import importlib
import ssl
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.utils import CryptographyDeprecationWarning

from ledger.pem import pem_blocks


def issued_by(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer`` signed ``child``; a check that cannot run counts as not signed."""
    try:
        child.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def is_self_signed(cert: x509.Certificate) -> bool:
    """Whether ``cert`` is a root: its own issuer, with a signature its own key verifies."""
    return cert.subject == cert.issuer and issued_by(cert, cert)


@functools.cache
def system_trust_store() -> Mapping[x509.Name, tuple[x509.Certificate, ...]]:
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
            for block in pem_blocks(text):
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
