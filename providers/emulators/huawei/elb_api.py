"""ELB v3 load balancers and listeners (regional, per project), and what a listener serves.

Vendor rules kept on purpose:

* Only listeners that terminate TLS take certificates (HTTPS; TERMINATED_HTTPS on shared load
  balancers; TLS and QUIC); asking an HTTP or TCP listener to hold one is refused (ELB.8902).
* UpdateListener changes only the fields sent: ``default_tls_container_ref`` alone keeps the
  SNI list; ``sni_container_refs`` replaces the whole SNI list.
* SNI certificates must carry a ``domain``, and no domain may appear on two SNI certificates
  of one listener (at most 200 domains in all). An HTTPS listener always keeps a default
  certificate.
* Referenced certificates must exist in the same project (404 ELB.8904).

A listener serves, per SNI hostname, the SNI certificate whose domain names it, and its
default certificate otherwise; :func:`served_hostnames` gives that map for the TLS edge.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from providers.emulators.huawei.context import (
    CallContext,
    Route,
    filtered,
    marker_page,
    route,
)
from providers.emulators.huawei.elb_certificates import invalid, not_found
from providers.emulators.huawei.state import (
    ElbCertificate,
    Listener,
    LoadBalancer,
    Project,
    elb_time,
)

TLS_PROTOCOLS: Final = frozenset({"HTTPS", "TERMINATED_HTTPS", "TLS", "QUIC"})
MAX_SNI_DOMAINS: Final = 200


def list_load_balancers(ctx: CallContext) -> tuple[int, dict[str, Any]]:
    project = ctx.elb_project()
    found = filtered(
        project.loadbalancers.values(),
        ctx.query,
        {"id": lambda lb: lb.loadbalancer_id, "name": lambda lb: lb.name},
    )
    ids = [lb.loadbalancer_id for lb in found]
    window, page_info = marker_page(ids, ctx.query, invalid=invalid)
    shown = [_lb_view(project, lb) for lb in found[window]]
    return 200, {"loadbalancers": shown, "page_info": page_info}


def list_listeners(ctx: CallContext) -> tuple[int, dict[str, Any]]:
    project = ctx.elb_project()
    filters: dict[str, Callable[[Listener], str]] = {
        "id": lambda item: item.listener_id,
        "name": lambda item: item.name,
        "loadbalancer_id": lambda item: item.loadbalancer_id,
        "protocol": lambda item: item.protocol,
        "protocol_port": lambda item: str(item.port),
        "default_tls_container_ref": lambda item: item.default_tls_container_ref or "",
    }
    found = filtered(project.listeners.values(), ctx.query, filters)
    ids = [item.listener_id for item in found]
    window, page_info = marker_page(ids, ctx.query, invalid=invalid)
    shown = [listener_view(project, item) for item in found[window]]
    return 200, {"listeners": shown, "page_info": page_info}


def update_listener(ctx: CallContext) -> tuple[int, dict[str, Any]]:
    project = ctx.elb_project()
    listener_id = ctx.path["listener_id"]
    listener = project.listeners.get(listener_id)
    if listener is None:
        raise not_found("listener", listener_id)
    sent = ctx.body.get("listener")
    if not isinstance(sent, dict):
        raise invalid("The request body must hold a listener object.")
    touches_certificates = "default_tls_container_ref" in sent or "sni_container_refs" in sent
    if touches_certificates and listener.protocol not in TLS_PROTOCOLS:
        raise invalid(
            f"Listener {listener_id} uses protocol {listener.protocol}; only HTTPS, "
            "TERMINATED_HTTPS, TLS and QUIC listeners can hold certificates."
        )
    default = listener.default_tls_container_ref
    if "default_tls_container_ref" in sent:
        default = _default_ref(project, sent["default_tls_container_ref"])
    sni = list(listener.sni_container_refs)
    if "sni_container_refs" in sent:
        sni = _sni_refs(project, sent["sni_container_refs"])
    if listener.protocol in TLS_PROTOCOLS and default is None:
        raise invalid("default_tls_container_ref is required for this listener's protocol.")
    listener.default_tls_container_ref, listener.sni_container_refs = default, sni
    if isinstance(sent.get("name"), str):
        listener.name = sent["name"]
    if isinstance(sent.get("http2_enable"), bool):
        listener.http2_enable = sent["http2_enable"]
    if sent.get("sni_match_algo") in ("wildcard", "longest_suffix"):
        listener.sni_match_algo = sent["sni_match_algo"]
    listener.updated = ctx.now
    ctx.sync_listener(project, listener)
    return 200, {"listener": listener_view(project, listener)}


def served_hostnames(project: Project, listener: Listener) -> dict[str, ElbCertificate]:
    """Hostname -> certificate this listener presents for it (SNI certificates win)."""
    served: dict[str, ElbCertificate] = {}
    default = project.certificates.get(listener.default_tls_container_ref or "")
    if default is not None and listener.protocol in TLS_PROTOCOLS:
        served.update(dict.fromkeys(default.hostnames, default))
    for ref in listener.sni_container_refs:
        cert = project.certificates.get(ref)
        if cert is not None:
            served.update(dict.fromkeys(cert.hostnames, cert))
    return served


def listener_view(project: Project, listener: Listener) -> dict[str, Any]:
    return {
        "id": listener.listener_id,
        "name": listener.name,
        "description": "",
        "protocol": listener.protocol,
        "protocol_port": listener.port,
        "loadbalancers": [{"id": listener.loadbalancer_id}],
        "default_tls_container_ref": listener.default_tls_container_ref,
        "sni_container_refs": list(listener.sni_container_refs),
        "sni_match_algo": listener.sni_match_algo,
        "http2_enable": listener.http2_enable,
        "admin_state_up": True,
        "project_id": project.project_id,
        "created_at": elb_time(listener.created),
        "updated_at": elb_time(listener.updated),
        "default_pool_id": None,
        "client_ca_tls_container_ref": None,
        "tls_ciphers_policy": "tls-1-2" if listener.protocol in TLS_PROTOCOLS else None,
        "tags": [],
    }


def _lb_view(project: Project, lb: LoadBalancer) -> dict[str, Any]:
    listeners = [
        {"id": item.listener_id}
        for item in project.listeners.values()
        if item.loadbalancer_id == lb.loadbalancer_id
    ]
    return {
        "id": lb.loadbalancer_id,
        "name": lb.name,
        "description": "",
        "provisioning_status": "ACTIVE",
        "operating_status": "ONLINE",
        "admin_state_up": True,
        "provider": "vlb",
        "listeners": listeners,
        "pools": [],
        "project_id": project.project_id,
        "vip_address": lb.vip_address,
        "created_at": elb_time(lb.created),
        "updated_at": elb_time(lb.created),
        "guaranteed": True,
        "availability_zone_list": [f"{project.region}a"],
    }


def _certificate(project: Project, ref: object) -> ElbCertificate:
    if not isinstance(ref, str) or not ref:
        raise invalid("Certificate references must be certificate ids.")
    cert = project.certificates.get(ref)
    if cert is None:
        raise not_found("certificate", ref)
    if cert.cert_type != "server":
        raise invalid(f"Certificate {ref} is not a server certificate.")
    return cert


def _default_ref(project: Project, ref: object) -> str | None:
    if ref is None:
        return None
    return _certificate(project, ref).certificate_id


def _sni_refs(project: Project, refs: object) -> list[str]:
    if not isinstance(refs, list):
        raise invalid("sni_container_refs must be a list of certificate ids.")
    seen: set[str] = set()
    for ref in refs:
        cert = _certificate(project, ref)
        if not cert.domain:
            raise invalid(f"SNI certificate {ref} must have a domain.")
        names = set(cert.hostnames)
        if names & seen:
            raise invalid(f"SNI certificate {ref} repeats a domain of another SNI certificate.")
        seen |= names
    if len(seen) > MAX_SNI_DOMAINS:
        raise invalid(f"SNI certificates may name at most {MAX_SNI_DOMAINS} domains in all.")
    return [str(ref) for ref in refs]


_LISTENERS: Final = "/v3/{project_id}/elb/listeners"
ROUTES: Final[tuple[Route, ...]] = (
    route(
        "GET",
        "/v3/{project_id}/elb/loadbalancers",
        service="elb",
        operation="ListLoadBalancers",
        handler=list_load_balancers,
        shape="flat",
    ),
    route(
        "GET",
        _LISTENERS,
        service="elb",
        operation="ListListeners",
        handler=list_listeners,
        shape="flat",
    ),
    route(
        "PUT",
        _LISTENERS + "/{listener_id}",
        service="elb",
        operation="UpdateListener",
        handler=update_listener,
        shape="flat",
        target="listener_id",
    ),
)
