"""Certificates hosted in Tencent's SSL Certificate Service, as every Tencent product uses them.

CDN, CLB and WAF all reference a certificate by its SSL-service id (CertId / SSLId), so one
upload serves every product of the account, and "upload if absent" is the same everywhere:
look for our earlier upload first (its alias embeds the fingerprint), upload with
``Repeatable=false`` otherwise — the vendor then answers a concurrent or repeated identical
upload with the existing id, so even two workers racing here end with one copy.

The products' own listings name the certificate but not always when it ends (CLB listeners and
WAF domains give only the id); :meth:`HostedCertificates.end_dates` looks those up in bulk so
discovery can plan renewals.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

from providers.base import Account, CallHooks, CertificateBundle, Resource, UploadedCertificate
from providers.errors import Permanent
from providers.tencent import client

FAMILY: Final = "ssl"  # rate-limit family of every SSL Certificate Service call
STORE: Final = "tencent.ssl"  # the one certificate store CDN, CLB and WAF share
ALIAS_PREFIX: Final = "certfleet-"
_PAGE: Final = 100
_IDS_PER_LOOKUP: Final = 100
_BEIJING: Final = timezone(timedelta(hours=8))  # the SSL, CDN and CLB APIs print GMT+8
_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"


class HostedCertificates:
    """Uploads and look-ups in the SSL Certificate Service for one product's adapter.

    ``permissions`` are the product's CAM policies, named when the key lacks one.
    """

    def __init__(self, hooks: CallHooks, permissions: Sequence[str]) -> None:
        self._hooks = hooks
        self._permissions = tuple(permissions)

    def check_access(self, account: Account) -> None:
        """One harmless read: proves the key and its SSL permission."""
        self._call(account, "DescribeCertificates", {"Offset": 0, "Limit": 1})

    def ensure(self, account: Account, cert: CertificateBundle) -> str:
        """The id of our upload of ``cert``, uploading it only if there is none yet."""
        existing = self._find(account, cert)
        if existing is not None:
            return existing
        answer = self._call(
            account,
            "UploadCertificate",
            {
                "CertificatePublicKey": cert.chain_pem,
                "CertificatePrivateKey": cert.key_pem.reveal(),
                "CertificateType": "SVR",
                "Alias": cert.alias,
                "Repeatable": False,
            },
        )
        cert_id = answer.get("RepeatCertId") or answer.get("CertificateId")
        if not cert_id:
            raise Permanent("UploadCertificate answered without a CertificateId")
        return str(cert_id)

    def uploads(self, account: Account) -> Iterator[UploadedCertificate]:
        """certfleet's uploads in the account (their alias starts with ``certfleet-``)."""
        offset = 0
        while True:
            page = self._call(
                account,
                "DescribeCertificates",
                {"SearchKey": ALIAS_PREFIX, "Offset": offset, "Limit": _PAGE},
            )
            listed = page.get("Certificates") or []
            for item in listed:
                alias = str(item.get("Alias") or "")
                if alias.startswith(ALIAS_PREFIX) and item.get("CertificateId"):
                    yield UploadedCertificate(
                        str(item["CertificateId"]),
                        alias,
                        parse_vendor_time(item.get("CertEndTime")),
                    )
            offset += len(listed)
            if not listed or offset >= int(page.get("TotalCount") or 0):
                return

    def delete(self, account: Account, certificate: UploadedCertificate) -> None:
        """Delete one upload (the vendor checks no bindings by default: the caller must)."""
        answer = self._call(account, "DeleteCertificate", {"CertificateId": certificate.remote_id})
        if answer.get("DeleteResult") is False:
            raise Permanent(f"DeleteCertificate refused to delete {certificate.remote_id}")

    def end_dates(self, account: Account, cert_ids: Iterable[str]) -> dict[str, datetime]:
        """``CertId -> not-after`` for the ids the account can see (unknown ids are left out)."""
        wanted = sorted(set(cert_ids))
        found: dict[str, datetime] = {}
        for start in range(0, len(wanted), _IDS_PER_LOOKUP):
            chunk = wanted[start : start + _IDS_PER_LOOKUP]
            page = self._call(
                account,
                "DescribeCertificates",
                {"CertIds": chunk, "Offset": 0, "Limit": len(chunk)},
            )
            for item in page.get("Certificates") or []:
                end = parse_vendor_time(item.get("CertEndTime"))
                if item.get("CertificateId") and end is not None:
                    found[str(item["CertificateId"])] = end
        return found

    def with_end_dates(self, account: Account, resources: list[Resource]) -> list[Resource]:
        """``resources`` with the end dates of the hosted certificates they serve filled in."""
        ids = {r.served.remote_id for r in resources if r.served and r.served.remote_id}
        ends = self.end_dates(account, ids) if ids else {}
        return [_with_end_date(r, ends) for r in resources]

    def _find(self, account: Account, cert: CertificateBundle) -> str | None:
        """Our upload of ``cert``: same alias (it embeds the fingerprint), end date and names."""
        offset = 0
        while True:
            page = self._call(
                account,
                "DescribeCertificates",
                {"SearchKey": cert.alias, "Offset": offset, "Limit": _PAGE},
            )
            listed = page.get("Certificates") or []
            for item in listed:
                if _same_upload(item, cert):
                    return str(item["CertificateId"])
            offset += len(listed)
            if not listed or offset >= int(page.get("TotalCount") or 0):
                return None

    def _call(self, account: Account, action: str, params: dict[str, Any]) -> dict[str, Any]:
        return client.call_action(
            self._hooks,
            account,
            client.ssl_api(account),
            action,
            params,
            family=FAMILY,
            permissions=self._permissions,
        )


class HostedCleanup:
    """The cleanup ability (``SupportsCleanup``) every Tencent adapter shares.

    Mixed into adapters that keep a :class:`HostedCertificates` as ``_certificates``.
    """

    certificate_store = STORE
    _certificates: HostedCertificates

    def uploaded_certificates(self, account: Account) -> Iterator[UploadedCertificate]:
        """certfleet's uploads in the account's SSL Certificate Service."""
        return self._certificates.uploads(account)

    def delete_certificate(self, account: Account, certificate: UploadedCertificate) -> None:
        """Delete one upload; the caller has proved it is bound nowhere."""
        self._certificates.delete(account, certificate)


def parse_vendor_time(value: object) -> datetime | None:
    """``2024-05-01 20:00:00`` (GMT+8, how Tencent prints times) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value, _TIME_FORMAT).replace(tzinfo=_BEIJING)
    except ValueError:
        return None


def _same_upload(item: Mapping[str, Any], cert: CertificateBundle) -> bool:
    if item.get("Alias") != cert.alias or not item.get("CertificateId"):
        return False
    end = parse_vendor_time(item.get("CertEndTime"))
    if end is None or abs((end - _aware(cert.not_after)).total_seconds()) > 1:
        return False
    listed = {str(n).lower() for n in item.get("SubjectAltName") or []}
    listed.add(str(item.get("Domain") or "").lower())
    return {n.lower() for n in cert.names} <= listed


def _with_end_date(resource: Resource, ends: Mapping[str, datetime]) -> Resource:
    served = resource.served
    if served is None or served.remote_id is None or served.remote_id not in ends:
        return resource
    return replace(resource, served=replace(served, not_after=ends[served.remote_id]))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
