"""The CDN service (``cdn``, 2018-06-06): domain listings and UpdateDomainConfig's HTTPS part.

Vendor rules kept on purpose, because adapters must cope with them:

* DescribeDomains pages up to 1000 per call, DescribeDomainsConfig up to 100 (SDK model docs:
  "最大可设置为 1000" / "最大可设置为 100"); a filter takes at most 5 values (1 when fuzzy).
* UpdateDomainConfig replaces a complex field such as ``Https`` as a whole: attributes not
  sent go back to their defaults (API doc: "未传递的属性将使用默认值"), so a client that sends
  only ``Switch`` and ``CertInfo`` silently turns HTTP/2, HSTS … off.
* Binding needs a certificate of the same account that covers the domain; locked domains
  refuse changes. On success the certificate is put on the emulator's TLS edge.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from providers.emulators.pki import covers
from providers.emulators.tencent import errors
from providers.emulators.tencent.context import Action, ActionContext, paging, text
from providers.emulators.tencent.errors import ApiError
from providers.emulators.tencent.state import AccountState, CdnDomain, default_https, vendor_time

SERVICE: Final = "cdn"
VERSION: Final = "2018-06-06"
_FILTERS: Final = ("domain", "resourceId", "status", "https")


def describe_domains(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    offset, limit = paging(
        params, default=100, maximum=1000, clamp=False, code=errors.CDN_PARAM_ERROR
    )
    found = _filtered(ctx.account, params.get("Filters"))
    page = found[offset : offset + limit]
    return {"Domains": [_brief(ctx.account, d) for d in page], "TotalNumber": len(found)}


def describe_domains_config(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    offset, limit = paging(
        params, default=100, maximum=100, clamp=False, code=errors.CDN_PARAM_ERROR
    )
    found = _filtered(ctx.account, params.get("Filters"))
    page = found[offset : offset + limit]
    return {"Domains": [_detail(ctx.account, d) for d in page], "TotalNumber": len(found)}


def update_domain_config(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    name = text(params, "Domain", required=True)
    ctx.count_target(name)
    domain = ctx.account.domains.get(name.lower())
    if domain is None:
        raise ApiError(
            errors.CDN_HOST_NOT_EXISTS, "The domain was not found; check that it is correct."
        )
    if domain.locked:
        raise ApiError(errors.CDN_HOST_IS_LOCKED, "The domain is locked.")
    https = params.get("Https")
    if https is not None:
        if not isinstance(https, dict):
            raise ApiError(errors.CDN_PARAM_ERROR, "Https must be an object.")
        domain.https = _apply_https(ctx, domain, https)
    domain.updated = ctx.now
    return {}


def _apply_https(ctx: ActionContext, domain: CdnDomain, https: dict[str, Any]) -> dict[str, Any]:
    """The new HTTPS block: defaults, overlaid with what was sent (the vendor's semantics)."""
    result = default_https()
    result.update(
        {k: copy.deepcopy(v) for k, v in https.items() if k not in ("CertInfo", "SslStatus")}
    )
    result = {k: v for k, v in result.items() if v is not None} | {"CertInfo": None}
    switch = result.get("Switch")
    if switch not in ("on", "off"):
        raise ApiError(errors.CDN_PARAM_ERROR, "Https.Switch must be on or off.")
    if switch == "off":
        ctx.unbind_edge(domain.domain)
        return result
    cert_info = https.get("CertInfo") or {}
    cert_id = cert_info.get("CertId") if isinstance(cert_info, dict) else None
    if not cert_id:
        raise ApiError(
            errors.CDN_CERT_INFO_NOT_FOUND,
            "The certificate information does not exist or is invalid (the emulator needs "
            "CertInfo.CertId of a certificate hosted in SSL Certificate Service).",
        )
    cert = ctx.account.certificates.get(cert_id)
    if cert is None:  # also: a certificate of another account, which this one cannot see
        raise ApiError(
            errors.CDN_CERT_INFO_NOT_FOUND,
            "The certificate information does not exist or is invalid; check and retry.",
        )
    if not covers(cert.names, domain.domain):
        raise ApiError(
            errors.CDN_CERT_DOMAIN_MISMATCH,
            f"The HTTPS certificate does not match the domain {domain.domain}; check the "
            f"certificate's domain names ({', '.join(cert.names) or 'none'}).",
        )
    result["CertInfo"] = {"CertId": cert_id, "DeployTime": vendor_time(ctx.now)}
    ctx.bind_edge(domain.domain, cert.chain_pem, cert.key_pem)
    return result


def _filtered(account: AccountState, filters: object) -> list[CdnDomain]:
    domains = list(account.domains.values())
    if filters is None:
        return domains
    if not isinstance(filters, list):
        raise ApiError(errors.CDN_PARAM_ERROR, "Filters must be a list.")
    for item in filters:
        name, values, fuzzy = _filter_parts(item)
        domains = [d for d in domains if _matches(d, name, values, fuzzy)]
    return domains


def _filter_parts(item: object) -> tuple[str, list[str], bool]:
    if not isinstance(item, dict) or item.get("Name") not in _FILTERS:
        raise ApiError(
            errors.CDN_PARAM_ERROR, f"Filters[].Name must be one of {', '.join(_FILTERS)}."
        )
    values = item.get("Value") or []
    fuzzy = bool(item.get("Fuzzy"))
    if not isinstance(values, list) or len(values) > (1 if fuzzy else 5):
        raise ApiError(
            errors.CDN_PARAM_ERROR, "A filter takes at most 5 values (1 when Fuzzy is true)."
        )
    return str(item["Name"]), [str(v).lower() for v in values], fuzzy


def _matches(domain: CdnDomain, name: str, values: list[str], fuzzy: bool) -> bool:
    field = {
        "domain": domain.domain,
        "resourceId": domain.resource_id,
        "status": domain.status,
        "https": domain.https.get("Switch", "off"),
    }[name].lower()
    if fuzzy:
        return any(v in field for v in values)
    return field in values


def _brief(account: AccountState, domain: CdnDomain) -> dict[str, Any]:
    return {
        "ResourceId": domain.resource_id,
        "AppId": account.app_id,
        "Domain": domain.domain,
        "Cname": f"{domain.domain.lstrip('*.')}.cdn.dnsv1.com",
        "Status": domain.status,
        "ProjectId": 0,
        "ServiceType": "web",
        "CreateTime": vendor_time(domain.created),
        "UpdateTime": vendor_time(domain.updated),
        "Origin": {"Origins": [f"origin.{domain.domain.lstrip('*.')}"], "OriginType": "domain"},
        "Disable": "normal",
        "Area": "mainland",
        "Readonly": "global" if domain.locked else "normal",
        "Product": "cdn",
    }


def _detail(account: AccountState, domain: CdnDomain) -> dict[str, Any]:
    https = copy.deepcopy(domain.https)
    cert_info = https.get("CertInfo")
    if cert_info:
        cert = account.certificates.get(cert_info["CertId"])
        https["CertInfo"] = {
            "CertId": cert_info["CertId"],
            "CertName": (cert.alias or cert.domain) if cert else None,
            "ExpireTime": vendor_time(cert.leaf.not_valid_after_utc) if cert else None,
            "DeployTime": cert_info.get("DeployTime"),
            "Message": "",
        }
    https["SslStatus"] = "deployed" if https.get("Switch") == "on" else "closed"
    return _brief(account, domain) | {"Https": https}


ACTIONS: Final[dict[str, Action]] = {
    "DescribeDomains": describe_domains,
    "DescribeDomainsConfig": describe_domains_config,
    "UpdateDomainConfig": update_domain_config,
}
