"""How an ELB listener's certificates become certfleet resources: one per certificate slot.

A TLS-terminating listener holds one default certificate and any number of SNI certificates,
and presents, per SNI hostname, the SNI certificate whose ``domain`` names it, else the default.
certfleet needs each resource served by exactly one certificate — otherwise "bind" and "verify"
cannot agree — so a listener yields:

* ``<listener id>``: the default slot. Its hostnames are the default certificate's ``domain``
  (the names its uploader declared), else the certificate's own DNS names — less any name an
  SNI certificate of the listener claims, since the listener serves those by SNI.
* ``<listener id>/sni/<domain>``: one per SNI certificate, keyed by the first name of its
  ``domain`` (SNI certificates must have one, and the vendor keeps those names unique per
  listener). Its hostnames are that certificate's names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from providers.base import Resource, ServedCert
from providers.huawei import certificates

PRODUCT: Final = "huawei.elb"
TLS_PROTOCOLS: Final = ("HTTPS", "TERMINATED_HTTPS", "TLS", "QUIC")
HANDSHAKE_PROTOCOLS: Final = frozenset({"HTTPS", "TERMINATED_HTTPS", "TLS"})  # QUIC is UDP
SNI: Final = "/sni/"


def slots(
    listener: Mapping[str, Any],
    known: Mapping[str, Mapping[str, Any]],
    region: str,
    balancers: Mapping[str, str],
) -> Iterator[Resource]:
    """The default slot, then one resource per SNI certificate."""
    balancer = balancer_of(listener)
    attributes = {
        "loadbalancer_id": balancer,
        "loadbalancer_name": balancers.get(balancer, ""),
        "listener_name": str(listener.get("name") or ""),
        "protocol": str(listener.get("protocol") or ""),
        "port": str(listener.get("protocol_port") or ""),
    }
    sni_refs = list(listener.get("sni_container_refs") or [])
    by_sni = {name for ref in sni_refs for name in hostnames(known.get(ref, {}))}
    default = listener.get("default_tls_container_ref")
    yield _slot_resource(
        listener,
        str(listener["id"]),
        ref=default,
        # Names an SNI certificate claims are served by it, not by the default certificate.
        names=tuple(n for n in hostnames(known.get(default or "", {})) if n not in by_sni),
        known=known,
        region=region,
        attrs=attributes,
    )
    for ref in sni_refs:
        names = hostnames(known.get(ref, {}))
        if names:
            native_id = f"{listener['id']}{SNI}{names[0]}"
            yield _slot_resource(
                listener,
                native_id,
                ref=ref,
                names=names,
                known=known,
                region=region,
                attrs=attributes,
            )


def _slot_resource(
    listener: Mapping[str, Any],
    native_id: str,
    *,
    ref: str | None,
    names: tuple[str, ...],
    known: Mapping[str, Mapping[str, Any]],
    region: str,
    attrs: Mapping[str, str],
) -> Resource:
    info = known.get(ref or "", {})
    return Resource(
        provider="huawei",
        product=PRODUCT,
        native_id=native_id,
        hostnames=names,
        served=served(ref, info) if ref else None,
        region=region,
        https_endpoint=listener.get("protocol") in HANDSHAKE_PROTOCOLS,
        attributes={**attrs, "slot": "sni" if SNI in native_id else "default"},
    )


def served(ref: str, info: Mapping[str, Any]) -> ServedCert:
    leaf = certificates.leaf(info.get("certificate"))
    if leaf is None:
        return ServedCert(remote_id=ref)
    return ServedCert(
        remote_id=ref,
        fingerprint=certificates.fingerprint(leaf),
        not_after=certificates.not_after(leaf),
    )


def hostnames(info: Mapping[str, Any]) -> tuple[str, ...]:
    """A certificate's names on a listener: its declared ``domain``, else its own names."""
    declared = [n.strip().lower() for n in str(info.get("domain") or "").split(",") if n.strip()]
    if declared:
        return tuple(dict.fromkeys(declared))
    leaf = certificates.leaf(info.get("certificate"))
    if leaf is not None:
        return certificates.names(leaf)
    return tuple(str(n).lower() for n in info.get("subject_alternative_names") or [])


def certificate_refs(listener: Mapping[str, Any]) -> list[str]:
    default = listener.get("default_tls_container_ref")
    return ([default] if default else []) + list(listener.get("sni_container_refs") or [])


def balancer_of(listener: Mapping[str, Any]) -> str:
    balancers = listener.get("loadbalancers") or []
    return str(balancers[0].get("id")) if balancers else ""


def slot_of(native_id: str) -> tuple[str, str | None]:
    listener_id, _, sni_domain = native_id.partition(SNI)
    return listener_id, sni_domain or None
