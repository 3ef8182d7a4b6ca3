"""Listeners of Application and Network Load Balancers (ELBv2), shared by ``aws.alb``/``aws.nlb``.

Resources, per HTTPS (ALB) or TLS (NLB) listener, in every region of the account:

- the listener itself (``native_id`` = listener ARN): its *default* certificate, changed with
  ModifyListener; served to clients that send no SNI or match no other certificate;
- one resource per SNI slot (``<listener ARN>#sni=<name>``): the certificates in the listener's
  certificate list whose first name is ``<name>``. A bind adds the new certificate
  (AddListenerCertificates) and then removes only that slot's old ones
  (RemoveListenerCertificates), so every other SNI certificate stays and no client ever meets
  a listener without a matching certificate.

Hostnames: AWS does not record which names point at a load balancer (that lives in DNS, often
in another account), but a listener can only serve TLS correctly for the names its certificate
covers, and renewals must go where the expiring certificate is. So a resource's hostnames are
the names on the certificate it serves now, read from the certificate itself (ACM
GetCertificate or IAM GetServerCertificate).

Certificates are imported into ACM in the load balancer's own region (ELB's rule). Changes to
one load balancer are serialised fleet-wide through ``hooks.exclusive("lb:<arn>")``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from providers.aws import limits
from providers.aws.api import AwsApi
from providers.aws.certificates import ACM_PERMISSIONS, CertificateFacts, CertificateStore
from providers.aws.client import regions_of
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

PAGE_SIZE: Final = 400  # DescribeLoadBalancers/DescribeListeners' maximum PageSize
ELBV2_PERMISSIONS: Final = (
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:AddListenerCertificates",
    "elasticloadbalancing:RemoveListenerCertificates",
    *ACM_PERMISSIONS,
    "iam:GetServerCertificate",  # to read listeners that still serve IAM certificates
)
SNI_MARK: Final = "#sni="
_API_DOCS: Final = (
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyListener.html"
)


@dataclass(frozen=True)
class Flavour:
    """What tells an ALB adapter from an NLB adapter."""

    product: str  # registry name
    balancer_type: str  # DescribeLoadBalancers' Type
    protocol: str  # the listener protocol that carries certificates


class ElbV2Listeners:
    """The adapter for one flavour; see ARCHITECTURE.md for the contract.

    ``page_size`` (1-400) is the PageSize of DescribeLoadBalancers and DescribeListeners;
    ``sni=False`` lists listeners' default certificates only (one call fewer per listener).
    """

    flavour: Flavour

    def __init__(
        self, hooks: CallHooks | None = None, *, page_size: int = PAGE_SIZE, sni: bool = True
    ) -> None:
        if not 1 <= page_size <= PAGE_SIZE:
            raise ValueError(f"ELBv2 takes PageSize from 1 to {PAGE_SIZE}")
        self.name = self.flavour.product
        self._api = AwsApi(hooks or NoHooks(), ELBV2_PERMISSIONS)
        self._certificates = CertificateStore(self._api)
        self._page_size = page_size
        self._sni = sni

    def check_credentials(self, account: Account) -> None:
        """One read of ELBv2 and one of ACM, in the account's first region."""
        region = regions_of(account)[0]
        self._elb(account, region, limits.ELBV2_READ, "DescribeLoadBalancers", PageSize=1)
        self._api(account, "acm", region, limits.ACM_LIST, "ListCertificates", MaxItems=1)

    def discover(self, account: Account) -> Iterator[Resource]:
        """Every listener of this flavour (and its SNI slots) in every region, all pages."""
        facts: dict[str, CertificateFacts | None] = {}
        for region in regions_of(account):
            for balancer in self._paged(account, region, "DescribeLoadBalancers", "LoadBalancers"):
                if balancer.get("Type") != self.flavour.balancer_type:
                    continue
                for listener in self._paged(
                    account,
                    region,
                    "DescribeListeners",
                    "Listeners",
                    LoadBalancerArn=balancer["LoadBalancerArn"],
                ):
                    if listener.get("Protocol") == self.flavour.protocol:
                        yield from self._listener_resources(
                            account, region, balancer, listener, facts
                        )

    def ensure_certificate(
        self, account: Account, cert: CertificateBundle, region: str | None
    ) -> str:
        """Our ACM import of ``cert`` in the load balancer's region, importing it once."""
        if not region:
            raise Permanent(f"{self.name} needs the load balancer's region to import into ACM")
        return self._certificates.ensure_acm(account, cert, region)

    def bind(self, account: Account, resource: Resource, remote_cert_id: str) -> bool:
        """Make the listener (or SNI slot) serve ``remote_cert_id``; False if it already does."""
        region, listener = _region(resource), _listener_arn(resource)
        balancer = resource.attributes.get("load_balancer_arn") or _balancer_arn(listener)
        with self._api.hooks.exclusive(account, f"lb:{balancer}"):
            default, sni = self._listener_certificates(account, region, listener)
            slot = resource.attributes.get("sni_name")
            if slot is None:
                if default == remote_cert_id:
                    return False
                self._elb(
                    account,
                    region,
                    limits.ELBV2_WRITE,
                    "ModifyListener",
                    ListenerArn=listener,
                    Certificates=[{"CertificateArn": remote_cert_id}],
                )
                return True
            return self._bind_sni(account, region, listener, slot, sni, remote=remote_cert_id)

    def current(self, account: Account, resource: Resource) -> ServedCert:
        """The default certificate, or what the SNI slot's name is served now (by SNI rules)."""
        region, listener = _region(resource), _listener_arn(resource)
        slot = resource.attributes.get("sni_name")
        if slot is None:
            described = self._elb(
                account, region, limits.ELBV2_READ, "DescribeListeners", ListenerArns=[listener]
            )["Listeners"]
            shown = described[0].get("Certificates") if described else None
            return ServedCert(remote_id=str(shown[0]["CertificateArn"]) if shown else None)
        default, sni = self._listener_certificates(account, region, listener)
        facts = {arn: self._certificates.facts(account, arn) for arn in [default, *sni]}
        return ServedCert(remote_id=_chosen_for(slot, default, sni, facts))

    # -- helpers ---------------------------------------------------------------------------

    def _listener_resources(
        self,
        account: Account,
        region: str,
        balancer: Mapping[str, Any],
        listener: Mapping[str, Any],
        facts: dict[str, CertificateFacts | None],
    ) -> Iterator[Resource]:
        shown = listener.get("Certificates") or []
        default = str(shown[0]["CertificateArn"]) if shown else ""
        sni: list[str] = []
        if self._sni:
            default, sni = self._listener_certificates(account, region, listener["ListenerArn"])
        for arn in [default, *sni]:
            if arn and arn not in facts:
                facts[arn] = self._certificates.facts(account, arn)
        base = _attributes(balancer, listener)
        yield self._resource(region, listener["ListenerArn"], base, [default], facts)
        for name, group in _sni_slots(sni, facts).items():
            attributes = {**base, "role": "sni", "sni_name": name}
            native_id = f"{listener['ListenerArn']}{SNI_MARK}{name}"
            yield self._resource(region, native_id, attributes, group, facts)

    def _resource(
        self,
        region: str,
        native_id: str,
        attributes: dict[str, str],
        certificates: list[str],
        facts: Mapping[str, CertificateFacts | None],
    ) -> Resource:
        served = None
        if certificates and certificates[0]:
            known = facts.get(certificates[0])
            served = known.served(certificates[0]) if known else ServedCert(certificates[0])
        described = [facts.get(arn) for arn in certificates]
        names = [name for known in described if known for name in known.names]
        return Resource(
            provider="aws",
            product=self.name,
            native_id=native_id,
            hostnames=tuple(dict.fromkeys(names)),
            served=served,
            region=region,
            https_endpoint=attributes.get("port") == "443",
            attributes=attributes,
        )

    def _bind_sni(
        self,
        account: Account,
        region: str,
        listener: str,
        slot: str,
        sni: list[str],
        *,
        remote: str,
    ) -> bool:
        facts = {arn: self._certificates.facts(account, arn) for arn in sni}
        old = [arn for arn in _sni_slots(sni, facts).get(slot, []) if arn != remote]
        if remote in sni and not old:
            return False
        if remote not in sni:  # add first: the slot's names are never left uncovered
            self._elb(
                account,
                region,
                limits.ELBV2_WRITE,
                "AddListenerCertificates",
                ListenerArn=listener,
                Certificates=[{"CertificateArn": remote}],
            )
        if old:
            self._elb(
                account,
                region,
                limits.ELBV2_WRITE,
                "RemoveListenerCertificates",
                ListenerArn=listener,
                Certificates=[{"CertificateArn": arn} for arn in old],
            )
        return True

    def _listener_certificates(
        self, account: Account, region: str, listener: str
    ) -> tuple[str, list[str]]:
        """(default, SNI list) from DescribeListenerCertificates, all pages."""
        listed = self._paged(
            account, region, "DescribeListenerCertificates", "Certificates", ListenerArn=listener
        )
        default = next((str(c["CertificateArn"]) for c in listed if c.get("IsDefault")), "")
        sni = [str(c["CertificateArn"]) for c in listed if not c.get("IsDefault")]
        return default, [arn for arn in dict.fromkeys(sni) if arn != default]

    def _paged(
        self, account: Account, region: str, action: str, key: str, **params: Any
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        marker = ""
        while True:
            paging = {"Marker": marker} if marker else {}
            page = self._elb(
                account,
                region,
                limits.ELBV2_READ,
                action,
                PageSize=self._page_size,
                **params,
                **paging,
            )
            items.extend(page.get(key) or [])
            marker = str(page.get("NextMarker") or "")
            if not marker:
                return items

    def _elb(
        self, account: Account, region: str, family: str, action: str, **params: Any
    ) -> dict[str, Any]:
        return self._api(account, "elbv2", region, family, action, **params)


def product_info(adapter: type[ElbV2Listeners], display_name: str) -> ProductInfo:
    """The registry entry of one flavour: both call the same ELBv2 and ACM actions."""
    return ProductInfo(
        name=adapter.flavour.product,
        display_name=display_name,
        api_docs=_API_DOCS,
        permissions=ELBV2_PERMISSIONS,
        rate_limits=limits.rates(
            limits.ELBV2_READ,
            limits.ELBV2_WRITE,
            limits.ACM_IMPORT,
            limits.ACM_LIST,
            limits.ACM_READ,
        ),
        factory=adapter,
    )


def _sni_slots(
    sni: list[str], facts: Mapping[str, CertificateFacts | None]
) -> dict[str, list[str]]:
    """SNI certificates grouped by their first name (unreadable ones are left alone)."""
    slots: dict[str, list[str]] = {}
    for arn in sni:
        known = facts.get(arn)
        if known and known.names:
            slots.setdefault(known.names[0], []).append(arn)
    return slots


def _chosen_for(
    name: str, default: str, sni: list[str], facts: Mapping[str, CertificateFacts | None]
) -> str | None:
    """The certificate a listener presents for SNI ``name``: exact, then wildcard, else default."""
    candidates = [arn for arn in [default, *sni] if arn]
    for exact in (True, False):
        for arn in candidates:
            known = facts.get(arn)
            if known and any(_covers(n, name, exact) for n in known.names):
                return arn
    return default or None


def _covers(certificate_name: str, hostname: str, exact: bool) -> bool:
    if certificate_name == hostname:
        return True
    if exact or not certificate_name.startswith("*.") or "." not in hostname:
        return False
    return hostname.split(".", 1)[1] == certificate_name[2:]


def _attributes(balancer: Mapping[str, Any], listener: Mapping[str, Any]) -> dict[str, str]:
    return {
        "role": "default",
        "listener_arn": str(listener["ListenerArn"]),
        "load_balancer_arn": str(balancer["LoadBalancerArn"]),
        "load_balancer_name": str(balancer.get("LoadBalancerName") or ""),
        "dns_name": str(balancer.get("DNSName") or ""),
        "port": str(listener.get("Port") or ""),
    }


def _listener_arn(resource: Resource) -> str:
    return resource.attributes.get("listener_arn") or resource.native_id.split(SNI_MARK)[0]


def _balancer_arn(listener_arn: str) -> str:
    """``…:listener/app/name/lb-id/listener-id`` → ``…:loadbalancer/app/name/lb-id``."""
    return listener_arn.replace(":listener/", ":loadbalancer/", 1).rsplit("/", 1)[0]


def _region(resource: Resource) -> str:
    region = resource.region or _listener_arn(resource).split(":")[3]
    if not region:
        raise Permanent(f"{resource.native_id}: no region for this listener")
    return region
