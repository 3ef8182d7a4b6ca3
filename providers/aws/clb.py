"""``aws.clb``: certificates on Classic Load Balancer HTTPS/SSL listeners.

A resource is one listener, ``native_id`` = ``<region>/<load balancer name>:<port>`` (Classic
load balancers are named uniquely per account and region, and a listener by its port). Like
ELBv2 listeners, its hostnames are the names on the certificate it serves now.

A Classic listener has exactly one certificate, set with SetLoadBalancerListenerSSLCertificate.
Certificates go to IAM (UploadServerCertificate, named after the bundle's alias, so an earlier
upload is found by name), Classic ELB's traditional store that works in every region; an account
with ``options["clb_certificate_store"] = "acm"`` imports into ACM in the load balancer's region
instead. IAM is eventually consistent: a certificate uploaded a moment ago can still be unknown
to ELB, so CertificateNotFound right after our own upload is retried, not failed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from providers.aws import limits
from providers.aws.api import AwsApi
from providers.aws.certificates import (
    ACM_PERMISSIONS,
    IAM_PERMISSIONS,
    CertificateFacts,
    CertificateStore,
)
from providers.aws.client import GLOBAL_REGION, regions_of
from providers.base import (
    Account,
    CallHooks,
    CertificateBundle,
    NoHooks,
    ProductInfo,
    Resource,
    ServedCert,
)
from providers.errors import Permanent, Transient

NAME: Final = "aws.clb"
PERMISSIONS: Final = (
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:SetLoadBalancerListenerSSLCertificate",
    *IAM_PERMISSIONS,
    "iam:ListServerCertificates",  # the credential check's harmless read
    *ACM_PERMISSIONS,
)
PAGE_SIZE: Final = 400  # DescribeLoadBalancers' maximum PageSize
_SECURE: Final = frozenset({"HTTPS", "SSL"})
_STORES: Final = frozenset({"iam", "acm"})


class AwsClassicElb:
    """The adapter; see ARCHITECTURE.md for the contract."""

    name = NAME

    def __init__(self, hooks: CallHooks | None = None, *, page_size: int = PAGE_SIZE) -> None:
        if not 1 <= page_size <= PAGE_SIZE:
            raise ValueError(f"DescribeLoadBalancers takes PageSize from 1 to {PAGE_SIZE}")
        self._api = AwsApi(hooks or NoHooks(), PERMISSIONS)
        self._certificates = CertificateStore(self._api)
        self._page_size = page_size

    def check_credentials(self, account: Account) -> None:
        """One read of Classic ELB in the first region, and one of the certificate store."""
        region = regions_of(account)[0]
        self._elb(account, region, limits.ELB_READ, "DescribeLoadBalancers", PageSize=1)
        if _store(account) == "iam":
            self._api(
                account, "iam", GLOBAL_REGION, limits.IAM_READ, "ListServerCertificates", MaxItems=1
            )
        else:
            self._api(account, "acm", region, limits.ACM_LIST, "ListCertificates", MaxItems=1)

    def discover(self, account: Account) -> Iterator[Resource]:
        """Every HTTPS/SSL listener of every Classic load balancer, in every region."""
        facts: dict[str, CertificateFacts | None] = {}
        for region in regions_of(account):
            marker = ""
            while True:
                paging = {"Marker": marker} if marker else {}
                page = self._elb(
                    account,
                    region,
                    limits.ELB_READ,
                    "DescribeLoadBalancers",
                    PageSize=self._page_size,
                    **paging,
                )
                for balancer in page.get("LoadBalancerDescriptions") or []:
                    yield from self._resources(account, region, balancer, facts)
                marker = str(page.get("NextMarker") or "")
                if not marker:
                    break

    def ensure_certificate(
        self, account: Account, cert: CertificateBundle, region: str | None
    ) -> str:
        """Our IAM upload of ``cert`` (or ACM import in ``region``), made once."""
        if _store(account) == "iam":
            return self._certificates.ensure_iam(account, cert)
        if not region:
            raise Permanent(f"{NAME} needs the load balancer's region to import into ACM")
        return self._certificates.ensure_acm(account, cert, region)

    def bind(self, account: Account, resource: Resource, remote_cert_id: str) -> bool:
        """Set the listener's certificate; False (no change) if it already is that one."""
        region, name, port = parse_native_id(resource.native_id)
        with self._api.hooks.exclusive(account, f"lb:{region}/{name}"):
            if self._certificate_of(account, region, name, port) == remote_cert_id:
                return False
            try:
                self._elb(
                    account,
                    region,
                    limits.ELB_WRITE,
                    "SetLoadBalancerListenerSSLCertificate",
                    LoadBalancerName=name,
                    LoadBalancerPort=port,
                    SSLCertificateId=remote_cert_id,
                )
            except Permanent as failure:
                if failure.vendor_code != "CertificateNotFound" or ":iam::" not in remote_cert_id:
                    raise
                raise Transient(
                    f"ELB does not see IAM certificate {remote_cert_id} yet (IAM propagates "
                    f"within seconds): {failure.reason}",
                    vendor_code=failure.vendor_code,
                ) from None
        return True

    def current(self, account: Account, resource: Resource) -> ServedCert:
        """The certificate the listener has now."""
        region, name, port = parse_native_id(resource.native_id)
        return ServedCert(remote_id=self._certificate_of(account, region, name, port) or None)

    # -- helpers ---------------------------------------------------------------------------

    def _resources(
        self,
        account: Account,
        region: str,
        balancer: Mapping[str, Any],
        facts: dict[str, CertificateFacts | None],
    ) -> Iterator[Resource]:
        for item in balancer.get("ListenerDescriptions") or []:
            listener = item.get("Listener") or {}
            if listener.get("Protocol") not in _SECURE:
                continue
            arn = str(listener.get("SSLCertificateId") or "")
            if arn and arn not in facts:
                facts[arn] = self._certificates.facts(account, arn)
            known = facts.get(arn)
            port = int(listener["LoadBalancerPort"])
            name = str(balancer["LoadBalancerName"])
            yield Resource(
                provider="aws",
                product=NAME,
                native_id=native_id(region, name, port),
                hostnames=known.names if known else (),
                served=(known.served(arn) if known else ServedCert(arn)) if arn else None,
                region=region,
                https_endpoint=port == 443,
                attributes={
                    "load_balancer_name": name,
                    "port": str(port),
                    "protocol": str(listener.get("Protocol")),
                    "dns_name": str(balancer.get("DNSName") or ""),
                },
            )

    def _certificate_of(self, account: Account, region: str, name: str, port: int) -> str:
        described = (
            self._elb(
                account, region, limits.ELB_READ, "DescribeLoadBalancers", LoadBalancerNames=[name]
            ).get("LoadBalancerDescriptions")
            or []
        )
        for balancer in described:
            for item in balancer.get("ListenerDescriptions") or []:
                listener = item.get("Listener") or {}
                if int(listener.get("LoadBalancerPort") or 0) == port:
                    return str(listener.get("SSLCertificateId") or "")
        raise Permanent(f"Classic load balancer {name} has no listener on port {port} now")

    def _elb(
        self, account: Account, region: str, family: str, action: str, **params: Any
    ) -> dict[str, Any]:
        return self._api(account, "elb", region, family, action, **params)


