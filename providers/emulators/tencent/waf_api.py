"""Web Application Firewall (``waf``, 2018-01-25): protected domains and their certificates.

Vendor rules kept on purpose, because adapters must cope with them:

* DescribeDomains lists SaaS (``sparta-waf``) and load-balancer (``clb-waf``) domains alike,
  without certificates. Its ``Offset`` is a *page number* (SDK model: "取Limit整数倍 … 最大值=
  Total/Limit向上取整"; Tencent's own tencentcloud-exporter pages with Offset 1, 2, 3 …), so a
  client that sends record offsets skips domains. 0 and 1 both give the first page here.
* Only SaaS domains hold a certificate (DescribeDomainDetailsSaas: CertType, SSLId, Cert); a
  clb-waf domain is served by its CLB listener, whose certificate is tencent.clb's business.
* ModifySpartaProtection changes what it is sent and keeps the rest (peers in production send
  only Domain, DomainId, InstanceID, CertType, SSLId). CertType 2 + SSLId binds a certificate
  hosted in SSL Certificate Service; it must cover the domain, and the domain needs an HTTPS port.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from providers.emulators.pki import covers, dns_names
from providers.emulators.tencent import errors, ssl_api
from providers.emulators.tencent.context import Action, ActionContext, text
from providers.emulators.tencent.errors import ApiError
from providers.emulators.tencent.state import WafDomain, vendor_time

SERVICE: Final = "waf"
VERSION: Final = "2018-01-25"
SAAS: Final = "sparta-waf"
_FILTERS: Final = {"Edition": "edition", "Domain": "domain", "DomainId": "domain_id"}
_FILTERS_BY_INSTANCE: Final = "InstanceId"
_MAX_LIMIT: Final = 100
_KEPT: Final = frozenset(  # settings ModifySpartaProtection may change (the rest is ignored)
    {
        "IsCdn",
        "UpstreamScheme",
        "HttpsUpstreamPort",
        "HttpsRewrite",
        "UpstreamType",
        "UpstreamDomain",
        "SrcList",
        "IsHttp2",
        "IsWebsocket",
        "LoadBalance",
        "IsKeepAlive",
        "TLSVersion",
        "CipherTemplate",
        "Note",
    }
)


def default_settings() -> dict[str, Any]:
    """A new SaaS domain's settings as DescribeDomainDetailsSaas shows them."""
    return {
        "IsCdn": 0,
        "UpstreamScheme": "http",
        "HttpsUpstreamPort": "80",
        "HttpsRewrite": 0,
        "UpstreamType": 0,
        "UpstreamDomain": "",
        "SrcList": ["203.0.113.10"],
        "IsHttp2": 0,
        "IsWebsocket": 0,
        "LoadBalance": 0,
        "IsKeepAlive": 1,
        "TLSVersion": 3,
        "CipherTemplate": 1,
        "Note": "",
    }


