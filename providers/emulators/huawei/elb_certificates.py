"""ELB v3 certificates (regional, per project): create, list, show, update in place, delete.

Vendor rules kept on purpose:

* CreateCertificate answers **201**. The vendor keeps no identity check: the same PEM can be
  uploaded any number of times, each a new id, so a client that retries blindly piles up copies
  (peers' complaint "old certificates piling up") — find an earlier upload first.
* ``domain`` is what the uploader declares (comma-separated, at most 100 names); it is what
  SNI matches on, and a certificate without one cannot be an SNI certificate.
* Responses show the private key while the project's "private key echo" switch is on, which is
  the vendor's default (``CreateCertificatePrivateKeyEcho`` in the SDK); off, it shows
  ``******``. Clients must keep these answers out of logs.
* UpdateCertificate changes the certificate in place: every listener using it follows.
* DeleteCertificate answers 409 while any listener uses the certificate.
* Listings page with ``marker``/``limit`` (see :func:`context.marker_page`) and filter exactly
  on repeated ``id``/``name``/``domain``/``fingerprint`` parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from cryptography import x509

from providers.emulators.huawei import errors
from providers.emulators.huawei.context import (
    CallContext,
    Route,
    filtered,
    marker_page,
    route,
    text_field,
)
from providers.emulators.huawei.errors import ApiError
from providers.emulators.huawei.state import (
    CertificateProblem,
    ElbCertificate,
    Listener,
    Project,
    elb_time,
    parse_pair,
    sha1_fingerprint,
    split_domains,
)
from providers.emulators.pki import common_name, dns_names, fingerprint

_BASE: Final = "/v3/{project_id}/elb/certificates"
_NAME: Final = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63}$")
_MASK: Final = "******"


def invalid(message: str) -> ApiError:
    return ApiError(400, errors.ELB_INVALID, message)


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, errors.ELB_NOT_FOUND, f"{kind} {ident} could not be found.")


def create_certificate(ctx: CallContext) -> tuple[int, dict[str, Any]]:
    project = ctx.elb_project()
    sent = _certificate_body(ctx)
    if (text_field(sent, "type") or "server") != "server":
        raise invalid("The emulator models server certificates only.")
    chain_pem = text_field(sent, "certificate") or ""
    key_pem = text_field(sent, "private_key") or ""
    chain = _validated(chain_pem, key_pem)
    cert = ElbCertificate(
        certificate_id=ctx.new_id(),
        name=_name(sent),
        chain_pem=chain_pem,
        key_pem=key_pem,
        chain=chain,
        domain=_domain(sent),
        created=ctx.now,
        updated=ctx.now,
        description=text_field(sent, "description") or "",
    )
    project.certificates[cert.certificate_id] = cert
    ctx.count_upload(fingerprint(chain[0]))
    return 201, {"certificate": view(project, cert)}


def list_certificates(ctx: CallContext) -> tuple[int, dict[str, Any]]:
    project = ctx.elb_project()
    filters: dict[str, Callable[[ElbCertificate], str]] = {
        "id": lambda c: c.certificate_id,
        "name": lambda c: c.name,
        "domain": lambda c: c.domain,
        "type": lambda c: c.cert_type,
        "fingerprint": lambda c: sha1_fingerprint(c.leaf),
        "common_name": lambda c: common_name(c.leaf),
    }
    found = filtered(project.certificates.values(), ctx.query, filters)
    window, page_info = marker_page([c.certificate_id for c in found], ctx.query, invalid=invalid)
    shown = [view(project, cert) for cert in found[window]]
    return 200, {"certificates": shown, "page_info": page_info}


def show_certificate(ctx: CallContext) -> tuple[int, dict[str, Any]]:
    project = ctx.elb_project()
    return 200, {"certificate": view(project, _stored(ctx))}


def update_certificate(ctx: CallContext) -> tuple[int, dict[str, Any]]:
    project = ctx.elb_project()
    cert = _stored(ctx)
    sent = _certificate_body(ctx)
    chain_pem = text_field(sent, "certificate")
    key_pem = text_field(sent, "private_key")
    if chain_pem is not None or key_pem is not None:
        chain_pem = chain_pem if chain_pem is not None else cert.chain_pem
        key_pem = key_pem if key_pem is not None else cert.key_pem
        cert.chain = _validated(chain_pem, key_pem)
        cert.chain_pem, cert.key_pem = chain_pem, key_pem
        ctx.count_upload(fingerprint(cert.leaf))
    if "name" in sent:
        cert.name = _name(sent)
    if "domain" in sent:
        cert.domain = _domain(sent)
    if isinstance(sent.get("description"), str):
        cert.description = sent["description"]
    cert.updated = ctx.now
    for listener in _users(project, cert):
        ctx.sync_listener(project, listener)
    return 200, {"certificate": view(project, cert)}


def delete_certificate(ctx: CallContext) -> tuple[int, dict[str, Any]]:
    project = ctx.elb_project()
    cert = _stored(ctx)
    for listener in _users(project, cert):
        raise ApiError(
            409,
            errors.ELB_CONFLICT,
            f"Certificate {cert.certificate_id} is being used by listener "
            f"{listener.listener_id} and cannot be deleted.",
        )
    del project.certificates[cert.certificate_id]
    return 204, {}


def view(project: Project, cert: ElbCertificate) -> dict[str, Any]:
    """A certificate as the vendor shows it (private key included while echo is on)."""
    return {
        "id": cert.certificate_id,
        "name": cert.name,
        "description": cert.description,
        "type": cert.cert_type,
        "domain": cert.domain,
        "certificate": cert.chain_pem,
        "private_key": cert.key_pem if project.private_key_echo else _MASK,
        "admin_state_up": True,
        "created_at": elb_time(cert.created),
        "updated_at": elb_time(cert.updated),
        "expire_time": elb_time(cert.leaf.not_valid_after_utc),
        "project_id": project.project_id,
        "common_name": common_name(cert.leaf),
        "fingerprint": sha1_fingerprint(cert.leaf),
        "subject_alternative_names": list(dns_names(cert.leaf)),
        "source": "",
        "scm_certificate_id": "",
        "enterprise_project_id": "0",
    }


def _certificate_body(ctx: CallContext) -> dict[str, Any]:
    sent = ctx.body.get("certificate")
    if not isinstance(sent, dict):
        raise invalid("The request body must hold a certificate object.")
    return sent


def _validated(chain_pem: str, key_pem: str) -> tuple[x509.Certificate, ...]:
    try:
        return parse_pair(chain_pem, key_pem)
    except CertificateProblem as problem:
        raise invalid(f"Invalid certificate or private key: {problem}") from None


def _name(sent: dict[str, Any]) -> str:
    name = text_field(sent, "name") or ""
    if len(name) > 255:
        raise invalid("name must be at most 255 characters long.")
    return name


def _domain(sent: dict[str, Any]) -> str:
    text = text_field(sent, "domain") or ""
    names = split_domains(text)
    if len(text) > 10000 or len(names) > 100 or not all(_NAME.match(name) for name in names):
        raise invalid("domain must be at most 100 valid domain names separated by commas.")
    return ",".join(names)


def _users(project: Project, cert: ElbCertificate) -> list[Listener]:
    """Listeners holding ``cert`` as default or SNI certificate."""
    return [
        listener
        for listener in project.listeners.values()
        if cert.certificate_id in (listener.default_tls_container_ref, *listener.sni_container_refs)
    ]


def _stored(ctx: CallContext) -> ElbCertificate:
    cert_id = ctx.path["certificate_id"]
    cert = ctx.elb_project().certificates.get(cert_id)
    if cert is None:
        raise not_found("certificate", cert_id)
    return cert


ROUTES: Final[tuple[Route, ...]] = (
    route(
        "POST",
        _BASE,
        service="elb",
        operation="CreateCertificate",
        handler=create_certificate,
        shape="flat",
    ),
    route(
        "GET",
        _BASE,
        service="elb",
        operation="ListCertificates",
        handler=list_certificates,
        shape="flat",
    ),
    route(
        "GET",
        _BASE + "/{certificate_id}",
        service="elb",
        operation="ShowCertificate",
        handler=show_certificate,
        shape="flat",
        target="certificate_id",
    ),
    route(
        "PUT",
        _BASE + "/{certificate_id}",
        service="elb",
        operation="UpdateCertificate",
        handler=update_certificate,
        shape="flat",
        target="certificate_id",
    ),
    route(
        "DELETE",
        _BASE + "/{certificate_id}",
        service="elb",
        operation="DeleteCertificate",
        handler=delete_certificate,
        shape="flat",
        target="certificate_id",
    ),
)
