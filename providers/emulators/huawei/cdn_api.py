"""CDN v2 (global, ``X-Domain-Id``): domain listing, full configuration read and write.

Vendor rules kept on purpose, because adapters must cope with them:

* ListDomains pages with ``page_size`` (1-10000, default 30) and ``page_number`` (1-65535,
  default 1) and answers ``total``; ``domain_name`` matches fuzzily unless ``exact_match``.
* The listing carries only ``https_status`` (0/1); the certificate is in the full
  configuration (ShowDomainFullConfig ``configs.https``: name, PEM body, expiry in ms — never
  the private key).
* CDN has no certificate store: UpdateDomainFullConfig takes ``certificate_value`` and
  ``private_key`` inline with ``certificate_source`` 0 (own certificate). The certificate must
  cover the domain (CDN.0406), parse (CDN.0403) and match its key (CDN.0405).
* The ``https`` block is replaced as a whole: fields not sent (HTTP/2, TLS versions, OCSP
  stapling) go back to their defaults, so a client must send back what it read. Top-level
  configuration items not sent are left alone. (Assumed from the API reference — "http2_status
  … 默认关闭", "tls_version … CDN默认开启TLS1.1/1.2/1.3" — and modelled strictly on purpose.)
* Locked domains refuse changes (CDN.0116); domains that are not online or configuring
  refuse them with CDN.0106; a domain of another account answers CDN.0108.

On success the certificate is served for the domain on the emulator's TLS edge.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from providers.emulators.huawei import errors
from providers.emulators.huawei.context import (
    CallContext,
    Route,
    boolean,
    integer,
    route,
    text_field,
    value,
)
from providers.emulators.huawei.errors import ApiError
from providers.emulators.huawei.state import (
    CdnDomain,
    CertificateProblem,
    default_https,
    epoch_ms,
    parse_pair,
)
from providers.emulators.pki import covers, dns_names, fingerprint

_HTTPS_FIELDS: Final = tuple(default_https())
_CHANGEABLE: Final = frozenset({"online", "configuring"})
_PROBLEM_CODES: Final = {
    "blank": errors.CDN_CERT_BLANK,
    "not_pem": errors.CDN_CERT_NOT_PEM,
    "key_mismatch": errors.CDN_CERT_KEY_MISMATCH,
}


def _invalid(message: str) -> ApiError:
    return ApiError(400, errors.CDN_PARAM_ERROR, message)


def list_domains(ctx: CallContext) -> tuple[int, dict[str, Any]]:
    size = integer(ctx.query, "page_size", default=30, low=1, high=10000, error=_invalid)
    number = integer(ctx.query, "page_number", default=1, low=1, high=65535, error=_invalid)
    wanted = (value(ctx.query, "domain_name") or "").lower()
    exact = boolean(ctx.query, "exact_match") is True
    status = value(ctx.query, "domain_status")
    found = [
        domain
        for domain in ctx.account.cdn_domains.values()
        if (not wanted or (domain.name == wanted if exact else wanted in domain.name))
        and (status is None or domain.status == status)
    ]
    start = (number - 1) * size
    page = found[start : start + size]
    return 200, {"total": len(found), "domains": [_brief(domain) for domain in page]}


def show_domain_full_config(ctx: CallContext) -> tuple[int, dict[str, Any]]:
    domain = _domain(ctx)
    configs = {
        "business_type": domain.business_type,
        "service_area": domain.service_area,
        "remark": "",
        "https": _https_view(domain),
        "sources": [_origin(domain)],
        "origin_protocol": "http",
        "ipv6_accelerate": 0,
        "origin_range_status": "off",
    }
    return 200, {"configs": configs}


def update_domain_full_config(ctx: CallContext) -> tuple[int, dict[str, Any]]:
    domain = _domain(ctx)
    if domain.locked:
        raise ApiError(400, errors.CDN_DOMAIN_LOCKED, "Acceleration domain names are locked.")
    if domain.status not in _CHANGEABLE:
        raise ApiError(
            400,
            errors.CDN_DOMAIN_STATE,
            "This operation is not supported by the domain name in the current state.",
        )
    configs = ctx.body.get("configs")
    if not isinstance(configs, dict):
        raise _invalid("configs must be an object.")
    https = configs.get("https")
    if https is not None:
        if not isinstance(https, dict):
            raise _invalid("configs.https must be an object.")
        domain.https = _apply_https(ctx, domain, https)
    for key in ("business_type", "service_area"):
        if isinstance(configs.get(key), str):
            setattr(domain, key, configs[key])
    domain.modified = ctx.now
    return 200, {}


def _apply_https(ctx: CallContext, domain: CdnDomain, sent: dict[str, Any]) -> dict[str, Any]:
    """The new HTTPS block: the vendor's defaults overlaid with what was sent."""
    https = default_https() | {k: copy.deepcopy(v) for k, v in sent.items() if k in _HTTPS_FIELDS}
    if https["https_status"] not in ("on", "off"):
        raise _invalid("https_status must be on or off.")
    if https["https_status"] == "off":
        ctx.unbind_edge(domain.name)
        return default_https()
    if https["certificate_source"] != 0 or https["certificate_type"] != "server":
        raise _invalid(
            "The emulator accepts own certificates only (certificate_source 0, type server)."
        )
    name = text_field(https, "certificate_name") or ""
    chain_pem = text_field(https, "certificate_value") or ""
    key_pem = text_field(https, "private_key") or ""
    if name and not 3 <= len(name) <= 64:
        raise _invalid("certificate_name must be 3 to 64 characters long.")
    try:
        chain = parse_pair(chain_pem, key_pem)
        if not name:
            raise CertificateProblem("blank", "The certificate name cannot be left blank.")
    except CertificateProblem as problem:
        raise ApiError(400, _PROBLEM_CODES[problem.kind], str(problem)) from None
    if not covers(dns_names(chain[0]), domain.name):
        raise ApiError(
            400, errors.CDN_CERT_DOMAIN_MISMATCH, "The certificate and domain name do not match."
        )
    ctx.count_upload(fingerprint(chain[0]))
    ctx.bind_edge(domain.name, chain_pem, key_pem)
    https["expire_time"] = epoch_ms(chain[0].not_valid_after_utc)
    return https


