"""Read certificates and private keys out of the PEM text users paste or upload.

Refusals raise :class:`~ledger.errors.InvalidCertificate` with a one-line message that names
the field and the fix, and never quotes key material.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from ledger.errors import InvalidCertificate

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_PEM_LINE = 64


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


def pem_blocks(text: str) -> list[_PemBlock]:
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


def parse_certificate(block: _PemBlock, field_name: str, what: str) -> x509.Certificate:
    """The certificate in ``block``, or a refusal naming ``field_name`` and ``what`` it was."""
    try:
        return x509.load_der_x509_certificate(base64.b64decode(block.body, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCertificate(
            field_name,
            f"the {what} is not a readable X.509 certificate ({one_line(str(exc))}); "
            "export it again from your CA in PEM format",
        ) from None


def load_chain(chain_pem: str) -> list[x509.Certificate]:
    """Certificates of the bundle in the user's order, verbatim repeats dropped."""
    blocks = pem_blocks(chain_pem)
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
        cert = parse_certificate(
            block,
            "certificate" if position == 1 else "chain",
            "certificate" if position == 1 else f"certificate {position} of the chain",
        )
        if cert not in chain:
            chain.append(cert)
    return chain


def _has_key(blocks: Sequence[_PemBlock]) -> bool:
    return any(b.label.endswith("PRIVATE KEY") for b in blocks)


def load_key(key_pem: str, passphrase: bytes | None) -> PrivateKeyTypes:
    """The one private key in ``key_pem``, decrypted with ``passphrase`` when it is encrypted."""
    blocks = [b for b in pem_blocks(key_pem) if b.label.endswith("PRIVATE KEY")]
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


def one_line(text: str) -> str:
    """``text`` with its whitespace collapsed, because every refusal is a one-line message."""
    return " ".join(text.split())