def describe_domains(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    page, limit = params.get("Offset", 0), params.get("Limit", 20)
    page, limit = (0 if page is None else page), (20 if limit is None else limit)
    if not isinstance(page, int) or not isinstance(limit, int) or page < 0 or limit < 1:
        raise ApiError(errors.INVALID_PARAMETER, "Offset and Limit must be non-negative integers.")
    limit = min(limit, _MAX_LIMIT)
    found = [d for d in ctx.account.waf_domains.values() if _matches(d, params.get("Filters"))]
    start = (max(page, 1) - 1) * limit
    return {
        "Total": len(found),
        "Domains": [_info(ctx, d) for d in found[start : start + limit]],
    }


def describe_domain_details_saas(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    domain = _saas_domain(ctx, params, instance_key="InstanceId", required=False)
    return {"DomainsPartInfo": _part_info(ctx, domain)}


def modify_sparta_protection(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    domain = _saas_domain(ctx, params, instance_key="InstanceID", required=True)
    ctx.count_target(domain.domain)
    instance = ctx.account.waf_instances[domain.instance_id]
    if instance.expired:
        raise ApiError(
            errors.WAF_OPERATION_DENIED,
            f"The WAF instance {instance.instance_id} has expired; renew it to change domains.",
        )
    ports = params.get("Ports")
    if ports is not None and not _valid_ports(ports):
        raise ApiError(errors.WAF_PORT_PARAMETER, "Ports must be a list of port objects.")
    serves_https = (
        any(p.get("Protocol") == "https" for p in ports) if ports else domain.serves_https
    )
    cert_type = params.get("CertType", domain.cert_type)
    binding = _binding(ctx, domain, cert_type, params, serves_https=serves_https)
    # Everything is validated: apply.
    if ports is not None:
        domain.ports = [dict(p) for p in ports]
    domain.settings.update({k: copy.deepcopy(v) for k, v in params.items() if k in _KEPT})
    domain.cert_type, domain.ssl_id, domain.own_cert, domain.own_key = binding
    domain.modified = ctx.now
    if domain.cert_type == 0:
        ctx.unbind_edge(domain.domain)
    elif domain.cert_type == 1:
        ctx.bind_edge(domain.domain, domain.own_cert, domain.own_key)
    else:
        hosted = ctx.account.certificates[domain.ssl_id]
        ctx.bind_edge(domain.domain, hosted.chain_pem, hosted.key_pem)
    return {}


def _binding(
    ctx: ActionContext,
    domain: WafDomain,
    cert_type: object,
    params: Mapping[str, Any],
    *,
    serves_https: bool,
) -> tuple[int, str, str, str]:
    """``(CertType, SSLId, own chain, own key)`` after the change, or the vendor's refusal."""
    if cert_type == 0:
        return 0, "", "", ""
    if cert_type not in (1, 2):
        raise ApiError(errors.INVALID_PARAMETER_VALUE, "CertType must be 0, 1 or 2.")
    if not serves_https:
        raise ApiError(
            errors.WAF_PORT_PARAMETER,
            f"{domain.domain} has no HTTPS port; add one before configuring a certificate.",
        )
    if cert_type == 1:
        chain_pem, key_pem = text(params, "Cert"), text(params, "PrivateKey")
        try:
            chain = ssl_api.parse_chain(chain_pem)
            ssl_api.check_key(chain[0], key_pem)
        except ApiError as error:
            raise ApiError(errors.WAF_CERTIFICATE_CHECK, error.message) from error
        _check_covers(dns_names(chain[0]), domain.domain)
        return 1, "", chain_pem, key_pem
    ssl_id = text(params, "SSLId", required=True)
    cert = ctx.account.certificates.get(ssl_id)
    if cert is None:
        raise ApiError(errors.WAF_QUERY_CERT_FAILED, f"Failed to query certificate {ssl_id}.")
    _check_covers(cert.names, domain.domain)
    return 2, ssl_id, "", ""


def _check_covers(names: tuple[str, ...], hostname: str) -> None:
    if not covers(names, hostname):
        raise ApiError(
            errors.WAF_CERTIFICATION_PARAMETER,
            f"The certificate does not match the domain {hostname} "
            f"(certificate names: {', '.join(names) or 'none'}).",
        )


def _saas_domain(
    ctx: ActionContext, params: Mapping[str, Any], *, instance_key: str, required: bool
) -> WafDomain:
    name = text(params, "Domain", required=required).lower()
    domain_id = text(params, "DomainId", required=required)
    instance_id = text(params, instance_key, required=required)
    if not name and not domain_id:
        raise ApiError(errors.MISSING_PARAMETER, "Domain or DomainId is required.")
    for domain in ctx.account.waf_domains.values():
        if (
            (not domain_id or domain.domain_id == domain_id)
            and (not name or domain.domain == name)
            and (not instance_id or domain.instance_id == instance_id)
            and domain.edition == SAAS
        ):
            return domain
    raise ApiError(
        errors.WAF_RESOURCE_NOT_FOUND, f"The SaaS WAF domain {name or domain_id} is not found."
    )


def _matches(domain: WafDomain, filters: object) -> bool:
    if filters is None:
        return True
    if not isinstance(filters, list):
        raise ApiError(errors.INVALID_PARAMETER, "Filters must be a list.")
    for item in filters:
        if not isinstance(item, dict) or not isinstance(item.get("Values"), list):
            raise ApiError(errors.INVALID_PARAMETER, "Each filter needs Name and Values.")
        name = item.get("Name")
        if name == _FILTERS_BY_INSTANCE:
            field = domain.instance_id
        elif name in _FILTERS:
            field = str(getattr(domain, _FILTERS[name]))
        else:
            raise ApiError(errors.INVALID_PARAMETER, f"Unsupported filter {name!r}.")
        values = [str(v).lower() for v in item["Values"]]
        exact = item.get("ExactMatch", True)
        hit = field.lower() in values if exact else any(v in field.lower() for v in values)
        if not hit:
            return False
    return True


def _valid_ports(ports: object) -> bool:
    return isinstance(ports, list) and all(
        isinstance(p, dict) and p.get("Port") and p.get("Protocol") in ("http", "https")
        for p in ports
    )


def _info(ctx: ActionContext, domain: WafDomain) -> dict[str, Any]:
    instance = ctx.account.waf_instances[domain.instance_id]
    return {
        "Domain": domain.domain,
        "DomainId": domain.domain_id,
        "InstanceId": domain.instance_id,
        "InstanceName": instance.name,
        "Edition": domain.edition,
        "Cname": f"{domain.domain.lstrip('*.')}.{domain.instance_id}.qcloudwzgj.com",
        "Region": "gz",
        "Status": 1,
        "Mode": 1,
        "Engine": 20,
        "Ports": copy.deepcopy(domain.ports),
        "State": 0,
        "AppId": ctx.account.app_id,
        "CreateTime": vendor_time(domain.created),
        "ModifyTime": vendor_time(domain.modified),
    }


def _part_info(ctx: ActionContext, domain: WafDomain) -> dict[str, Any]:
    instance = ctx.account.waf_instances[domain.instance_id]
    return {
        **copy.deepcopy(domain.settings),
        "Domain": domain.domain,
        "DomainId": domain.domain_id,
        "InstanceId": domain.instance_id,
        "InstanceName": instance.name,
        "Edition": domain.edition,
        "CertType": domain.cert_type,
        "SSLId": domain.ssl_id,
        "Cert": domain.own_cert,
        "PrivateKey": "",  # the vendor echoes own keys; the emulator keeps them out of logs
        "Ports": copy.deepcopy(domain.ports),
        "Mode": 1,
        "Engine": 20,
        "State": 0,
        "Cname": f"{domain.domain.lstrip('*.')}.{domain.instance_id}.qcloudwzgj.com",
        "CreateTime": vendor_time(domain.created),
        "ModifyTime": vendor_time(domain.modified),
    }


ACTIONS: Final[dict[str, Action]] = {
    "DescribeDomains": describe_domains,
    "DescribeDomainDetailsSaas": describe_domain_details_saas,
    "ModifySpartaProtection": modify_sparta_protection,
}
