"""What holds a certificate on a CLB HTTPS listener, and how certfleet names it.

A listener with SNI **off** serves one certificate for every domain of its rules, so it is one
resource whose hostnames are *all* those domains: a certificate must cover every one of them,
or some of them break. With SNI **on** each rule domain has its own certificate: one resource
per domain.

native ids are ``lb-xxx/lbl-yyy`` (a listener) and ``lb-xxx/lbl-yyy/www.a.com`` (one SNI domain):
stable (the vendor's ids never change), unique in the account (LoadBalancerIds are unique
across regions) and enough to address the change without a look-up (the region travels in
:attr:`Resource.region`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from providers.base import Resource, ServedCert
from providers.errors import Permanent

NAME: Final = "tencent.clb"
UNIDIRECTIONAL: Final = "UNIDIRECTIONAL"
MUTUAL: Final = "MUTUAL"


@dataclass(frozen=True)
class ListenerRef:
    """A listener, or one SNI domain of it."""

    load_balancer_id: str
    listener_id: str
    domain: str | None = None

    @property
    def native_id(self) -> str:
        parts = (self.load_balancer_id, self.listener_id, *((self.domain,) if self.domain else ()))
        return "/".join(parts)

    @classmethod
    def parse(cls, native_id: str) -> ListenerRef:
        """The reference a native id names; Permanent if it is not one of ours."""
        parts = native_id.split("/", 2)
        if len(parts) < 2 or not parts[0].startswith("lb-") or not parts[1].startswith("lbl-"):
            raise Permanent(f"{native_id!r} is not a tencent.clb listener id (lb-…/lbl-…[/domain])")
        return cls(parts[0], parts[1], parts[2].lower() if len(parts) == 3 else None)


def listener_resources(
    load_balancer: Mapping[str, Any], listener: Mapping[str, Any], region: str
) -> Iterator[Resource]:
    """The resources of one HTTPS listener as DescribeListeners shows it."""
    lb_id, listener_id = str(load_balancer["LoadBalancerId"]), str(listener["ListenerId"])
    attributes = {
        "load_balancer_id": lb_id,
        "load_balancer_name": str(load_balancer.get("LoadBalancerName") or ""),
        "listener_id": listener_id,
        "listener_name": str(listener.get("ListenerName") or ""),
        "port": str(listener.get("Port") or ""),
        "sni": "on" if sni_on(listener) else "off",
    }
    domains = rule_domains(listener)
    if not sni_on(listener):
        yield Resource(
            provider="tencent",
            product=NAME,
            native_id=ListenerRef(lb_id, listener_id).native_id,
            hostnames=tuple(domains),
            served=_served(listener.get("Certificate")),
            region=region,
            # Without a rule domain there is no name to ask for in a handshake.
            https_endpoint=bool(domains),
            attributes=attributes,
        )
        return
    for domain in domains:
        yield Resource(
            provider="tencent",
            product=NAME,
            native_id=ListenerRef(lb_id, listener_id, domain).native_id,
            hostnames=(domain,),
            served=_served(domain_certificate(listener, domain)),
            region=region,
            attributes={**attributes, "domain": domain},
        )


def certificate_block(listener: Mapping[str, Any], ref: ListenerRef) -> Mapping[str, Any]:
    """The certificate block ``ref`` holds now ({} if none); Permanent if ``ref`` is stale.

    A listener whose SNI switch changed since discovery holds its certificates elsewhere now.
    Binding the old way would fail (listener change on an SNI listener) or, worse, "succeed"
    and bind nothing (a domain certificate on a listener without SNI is accepted and ignored),
    so the resource must be discovered again instead.
    """
    sni = sni_on(listener)
    if ref.domain is None:
        if sni:
            raise Permanent(
                f"listener {ref.native_id} has SNI on now: its certificates are per domain; "
                "discover it again to deploy to its domains"
            )
        block = listener.get("Certificate")
        return block if isinstance(block, Mapping) else {}
    if not sni:
        raise Permanent(
            f"listener {ref.load_balancer_id}/{ref.listener_id} has SNI off now: one "
            f"certificate serves all its domains, so {ref.domain} cannot get its own; "
            "discover it again to deploy to the listener"
        )
    if ref.domain not in rule_domains(listener):
        raise Permanent(f"{ref.domain} is no longer a domain of listener {ref.listener_id}")
    return domain_certificate(listener, ref.domain)


def certificate_input(current: Mapping[str, Any], cert_id: str) -> dict[str, str]:
    """The CertificateInput that puts ``cert_id`` in place and keeps client authentication.

    The vendor replaces the whole block: sent without SSLMode/CertCaId, a mutual-TLS listener
    would silently fall back to one-way TLS.
    """
    mode = str(current.get("SSLMode") or UNIDIRECTIONAL)
    block = {"SSLMode": mode, "CertId": cert_id}
    if mode == MUTUAL and current.get("CertCaId"):
        block["CertCaId"] = str(current["CertCaId"])
    return block


def sni_on(listener: Mapping[str, Any]) -> bool:
    return str(listener.get("SniSwitch") or 0) == "1"


def rule_domains(listener: Mapping[str, Any]) -> list[str]:
    """Each rule domain once, lower-case, in rule order (several URLs share a domain)."""
    found: dict[str, None] = {}
    for rule in listener.get("Rules") or []:
        names = [rule.get("Domain"), *(rule.get("Domains") or [])]
        for name in names:
            if isinstance(name, str) and name:
                found.setdefault(name.strip().lower(), None)
    return list(found)


def domain_certificate(listener: Mapping[str, Any], domain: str) -> Mapping[str, Any]:
    for rule in listener.get("Rules") or []:
        names = {str(n).lower() for n in [rule.get("Domain"), *(rule.get("Domains") or [])] if n}
        block = rule.get("Certificate")
        if domain in names and isinstance(block, Mapping):
            return block
    return {}


def _served(block: object) -> ServedCert | None:
    if not isinstance(block, Mapping) or not block.get("CertId"):
        return None
    return ServedCert(remote_id=str(block["CertId"]))