def native_id(region: str, name: str, port: int) -> str:
    """``<region>/<name>:<port>``: a Classic listener's certfleet id."""
    return f"{region}/{name}:{port}"


def parse_native_id(value: str) -> tuple[str, str, int]:
    """Inverse of :func:`native_id`; Permanent for anything else."""
    region, _, rest = value.partition("/")
    name, _, port = rest.rpartition(":")
    if not (region and name and port.isdigit()):
        raise Permanent(f"{value!r} is not a Classic load balancer listener id")
    return region, name, int(port)


def _store(account: Account) -> str:
    store = account.options.get("clb_certificate_store", "iam").lower()
    if store not in _STORES:
        raise Permanent(f"account {account.key}: clb_certificate_store must be iam or acm")
    return store


INFO: Final = ProductInfo(
    name=NAME,
    display_name="AWS Classic Load Balancer (HTTPS/SSL listeners)",
    api_docs="https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_SetLoadBalancerListenerSSLCertificate.html",
    permissions=PERMISSIONS,
    rate_limits=limits.rates(
        limits.ELB_READ,
        limits.ELB_WRITE,
        limits.IAM_READ,
        limits.IAM_WRITE,
        limits.ACM_IMPORT,
        limits.ACM_LIST,
        limits.ACM_READ,
    ),
    factory=AwsClassicElb,
)
