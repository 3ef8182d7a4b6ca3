"""``huawei.elb``: certificates on Huawei Cloud ELB (v3) listeners, every configured region.

A resource is one certificate slot of a TLS listener — its default certificate, or one SNI
certificate — so that each resource is served by exactly one certificate (see
:mod:`providers.huawei.listeners` for why and how the slots are named).

Binding the default slot sends only ``default_tls_container_ref`` (UpdateListener leaves
fields not sent alone, so the SNI certificates stay); binding an SNI slot swaps that one id in
the SNI list and sends the list back whole. Listener changes run under
``hooks.exclusive(account, "lb:<load balancer id>")``: the vendor applies one change at a time
per load balancer, and the read-compare-write must not interleave with another worker's.

Certificates are regional uploads named ``CertificateBundle.alias``. The vendor keeps no
identity check (the same PEM uploads again under a new id), so :meth:`ensure_certificate`
looks for an earlier upload by that name, confirms it by the leaf's SHA-256 (a name is only a
name), and uploads under a fleet-wide lock on the name, so racing workers upload once. Uploads
declare ``domain`` as the certificate's names, which makes them usable as SNI certificates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

from huaweicloudsdkelb.v3 import (
    CreateCertificateOption,
    CreateCertificateRequest,
    CreateCertificateRequestBody,
    ListCertificatesRequest,
    ListListenersRequest,
    ListLoadBalancersRequest,
    ShowCertificateRequest,
    UpdateListenerOption,
    UpdateListenerRequest,
    UpdateListenerRequestBody,
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
from providers.huawei import certificates, client, listeners

NAME: Final = listeners.PRODUCT
PERMISSIONS: Final = ("ELB FullAccess",)
PAGE_SIZE: Final = 1000  # marker paging allows up to 2000 per call
_IDS_PER_LOOKUP: Final = 50  # certificate ids per filtered listing (keeps URLs short)
_MAX_DOMAINS: Final = 100  # the vendor's limit for a certificate's ``domain``


class HuaweiElb:
    """The adapter; see ARCHITECTURE.md for the contract."""

    name = NAME

    def __init__(self, hooks: CallHooks | None = None, *, page_size: int = PAGE_SIZE) -> None:
        if not 1 <= page_size <= 2000:
            raise ValueError("page_size must be 1-2000 (the ELB v3 limit)")
        self._hooks: CallHooks = hooks or NoHooks()
        self._page_size = page_size

    def check_credentials(self, account: Account) -> None:
        """One harmless read per region proves the key, each project id and the policy."""
        for region in client.regions(account):
            self._call(
                account,
                region,
                "ListLoadBalancers",
                lambda api: api.list_load_balancers(ListLoadBalancersRequest(limit=1)),
            )

    def discover(self, account: Account) -> Iterator[Resource]:
        """Every certificate slot of every TLS listener, all pages, all regions."""
        for region in client.regions(account):
            balancers = {lb["id"]: lb.get("name") or "" for lb in self._balancers(account, region)}
            tls_listeners = list(self._listeners(account, region))
            refs = {ref for item in tls_listeners for ref in listeners.certificate_refs(item)}
            known = self._certificates_by_id(account, region, sorted(refs))
            for item in tls_listeners:
                yield from listeners.slots(item, known, region, balancers)

    def ensure_certificate(
        self, account: Account, cert: CertificateBundle, region: str | None
    ) -> str:
        """Our earlier upload of ``cert`` in ``region`` (same name, same leaf), or a new one."""
        where = region or _only_region(account)
        with self._hooks.exclusive(account, f"elb-certificate:{where}:{cert.alias}"):
            existing = self._find_upload(account, where, cert)
            if existing is not None:
                return existing
            option = CreateCertificateOption(
                name=cert.alias,
                type="server",
                certificate=cert.chain_pem,
                private_key=cert.key_pem.reveal(),
                domain=",".join(n.lower() for n in cert.names[:_MAX_DOMAINS]) or None,
                description="uploaded by certfleet",
            )
            request = CreateCertificateRequest(
                body=CreateCertificateRequestBody(certificate=option)
            )
            answer = self._call(
                account, where, "CreateCertificate", lambda api: api.create_certificate(request)
            )
        created = (answer.get("certificate") or {}).get("id")
        if not created:
            raise Permanent("CreateCertificate answered without a certificate id")
        return str(created)

    def bind(self, account: Account, resource: Resource, remote_cert_id: str) -> bool:
        """Put ``remote_cert_id`` in the resource's slot; False (no change) if already there."""
        region = resource.region or _only_region(account)
        listener_id, sni_domain = listeners.slot_of(resource.native_id)
        balancer = resource.attributes.get("loadbalancer_id") or listeners.balancer_of(
            self._listener(account, region, listener_id)
        )
        with self._hooks.exclusive(account, f"lb:{balancer}"):
            listener = self._listener(account, region, listener_id)  # re-read under the lock
            if sni_domain is None:
                if listener.get("default_tls_container_ref") == remote_cert_id:
                    return False
                option = UpdateListenerOption(default_tls_container_ref=remote_cert_id)
            else:
                refs = list(listener.get("sni_container_refs") or [])
                present = self._sni_ref(account, region, refs, sni_domain)
                if present == remote_cert_id:
                    return False
                if present is None:
                    raise Permanent(
                        f"listener {listener_id} has no SNI certificate for {sni_domain}"
                    )
                swapped = [remote_cert_id if ref == present else ref for ref in refs]
                option = UpdateListenerOption(sni_container_refs=list(dict.fromkeys(swapped)))
            request = UpdateListenerRequest(
                listener_id=listener_id, body=UpdateListenerRequestBody(listener=option)
            )
            self._call(account, region, "UpdateListener", lambda api: api.update_listener(request))
        return True

    def current(self, account: Account, resource: Resource) -> ServedCert:
        """What the slot holds now, with the certificate's fingerprint and expiry."""
        region = resource.region or _only_region(account)
        listener_id, sni_domain = listeners.slot_of(resource.native_id)
        listener = self._listener(account, region, listener_id)
        if sni_domain is None:
            ref = listener.get("default_tls_container_ref")
        else:
            ref = self._sni_ref(
                account, region, listener.get("sni_container_refs") or [], sni_domain
            )
        if not ref:
            return ServedCert(remote_id=None)
        request = ShowCertificateRequest(certificate_id=ref)
        shown = self._call(
            account, region, "ShowCertificate", lambda api: api.show_certificate(request)
        )
        return listeners.served(str(ref), shown.get("certificate") or {})

    # -- reads -----------------------------------------------------------------------------

    def _balancers(self, account: Account, region: str) -> Iterator[dict[str, Any]]:
        def fetch(api: Any, marker: str | None) -> Any:
            request = ListLoadBalancersRequest(limit=self._page_size, marker=marker)
            return api.list_load_balancers(request)

        return self._pages(account, region, "ListLoadBalancers", "loadbalancers", fetch)

    def _listeners(self, account: Account, region: str) -> Iterator[dict[str, Any]]:
        protocols = list(listeners.TLS_PROTOCOLS)

        def fetch(api: Any, marker: str | None) -> Any:
            request = ListListenersRequest(limit=self._page_size, marker=marker, protocol=protocols)
            return api.list_listeners(request)

        return self._pages(account, region, "ListListeners", "listeners", fetch)

    def _pages(
        self,
        account: Account,
        region: str,
        action: str,
        key: str,
        fetch: Callable[[Any, str | None], Any],
    ) -> Iterator[dict[str, Any]]:
        """Follow ``page_info.next_marker`` until a short page (the vendor marks every page)."""
        marker: str | None = None
        while True:
            page = self._call(account, region, action, _at(fetch, marker))
            items = page.get(key) or []
            yield from items
            marker = (page.get("page_info") or {}).get("next_marker")
            if len(items) < self._page_size or not marker:
                return

    def _certificates_by_id(
        self, account: Account, region: str, ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), _IDS_PER_LOOKUP):
            batch = list(ids[start : start + _IDS_PER_LOOKUP])
            request = ListCertificatesRequest(id=batch, limit=len(batch))
            page = self._call(account, region, "ListCertificates", _listing(request))
            found.update({str(c["id"]): c for c in page.get("certificates") or []})
        return found

    def _find_upload(self, account: Account, region: str, cert: CertificateBundle) -> str | None:
        """Our upload of ``cert``: named by its alias, and serving the very same leaf."""

        def fetch(api: Any, marker: str | None) -> Any:
            request = ListCertificatesRequest(
                name=[cert.alias], limit=self._page_size, marker=marker
            )
            return api.list_certificates(request)

        for item in self._pages(account, region, "ListCertificates", "certificates", fetch):
            leaf = certificates.leaf(item.get("certificate"))
            if leaf is not None and certificates.fingerprint(leaf) == cert.fingerprint.lower():
                return str(item["id"])
        return None

    def _listener(self, account: Account, region: str, listener_id: str) -> dict[str, Any]:
        request = ListListenersRequest(id=[listener_id], limit=1)
        page = self._call(account, region, "ListListeners", lambda api: api.list_listeners(request))
        for item in page.get("listeners") or []:
            if item.get("id") == listener_id:
                return dict(item)
        raise Permanent(f"ELB listener {listener_id} is not in {region} (deleted, or moved)")

    def _sni_ref(
        self, account: Account, region: str, refs: Sequence[str], sni_domain: str
    ) -> str | None:
        """The SNI certificate of ``refs`` whose names include ``sni_domain``."""
        known = self._certificates_by_id(account, region, list(refs))
        for ref in refs:
            if sni_domain in listeners.hostnames(known.get(ref, {})):
                return ref
        return None

    def _call(
        self, account: Account, region: str, action: str, call: Callable[[Any], Any]
    ) -> dict[str, Any]:
        return client.call_action(
            self._hooks,
            account,
            "elb",
            action,
            lambda: call(client.elb_api(account, region)),
            permissions=PERMISSIONS,
        )


def _listing(request: Any) -> Callable[[Any], Any]:
    return lambda api: api.list_certificates(request)


def _at(fetch: Callable[[Any, str | None], Any], marker: str | None) -> Callable[[Any], Any]:
    """``fetch`` bound to one page's marker (a fresh closure per page, not a loop variable)."""
    return lambda api: fetch(api, marker)


def _only_region(account: Account) -> str:
    regions = client.regions(account)
    if len(regions) != 1:
        raise Permanent(f"account {account.key} has several regions; the resource must name one")
    return regions[0]


INFO: Final = ProductInfo(
    name=NAME,
    display_name="Huawei Cloud ELB (dedicated load balancer listeners)",
    api_docs="https://support.huaweicloud.com/intl/en-us/api-elb/UpdateListener.html",
    permissions=PERMISSIONS,
    # The ELB API reference names no per-API limit; 10 req/s per account is a conservative
    # default that the workers' adaptive buckets slow further on APIGW.0308.
    rate_limits={"elb": 10.0},
    factory=HuaweiElb,
    limited_per_action=True,
)
