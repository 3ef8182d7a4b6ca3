"""The SSL certificate service (``ssl``, 2019-12-05): UploadCertificate and its readers.

Behaviour copied from the vendor where it matters to certfleet: ``Repeatable=false`` answers
an identical upload (same leaf and chain) with the existing id instead of a second copy; the
key must match the certificate; listings page with Offset/Limit (Limit clamped at 1000) and
``SearchKey`` fuzzily matches id, alias and domain names; times are GMT+8.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization

from providers.emulators.pki import fingerprint
from providers.emulators.tencent import errors
from providers.emulators.tencent.context import Action, ActionContext, paging, text
from providers.emulators.tencent.errors import ApiError
from providers.emulators.tencent.state import AccountState, StoredCertificate, vendor_time

SERVICE: Final = "ssl"
VERSION: Final = "2019-12-05"
_ID_LENGTH: Final = 8  # vendor ids look like "0VpOXiPz"


def parse_chain(public_pem: str) -> tuple[x509.Certificate, ...]:
    """Leaf first, as uploaded; the vendor's CertificateInvalid when it is not PEM."""
    try:
        chain = tuple(x509.load_pem_x509_certificates(public_pem.strip().encode()))
    except ValueError:
        chain = ()
    if not chain:
        raise ApiError(
            errors.CERTIFICATE_INVALID,
            "The certificate does not meet the standard; check it is PEM without extra spaces.",
        )
    return chain


def check_key(leaf: x509.Certificate, key_pem: str) -> None:
    """The vendor's CertificateMismatch unless ``key_pem`` is the leaf's private key."""
    try:
        key = serialization.load_pem_private_key(key_pem.strip().encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise ApiError(errors.CERTIFICATE_INVALID, "The private key could not be parsed.") from (
            error
        )
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != leaf.public_key().public_bytes(*spki):
        raise ApiError(
            errors.CERTIFICATE_MISMATCH, "The certificate and the private key do not match."
        )


def store(
    account: AccountState,
    chain_pem: str,
    key_pem: str,
    alias: str,
    *,
    now: datetime,
    new_id: str,
    repeatable: bool,
) -> tuple[StoredCertificate, bool]:
    """Validate and keep an upload; returns it and whether an identical one was reused."""
    chain = parse_chain(chain_pem)
    check_key(chain[0], key_pem)
    identity = tuple(fingerprint(c) for c in chain)
    if not repeatable:
        for existing in account.certificates.values():
            if existing.identity == identity:
                return existing, True
    stored = StoredCertificate(new_id, alias, chain_pem, key_pem, chain, now)
    account.certificates[stored.certificate_id] = stored
    return stored, False


def upload_certificate(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    public = text(params, "CertificatePublicKey", required=True)
    if (text(params, "CertificateType") or "SVR") != "SVR":
        raise ApiError(errors.SSL_INVALID_PARAM, "The emulator accepts SVR certificates only.")
    private = text(params, "CertificatePrivateKey")
    if not private:
        raise ApiError(
            errors.MISSING_PARAMETER, "CertificatePrivateKey is required for SVR certificates."
        )
    ctx.count_target(fingerprint(parse_chain(public)[0]))
    repeatable = params.get("Repeatable")
    stored, reused = store(
        ctx.account,
        public,
        private,
        text(params, "Alias"),
        now=ctx.now,
        new_id=ctx.new_id(_ID_LENGTH),
        repeatable=repeatable is not False,  # the vendor's default is true
    )
    return {
        "CertificateId": stored.certificate_id,
        "RepeatCertId": stored.certificate_id if reused else None,
    }


def describe_certificates(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    offset, limit = paging(
        params, default=10, maximum=1000, clamp=True, code=errors.INVALID_PARAMETER
    )
    search = text(params, "SearchKey").lower()
    wanted_ids = params.get("CertIds") or None
    kind = text(params, "CertificateType")
    found = [
        cert
        for cert in reversed(ctx.account.certificates.values())  # newest first, like the vendor
        if (not kind or kind == "SVR")
        and (wanted_ids is None or cert.certificate_id in wanted_ids)
        and (not search or _matches(cert, search))
    ]
    return {
        "TotalCount": len(found),
        "Certificates": [_summary(ctx.account, c, ctx.now) for c in found[offset : offset + limit]],
    }


def describe_certificate_detail(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    cert_id = text(params, "CertificateId", required=True)
    cert = ctx.account.certificates.get(cert_id)
    if cert is None:
        raise ApiError(errors.CERTIFICATE_NOT_FOUND, "The certificate does not exist.")
    detail = _summary(ctx.account, cert, ctx.now)
    detail.update(
        {
            # The vendor leaves the main domain out of this one list (unlike DescribeCertificates).
            "SubjectAltName": [n for n in cert.names if n != cert.domain],
            "CertificatePublicKey": cert.chain_pem,
            # The vendor returns the private key here too; the emulator keeps it out of test logs.
            "CertificatePrivateKey": None,
            "CertFingerprint": cert.leaf.fingerprint(hashes.SHA1()).hex(),  # noqa: S303 - vendor field
        }
    )
    return detail


def delete_certificate(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Like the vendor without ``IsCheckResource``: deletes even a certificate still bound.

    That is the real-world trap (HTTPS breaks where it was bound); certfleet's cleanup must
    check bindings itself, and the tests use this to prove it does.
    """
    cert_id = text(params, "CertificateId", required=True)
    if ctx.account.certificates.pop(cert_id, None) is None:
        raise ApiError(errors.CERTIFICATE_NOT_FOUND, "The certificate does not exist.")
    ctx.count_target(cert_id)
    return {"DeleteResult": True}


def _matches(cert: StoredCertificate, search: str) -> bool:
    haystack = (cert.certificate_id, cert.alias, cert.domain, *cert.names)
    return any(search in item.lower() for item in haystack)


def _summary(account: AccountState, cert: StoredCertificate, now: datetime) -> dict[str, Any]:
    begin, end = cert.leaf.not_valid_before_utc, cert.leaf.not_valid_after_utc
    expired = now > end
    names = list(dict.fromkeys((cert.domain, *cert.names)))
    return {
        "CertificateId": cert.certificate_id,
        "Alias": cert.alias,
        "Domain": cert.domain,
        "SubjectAltName": names,
        "CertBeginTime": vendor_time(begin),
        "CertEndTime": vendor_time(end),
        "InsertTime": vendor_time(cert.inserted),
        "Status": 3 if expired else 1,
        "StatusName": "已过期" if expired else "证书已颁发",
        "From": "upload",
        "CertificateType": "SVR",
        "ProjectId": "0",
        "OwnerUin": str(account.app_id),
        "IsWildcard": any(n.startswith("*.") for n in cert.names),
        "Deployable": not expired,
        "ValidityPeriod": str(max(1, round((end - begin).days / 30))),
    }


ACTIONS: Final[dict[str, Action]] = {
    "UploadCertificate": upload_certificate,
    "DescribeCertificates": describe_certificates,
    "DescribeCertificateDetail": describe_certificate_detail,
    "DeleteCertificate": delete_certificate,
}