def _domain(ctx: CallContext) -> CdnDomain:
    name = ctx.path["domain_name"].strip().lower()
    domain = ctx.account.cdn_domains.get(name)
    if domain is not None:
        return domain
    if ctx.domain_owner(name) is not None:
        raise ApiError(
            400,
            errors.CDN_DOMAIN_OF_OTHER_TENANT,
            "The URL domain name is not the acceleration domain name of the current tenant.",
        )
    raise ApiError(400, errors.CDN_DOMAIN_NOT_FOUND, "The acceleration domain name does not exist.")


def _https_view(domain: CdnDomain) -> dict[str, Any]:
    """What ShowDomainFullConfig reveals: everything but the private key."""
    shown = {k: v for k, v in domain.https.items() if k != "private_key" and v is not None}
    return copy.deepcopy(shown)


def _origin(domain: CdnDomain) -> dict[str, Any]:
    host = domain.name.removeprefix("*.")
    return {"origin_type": "domain", "origin_addr": f"origin.{host}", "priority": 70}


def _brief(domain: CdnDomain) -> dict[str, Any]:
    return {
        "id": domain.domain_id,
        "domain_name": domain.name,
        "business_type": domain.business_type,
        "domain_status": domain.status,
        "cname": f"{domain.name.removeprefix('*.')}.c.cdnhwc1.com",
        "https_status": 1 if domain.https.get("https_status") == "on" else 0,
        "create_time": epoch_ms(domain.created),
        "modify_time": epoch_ms(domain.modified),
        "disabled": 0,
        "locked": 1 if domain.locked else 0,
        "service_area": domain.service_area,
        "enterprise_project_id": "0",
    }


ROUTES: Final[tuple[Route, ...]] = (
    route(
        "GET",
        "/v1.0/cdn/domains",
        service="cdn",
        operation="ListDomains",
        handler=list_domains,
        shape="nested",
    ),
    route(
        "GET",
        "/v1.1/cdn/configuration/domains/{domain_name}/configs",
        service="cdn",
        operation="ShowDomainFullConfig",
        handler=show_domain_full_config,
        shape="nested",
        target="domain_name",
    ),
    route(
        "PUT",
        "/v1.1/cdn/configuration/domains/{domain_name}/configs",
        service="cdn",
        operation="UpdateDomainFullConfig",
        handler=update_domain_full_config,
        shape="nested",
        target="domain_name",
    ),
)
