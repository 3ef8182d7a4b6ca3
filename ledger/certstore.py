"""Imported certificates: storing validated bundles and choosing them for tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.certificates import ValidatedCertificate
from ledger.errors import InputError, NotFound
from ledger.models import CERT_TYPES, Certificate
from ledger.vault import Vault


def import_certificate(
    session: Session,
    vault: Vault,
    validated: ValidatedCertificate,
    *,
    cert_type: str,
    label: str | None = None,
) -> tuple[Certificate, bool]:
    """Store ``validated`` (key encrypted); returns (row, created).

    Importing the same certificate twice is harmless and returns the first row, unless the type
    differs: quota depends on the type, so silently changing it would be wrong.
    """
    if cert_type not in CERT_TYPES:
        raise InputError("type", f"unknown certificate type {cert_type!r}; use one of {CERT_TYPES}")
    existing = session.execute(
        select(Certificate).where(Certificate.fingerprint == validated.fingerprint)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.cert_type != cert_type:
            raise InputError(
                "type",
                f"certificate {existing.id} is already imported as {existing.cert_type!r}",
            )
        return existing, False
    row = Certificate(
        fingerprint=validated.fingerprint,
        cert_type=cert_type,
        label=label,
        names=list(validated.names),
        common_name=validated.common_name,
        issuer=validated.issuer,
        key_type=validated.key_type,
        not_before=validated.not_before,
        not_after=validated.not_after,
        chain_pem=validated.chain_pem,
        key_ciphertext=vault.encrypt(validated.key_pem, "certificate-key"),
    )
    session.add(row)
    session.flush()
    return row, True


def list_certificates(session: Session) -> list[Certificate]:
    """All certificates, soonest expiry first."""
    return list(session.execute(select(Certificate).order_by(Certificate.not_after)).scalars())


class CertificateFacts(NamedTuple):
    """What planning needs of a certificate: no PEM, no key, no ORM identity."""

    id: int
    cert_type: str
    names: list[str]
    not_after: datetime
    fingerprint: str


def get_certificates(session: Session, ids: Sequence[int]) -> list[CertificateFacts]:
    """The certificates with these ids, in the given order; unknown ids are an input error.

    Plain rows: a campaign may select 10,000 certificates, and their chains and sealed keys
    are not needed to plan it.
    """
    rows = {
        row.id: row
        for row in map(
            CertificateFacts._make,
            session.execute(
                select(
                    Certificate.id,
                    Certificate.cert_type,
                    Certificate.names,
                    Certificate.not_after,
                    Certificate.fingerprint,
                ).where(Certificate.id.in_(ids))
            ),
        )
    }
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFound("cert", f"no certificate with id {missing[0]}; see `certfleet cert list`")
    return [rows[i] for i in ids]


def reveal_key(vault: Vault, certificate: Certificate) -> str:
    """The private key PEM, for the upload call; never log the result."""
    return vault.decrypt(certificate.key_ciphertext, "certificate-key")
