"""``tencent.cdn``: certificates on Tencent Cloud CDN acceleration domains.

A resource is one acceleration domain, identified by its name (``native_id``): every CDN API
that reads or changes a domain (DescribeDomainsConfig filters, UpdateDomainConfig) takes the
name, and a name belongs to at most one account on the platform, so it is stable and needs no
lookup. The vendor's ResourceId is kept in ``attributes["resource_id"]`` for people.

Certificates are hosted in the SSL Certificate Service (see
:mod:`providers.tencent.hosted_certificates`) and referenced from the domain's HTTPS block by
CertId.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from providers.base import (
    Account,
    CallHooks,
    CertificateBundle,
    NoHooks,
    ProductInfo,
    Resource,
    ServedCert,
)
from providers.errors import Permanent
from providers.tencent import client
from providers.tencent.hosted_certificates import (
    HostedCertificates,
    HostedCleanup,
    parse_vendor_time,
)

NAME: Final = "tencent.cdn"
PERMISSIONS: Final = ("QcloudSSLFullAccess", "QcloudCDNFullAccess")
PAGE_SIZE: Final = 100  # DescribeDomainsConfig's maximum Limit
_OUTPUT_ONLY: Final = frozenset({"SslStatus"})  # read-only fields of the Https block


class TencentCdn(HostedCleanup):
    """The adapter; see ARCHITECTURE.md for the contract."""

    name = NAME

    def __init__(self, hooks: CallHooks | None = None) -> None:
        self._hooks: CallHooks = hooks or NoHooks()
        self._certificates = HostedCertificates(self._hooks, PERMISSIONS)

    def check_credentials(self, account: Account) -> None:
        """One read of each service the adapter needs: proves the key and both policies."""
        self._certificates.check_access(account)
        self._cdn(account, "DescribeDomainsConfig", {"Offset": 0, "Limit": 1})

    def discover(self, account: Account) -> Iterator[Resource]:
        """Every domain with its HTTPS state, 100 per call.

        DescribeDomainsConfig returns the full configuration (HTTPS included) of a page of
        domains in one call, so one listing gives names and certificates together; pairing
        DescribeDomains with per-page config look-ups would cost more calls (its filters take
        at most 5 names) and could disagree when domains change between the two listings.
        """
        offset = 0
        while True:
            page = self._cdn(
                account, "DescribeDomainsConfig", {"Offset": offset, "Limit": PAGE_SIZE}
            )
            domains = page.get("Domains") or []
            for entry in domains:
                yield _resource(entry)
            offset += len(domains)
            if not domains or offset >= int(page.get("TotalNumber") or 0):
                return

    def ensure_certificate(
        self, account: Account, cert: CertificateBundle, region: str | None
    ) -> str:
        """Reuse our earlier upload of ``cert`` or upload it once (SSL is global: no region)."""
        return self._certificates.ensure(account, cert)

    def bind(self, account: Account, resource: Resource, remote_cert_id: str) -> bool:
        """Switch HTTPS on with ``remote_cert_id``; False (and no change) if already so.

        UpdateDomainConfig replaces the whole Https block, resetting what is not sent, so we
        send back the block we just read (HTTP/2, HSTS, OCSP … kept) with only the certificate
        changed.
        """
        https = self._https_of(account, resource)
        cert_info = https.get("CertInfo") or {}
        if https.get("Switch") == "on" and cert_info.get("CertId") == remote_cert_id:
            return False
        update = {k: v for k, v in https.items() if k not in _OUTPUT_ONLY and v is not None}
        update["Switch"] = "on"
        update["CertInfo"] = {"CertId": remote_cert_id}
        self._cdn(account, "UpdateDomainConfig", {"Domain": resource.native_id, "Https": update})
        return True

    def current(self, account: Account, resource: Resource) -> ServedCert:
        """What the domain's HTTPS block references now (no certificate when HTTPS is off)."""
        served = _served(self._https_of(account, resource))
        return served or ServedCert(remote_id=None)

    # -- helpers ---------------------------------------------------------------------------

    def _https_of(self, account: Account, resource: Resource) -> dict[str, Any]:
        page = self._cdn(
            account,
            "DescribeDomainsConfig",
            {"Filters": [{"Name": "domain", "Value": [resource.native_id]}], "Limit": PAGE_SIZE},
        )
        for entry in page.get("Domains") or []:
            if str(entry.get("Domain", "")).lower() == resource.native_id.lower():
                https = entry.get("Https")
                return dict(https) if isinstance(https, Mapping) else {}
        raise Permanent(
            f"CDN domain {resource.native_id} is not in this account (deleted, or moved)"
        )

    def _cdn(self, account: Account, action: str, params: dict[str, Any]) -> dict[str, Any]:
        return client.call_action(
            self._hooks,
            account,
            client.cdn_api(account),
            action,
            params,
            family="cdn",
            permissions=PERMISSIONS,
        )


def _resource(entry: Mapping[str, Any]) -> Resource:
    https = entry.get("Https")
    status = str(entry.get("Status") or "")
    return Resource(
        provider="tencent",
        product=NAME,
        native_id=str(entry["Domain"]),
        hostnames=(str(entry["Domain"]),),
        served=_served(https) if isinstance(https, Mapping) else None,
        https_endpoint=status == "online",  # an offline domain has no edge to handshake with
        attributes={
            "resource_id": str(entry.get("ResourceId") or ""),
            "status": status,
            "area": str(entry.get("Area") or ""),
        },
    )


def _served(https: Mapping[str, Any]) -> ServedCert | None:
    cert_info = https.get("CertInfo") or {}
    if https.get("Switch") != "on" or not cert_info.get("CertId"):
        return None
    return ServedCert(
        remote_id=str(cert_info["CertId"]),
        not_after=parse_vendor_time(cert_info.get("ExpireTime")),
    )


INFO: Final = ProductInfo(
    name=NAME,
    display_name="Tencent Cloud CDN (acceleration domains)",
    api_docs="https://cloud.tencent.com/document/api/228/41116",
    permissions=PERMISSIONS,
    # Per-account limits from the API pages: CDN UpdateDomainConfig/DescribeDomainsConfig
    # 20 req/s; SSL UploadCertificate 10 req/s (2025 docs; older pages said 20).
    rate_limits={"cdn": 20.0, "ssl": 10.0},
    factory=TencentCdn,
    limited_per_action=True,
    certificate_store="tencent.ssl",
)
