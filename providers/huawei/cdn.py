"""``huawei.cdn``: certificates on Huawei Cloud CDN acceleration domains.

A resource is one acceleration domain, identified by its name (every configuration API takes
the name, and a name belongs to one account on the platform). Its served certificate is the
domain's ``configs.https`` block.

Huawei CDN keeps no certificate store: the certificate and its key travel *inline* with the
domain's configuration (UpdateDomainFullConfig, ``certificate_source`` 0). So
:meth:`HuaweiCdn.ensure_certificate` uploads nothing — it remembers the bundle in this process
and returns certfleet's deterministic id for it, ``certfleet-<first 16 hex of the leaf's
SHA-256>`` (the bundle's alias, also sent as ``certificate_name`` for people). The bind carries
the PEM. How the contract stays honest:

* *Identity is the served leaf, not a name.* :meth:`HuaweiCdn.current` derives the remote id
  from the PEM the domain serves (``certificate_value``), by the same rule. So the ids agree
  exactly when the same leaf is served — whoever configured it, whatever name it carries.
* *Bind is idempotent.* It reads the configuration first and makes no call when the domain
  already serves that leaf over HTTPS, so a retried deployment binds (and "uploads") once.
* *No silent half-binds.* A bind for an id whose PEM this process does not hold is a Permanent
  error unless the domain already serves it. Callers that keep vendor ids between attempts
  (the workers remember upload ids per certificate) must hand the certificate over instead:
  :meth:`HuaweiCdn.bind_certificate` binds a bundle in one step.

UpdateDomainFullConfig replaces the whole ``https`` block (fields not sent revert to their
defaults), so the bind sends back HTTP/2, TLS versions and OCSP stapling as read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from huaweicloudsdkcdn.v2 import (
    Configs,
    HttpPutBody,
    ListDomainsRequest,
    ModifyDomainConfigRequestBody,
    ShowDomainFullConfigRequest,
    UpdateDomainFullConfigRequest,
)

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
from providers.huawei import certificates, client

NAME: Final = "huawei.cdn"
PERMISSIONS: Final = ("CDN DomainReadOnlyAccess", "CDN DomainConfigureAccess")
PAGE_SIZE: Final = 500  # ListDomains allows 1-10000; each listed HTTPS domain costs a read
DOMAIN_NOT_FOUND: Final = "CDN.0105"
_KEPT_HTTPS_FIELDS: Final = ("http2_status", "tls_version", "ocsp_stapling_status")
_PREPARED_LIMIT: Final = 256  # bundles remembered between ensure_certificate and bind


class _PreparedBundles:
    """Bundles ``ensure_certificate`` saw in this process, by alias (bounded, thread-safe).

    Process-wide rather than per adapter, because callers build adapters per attempt.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._bundles: OrderedDict[str, CertificateBundle] = OrderedDict()

    def keep(self, bundle: CertificateBundle) -> None:
        with self._lock:
            self._bundles[bundle.alias] = bundle
            self._bundles.move_to_end(bundle.alias)
            while len(self._bundles) > self._limit:
                self._bundles.popitem(last=False)

    def get(self, alias: str) -> CertificateBundle | None:
        with self._lock:
            return self._bundles.get(alias)

    def clear(self) -> None:
        with self._lock:
            self._bundles.clear()


PREPARED: Final = _PreparedBundles(_PREPARED_LIMIT)


