"""``tencent.waf``: certificates on Tencent Cloud WAF (SaaS) protected domains.

A resource is one domain protected by a SaaS WAF instance (Edition ``sparta-waf``): the WAF
terminates TLS for it with the certificate configured on the domain. Domains of load-balancer
WAF (``clb-waf``) hold no certificate — TLS ends on their CLB listener, which ``tencent.clb``
deploys to — so they are not resources here.

native ids are ``<InstanceId>/<DomainId>/<domain>``: ModifySpartaProtection needs all three, so
the id addresses a change without a look-up; a domain removed and added again gets a new
DomainId, and rightly becomes a new resource.

Certificates are hosted in the SSL Certificate Service and bound as CertType 2 + SSLId, the
same upload the CDN and CLB adapters use (:mod:`providers.tencent.hosted_certificates`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

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
from providers.tencent.hosted_certificates import HostedCertificates, HostedCleanup

NAME: Final = "tencent.waf"
PERMISSIONS: Final = ("QcloudSSLFullAccess", "QcloudWAFFullAccess")
PAGE_SIZE: Final = 100
FAMILY: Final = "waf"
SAAS: Final = "sparta-waf"
HOSTED: Final = 2  # CertType: certificate hosted in SSL Certificate Service (SSLId)
OWN: Final = 1  # CertType: certificate and key pasted into the WAF (Cert, PrivateKey)


class TencentWaf(HostedCleanup):
    """The adapter; see ARCHITECTURE.md for the contract."""

    name = NAME

    def __init__(self, hooks: CallHooks | None = None, *, page_size: int = PAGE_SIZE) -> None:
        self._hooks: CallHooks = hooks or NoHooks()
        self._certificates = HostedCertificates(self._hooks, PERMISSIONS)
        self._page_size = page_size

    def check_credentials(self, account: Account) -> None:
        """One read of each service the adapter needs: proves the key and both policies."""
        self._certificates.check_access(account)
        self._waf(account, "DescribeDomains", {"Offset": 1, "Limit": 1})

    def discover(self, account: Account) -> Iterator[Resource]:
        """Every SaaS-protected domain with the certificate it serves.

        DescribeDomains names domains but not their certificates, so each domain costs one
        DescribeDomainDetailsSaas; each page ends with one SSL look-up of end dates.
        """
        for page in self._saas_pages(account):
            found = [_resource(entry, self._details(account, _ref_of(entry))) for entry in page]
            yield from self._certificates.with_end_dates(account, found)

    def ensure_certificate(
        self, account: Account, cert: CertificateBundle, region: str | None
    ) -> str:
        """Reuse our earlier upload of ``cert`` or upload it once (SSL is global: no region)."""
        return self._certificates.ensure(account, cert)

    def bind(self, account: Account, resource: Resource, remote_cert_id: str) -> bool:
        """Make the domain serve the hosted certificate ``remote_cert_id``; read first.

        Only the certificate fields are sent: ModifySpartaProtection keeps what it is not sent
        (peers deploy with exactly these fields), so upstreams, ports and TLS settings stay.
        """
        instance_id, domain_id, domain = _parse(resource.native_id)
        details = self._details(account, (instance_id, domain_id, domain))
        if _cert_type(details) == HOSTED and details.get("SSLId") == remote_cert_id:
            return False
        self._waf(
            account,
            "ModifySpartaProtection",
            {
                "Domain": domain,
                "DomainId": domain_id,
                "InstanceID": instance_id,
                "CertType": HOSTED,
                "SSLId": remote_cert_id,
            },
        )
        return True

    def current(self, account: Account, resource: Resource) -> ServedCert:
        """The certificate the domain is configured with now."""
        served = _served(self._details(account, _parse(resource.native_id)))
        return served or ServedCert(remote_id=None)

    # -- helpers ---------------------------------------------------------------------------

    def _saas_pages(self, account: Account) -> Iterator[list[Mapping[str, Any]]]:
        """Pages of SaaS domains. Offset is a page number here (1, 2, …), not a record count."""
        page_number, seen = 1, 0
        while True:
            page = self._waf(
                account,
                "DescribeDomains",
                {
                    "Offset": page_number,
                    "Limit": self._page_size,
                    "Filters": [{"Name": "Edition", "Values": [SAAS], "ExactMatch": True}],
                },
            )
            domains = page.get("Domains") or []
            yield [d for d in domains if d.get("Edition", SAAS) == SAAS]
            seen += len(domains)
            page_number += 1
            if not domains or seen >= int(page.get("Total") or 0):
                return

    def _details(self, account: Account, ref: tuple[str, str, str]) -> Mapping[str, Any]:
        instance_id, domain_id, domain = ref
        answer = self._waf(
            account,
            "DescribeDomainDetailsSaas",
            {"Domain": domain, "DomainId": domain_id, "InstanceId": instance_id},
        )
        details = answer.get("DomainsPartInfo")
        if not isinstance(details, Mapping):
            raise Permanent(f"WAF domain {domain} ({domain_id}) is not in this account")
        return details

    def _waf(self, account: Account, action: str, params: dict[str, Any]) -> dict[str, Any]:
        return client.call_action(
            self._hooks,
            account,
            client.waf_api(account),
            action,
            params,
            family=FAMILY,
            permissions=PERMISSIONS,
        )


def _ref_of(entry: Mapping[str, Any]) -> tuple[str, str, str]:
    return str(entry["InstanceId"]), str(entry["DomainId"]), str(entry["Domain"]).lower()


def _parse(native_id: str) -> tuple[str, str, str]:
    parts = native_id.split("/", 2)
    if len(parts) != 3 or not all(parts):
        raise Permanent(f"{native_id!r} is not a tencent.waf id (instance/domain-id/domain)")
    return parts[0], parts[1], parts[2].lower()


def _resource(entry: Mapping[str, Any], details: Mapping[str, Any]) -> Resource:
    instance_id, domain_id, domain = _ref_of(entry)
    ports = details.get("Ports") or entry.get("Ports") or []
    return Resource(
        provider="tencent",
        product=NAME,
        native_id=f"{instance_id}/{domain_id}/{domain}",
        hostnames=(domain,),
        served=_served(details),
        # Without an HTTPS port the WAF answers no TLS for the domain (yet).
        https_endpoint=any(str(p.get("Protocol")).lower() == "https" for p in ports),
        attributes={
            "instance_id": instance_id,
            "instance_name": str(entry.get("InstanceName") or ""),
            "domain_id": domain_id,
            "cert_type": str(_cert_type(details)),
        },
    )


def _cert_type(details: Mapping[str, Any]) -> int:
    try:
        return int(details.get("CertType") or 0)
    except (TypeError, ValueError):
        return 0


def _served(details: Mapping[str, Any]) -> ServedCert | None:
    """What the domain serves: a hosted certificate by id, or an own one by its PEM."""
    kind = _cert_type(details)
    if kind == HOSTED and details.get("SSLId"):
        return ServedCert(remote_id=str(details["SSLId"]))
    if kind == OWN and details.get("Cert"):
        try:
            leaf = x509.load_pem_x509_certificates(str(details["Cert"]).strip().encode())[0]
        except (ValueError, IndexError):
            return ServedCert(remote_id=None)
        der = leaf.public_bytes(Encoding.DER)
        return ServedCert(
            remote_id=None,
            fingerprint=hashlib.sha256(der).hexdigest(),
            not_after=leaf.not_valid_after_utc,
        )
    return None


INFO: Final = ProductInfo(
    name=NAME,
    display_name="Tencent Cloud WAF (SaaS protected domains)",
    api_docs="https://cloud.tencent.com/document/api/627/94309",
    permissions=PERMISSIONS,
    # WAF API pages: 20 req/s per action by default; SSL UploadCertificate 10 req/s (shared).
    rate_limits={FAMILY: 20.0, "ssl": 10.0},
    factory=TencentWaf,
    limited_per_action=True,
    certificate_store="tencent.ssl",
)