class HuaweiCdn:
    """The adapter; see ARCHITECTURE.md for the contract."""

    name = NAME

    def __init__(self, hooks: CallHooks | None = None, *, page_size: int = PAGE_SIZE) -> None:
        if not 1 <= page_size <= 10000:
            raise ValueError("page_size must be 1-10000 (ListDomains' range)")
        self._hooks: CallHooks = hooks or NoHooks()
        self._page_size = page_size

    def check_credentials(self, account: Account) -> None:
        """One harmless read (the first domain) proves the key, the domain id and the policy."""
        self._list(account, page_number=1, page_size=1)

    def discover(self, account: Account) -> Iterator[Resource]:
        """Every domain, all pages; HTTPS domains with what they serve (one read each)."""
        page_number, seen = 1, 0
        while True:
            page = self._list(account, page_number=page_number, page_size=self._page_size)
            domains = page.get("domains") or []
            for entry in domains:
                found = self._resource(account, entry)
                if found is not None:
                    yield found
            seen += len(domains)
            if not domains or seen >= int(page.get("total") or 0):
                return
            page_number += 1

    def ensure_certificate(
        self, account: Account, cert: CertificateBundle, region: str | None
    ) -> str:
        """Prepare ``cert`` for binding; no vendor call (see the module docstring)."""
        if not cert.chain_pem.strip() or not cert.key_pem.reveal().strip():
            raise Permanent(f"certificate {cert.alias} has no PEM chain or no private key")
        PREPARED.keep(cert)
        return cert.alias

    def bind(self, account: Account, resource: Resource, remote_cert_id: str) -> bool:
        """Serve ``remote_cert_id`` on the domain; False (no change made) if it already does."""
        https = self._https_of(account, resource.native_id)
        served, bundle = _served(https), PREPARED.get(remote_cert_id)
        same_leaf = bundle is None or (
            served is not None and served.fingerprint == bundle.fingerprint
        )
        if served is not None and served.remote_id == remote_cert_id and same_leaf:
            return False
        if bundle is None:
            raise Permanent(
                f"no PEM for {remote_cert_id} in this process: Huawei CDN stores no "
                "certificates, so call ensure_certificate first or use bind_certificate"
            )
        update = {key: https[key] for key in _KEPT_HTTPS_FIELDS if https.get(key) is not None}
        update |= {
            "https_status": "on",
            "certificate_type": "server",
            "certificate_source": 0,
            "certificate_name": bundle.alias,
            "certificate_value": bundle.chain_pem,
            "private_key": bundle.key_pem.reveal(),
        }
        request = UpdateDomainFullConfigRequest(
            domain_name=resource.native_id,
            body=ModifyDomainConfigRequestBody(configs=Configs(https=HttpPutBody(**update))),
        )
        self._call(
            account, "UpdateDomainFullConfig", lambda api: api.update_domain_full_config(request)
        )
        return True

    def bind_certificate(
        self, account: Account, resource: Resource, cert: CertificateBundle
    ) -> bool:
        """Bind ``cert`` itself (prepare + bind): for callers that remember vendor ids."""
        return self.bind(account, resource, self.ensure_certificate(account, cert, None))

    def current(self, account: Account, resource: Resource) -> ServedCert:
        """What the domain serves now (no certificate when HTTPS is off)."""
        return _served(self._https_of(account, resource.native_id)) or ServedCert(remote_id=None)

    # -- helpers ---------------------------------------------------------------------------

    def _resource(self, account: Account, entry: Mapping[str, Any]) -> Resource | None:
        """The listed domain as a resource; None if it vanished since the listing."""
        name = str(entry["domain_name"])
        status = str(entry.get("domain_status") or "")
        served = None
        if entry.get("https_status") == 1:
            try:
                served = _served(self._https_of(account, name))
            except Permanent as gone:
                if gone.vendor_code == DOMAIN_NOT_FOUND:
                    return None
                raise
        return Resource(
            provider="huawei",
            product=NAME,
            native_id=name,
            hostnames=(name,),
            served=served,
            https_endpoint=status == "online",  # an offline domain has no edge to handshake with
            attributes={
                "domain_id": str(entry.get("id") or ""),
                "status": status,
                "service_area": str(entry.get("service_area") or ""),
                "cname": str(entry.get("cname") or ""),
            },
        )

    def _list(self, account: Account, *, page_number: int, page_size: int) -> dict[str, Any]:
        request = ListDomainsRequest(page_size=page_size, page_number=page_number)
        return self._call(account, "ListDomains", lambda api: api.list_domains(request))

    def _https_of(self, account: Account, domain: str) -> dict[str, Any]:
        request = ShowDomainFullConfigRequest(domain_name=domain)
        answer = self._call(
            account, "ShowDomainFullConfig", lambda api: api.show_domain_full_config(request)
        )
        https = (answer.get("configs") or {}).get("https")
        return dict(https) if isinstance(https, Mapping) else {}

    def _call(self, account: Account, action: str, call: Callable[[Any], Any]) -> dict[str, Any]:
        return client.call_action(
            self._hooks,
            account,
            "cdn",
            action,
            lambda: call(client.cdn_api(account)),
            permissions=PERMISSIONS,
        )


def _served(https: Mapping[str, Any]) -> ServedCert | None:
    """The served certificate, identified by its leaf (see the module docstring)."""
    if https.get("https_status") != "on":
        return None
    leaf = certificates.leaf(https.get("certificate_value"))
    if leaf is None:  # HTTPS on with a body we cannot read: keep the vendor's name
        name = https.get("certificate_name")
        return ServedCert(remote_id=str(name) if name else None, not_after=_ms(https))
    fingerprint = certificates.fingerprint(leaf)
    return ServedCert(
        remote_id=certificates.certfleet_id(fingerprint),
        fingerprint=fingerprint,
        not_after=certificates.not_after(leaf),
    )


def _ms(https: Mapping[str, Any]) -> datetime | None:
    value = https.get("expire_time")
    return datetime.fromtimestamp(value / 1000, UTC) if isinstance(value, int) else None


INFO: Final = ProductInfo(
    name=NAME,
    display_name="Huawei Cloud CDN (acceleration domains)",
    api_docs="https://support.huaweicloud.com/intl/en-us/api-cdn/UpdateDomainFullConfig.html",
    permissions=PERMISSIONS,
    # The CDN API reference names no limit for these calls (it does for statistics APIs,
    # 2-5 req/s); 10 req/s per account is a conservative default the workers adapt from.
    rate_limits={"cdn": 10.0},
    factory=HuaweiCdn,
    limited_per_action=True,
)
