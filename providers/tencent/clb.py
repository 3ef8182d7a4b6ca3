"""``tencent.clb``: certificates on Tencent Cloud Load Balancer HTTPS listeners.

What a resource is (a listener without SNI, or one SNI domain) and how it is named lives in
:mod:`providers.tencent.clb_listeners`; waiting for the vendor's asynchronous changes in
:mod:`providers.tencent.clb_tasks`. Certificates are hosted in the SSL Certificate Service
(:mod:`providers.tencent.hosted_certificates`), shared with the CDN and WAF adapters.

CLB allows one change at a time per load balancer, so every change runs inside
``hooks.exclusive(account, "lb:<id>")``: the fleet queues on its own lock instead of collecting
the vendor's FailedOperation.ResourceInOperating (which, when someone else is changing the
instance, still arrives and is Transient).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

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
from providers.tencent import client
from providers.tencent.clb_listeners import (
    NAME,
    ListenerRef,
    certificate_block,
    certificate_input,
    listener_resources,
)
from providers.tencent.clb_tasks import TaskPolling, wait_for_task
from providers.tencent.hosted_certificates import HostedCertificates, HostedCleanup

PERMISSIONS: Final = ("QcloudSSLFullAccess", "QcloudCLBFullAccess")
PAGE_SIZE: Final = 100  # DescribeLoadBalancers' maximum Limit
FAMILY: Final = "clb"


class TencentClb(HostedCleanup):
    """The adapter; see ARCHITECTURE.md for the contract.

    ``polling`` bounds the wait for the vendor's asynchronous changes; ``page_size`` is the
    DescribeLoadBalancers page (tests lower it to cross pages cheaply).
    """

    name = NAME

    def __init__(
        self,
        hooks: CallHooks | None = None,
        *,
        polling: TaskPolling | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._hooks: CallHooks = hooks or NoHooks()
        self._certificates = HostedCertificates(self._hooks, PERMISSIONS)
        self._polling = polling or TaskPolling()
        self._page_size = page_size

    def check_credentials(self, account: Account) -> None:
        """One read of each service the adapter needs: proves the key and both policies."""
        self._certificates.check_access(account)
        self._clb(account, _regions(account)[0], "DescribeLoadBalancers", {"Limit": 1})

    def discover(self, account: Account) -> Iterator[Resource]:
        """Every HTTPS listener (or SNI domain) of every load balancer in the account's regions.

        Listings name certificates by id only, so each page of load balancers ends with one
        SSL look-up of the end dates of the certificates it serves (renewal planning).
        """
        for region in _regions(account):
            for page in self._load_balancer_pages(account, region):
                found = [
                    resource
                    for lb in page
                    for listener in self._https_listeners(account, region, lb)
                    for resource in listener_resources(lb, listener, region)
                ]
                yield from self._certificates.with_end_dates(account, found)

    def ensure_certificate(
        self, account: Account, cert: CertificateBundle, region: str | None
    ) -> str:
        """Reuse our earlier upload of ``cert`` or upload it once (SSL is global: any region)."""
        return self._certificates.ensure(account, cert)

    def bind(self, account: Account, resource: Resource, remote_cert_id: str) -> bool:
        """Put ``remote_cert_id`` on the listener (or SNI domain) and wait until it is there.

        Reads first, inside the load balancer's lock, so a retry after a timeout or a
        concurrent deployment of the same certificate makes no second change.
        """
        ref = ListenerRef.parse(resource.native_id)
        region = _region_of(account, resource)
        with self._hooks.exclusive(account, f"lb:{ref.load_balancer_id}"):
            current = certificate_block(self._listener(account, region, ref), ref)
            if current.get("CertId") == remote_cert_id:
                return False
            change = {
                "LoadBalancerId": ref.load_balancer_id,
                "ListenerId": ref.listener_id,
                "Certificate": certificate_input(current, remote_cert_id),
            }
            if ref.domain is None:
                answer = self._clb(account, region, "ModifyListener", change)
            else:
                answer = self._clb(
                    account, region, "ModifyDomainAttributes", {**change, "Domain": ref.domain}
                )
            self._wait(account, region, answer, ref)
        return True

    def current(self, account: Account, resource: Resource) -> ServedCert:
        """The certificate id the listener (or SNI domain) holds now."""
        ref = ListenerRef.parse(resource.native_id)
        block = certificate_block(self._listener(account, _region_of(account, resource), ref), ref)
        cert_id = block.get("CertId")
        return ServedCert(remote_id=str(cert_id) if cert_id else None)

    # -- helpers ---------------------------------------------------------------------------

    def _load_balancer_pages(
        self, account: Account, region: str
    ) -> Iterator[Sequence[Mapping[str, Any]]]:
        # Forward=1: classic CLBs have another API and ModifyListener does not serve them.
        offset = 0
        while True:
            page = self._clb(
                account,
                region,
                "DescribeLoadBalancers",
                {"Offset": offset, "Limit": self._page_size, "Forward": 1},
            )
            balancers = page.get("LoadBalancerSet") or []
            yield balancers
            offset += len(balancers)
            if not balancers or offset >= int(page.get("TotalCount") or 0):
                return

    def _https_listeners(
        self, account: Account, region: str, lb: Mapping[str, Any]
    ) -> Sequence[Mapping[str, Any]]:
        answer = self._clb(
            account,
            region,
            "DescribeListeners",
            {"LoadBalancerId": lb["LoadBalancerId"], "Protocol": "HTTPS"},
        )
        return [x for x in answer.get("Listeners") or [] if x.get("Protocol") == "HTTPS"]

    def _listener(self, account: Account, region: str, ref: ListenerRef) -> Mapping[str, Any]:
        answer = self._clb(
            account,
            region,
            "DescribeListeners",
            {"LoadBalancerId": ref.load_balancer_id, "ListenerIds": [ref.listener_id]},
        )
        for listener in answer.get("Listeners") or []:
            if listener.get("ListenerId") == ref.listener_id:
                return dict(listener)
        raise Permanent(
            f"listener {ref.listener_id} is no longer on load balancer {ref.load_balancer_id}"
        )

    def _wait(
        self, account: Account, region: str, answer: Mapping[str, Any], ref: ListenerRef
    ) -> None:
        task_id = answer.get("RequestId")
        if not task_id:
            raise Permanent("the CLB change answered without a RequestId to follow")
        wait_for_task(
            lambda: self._clb(account, region, "DescribeTaskStatus", {"TaskId": task_id}),
            self._polling,
            f"{ref.native_id} (task {task_id})",
        )

    def _clb(
        self, account: Account, region: str, action: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        return client.call_action(
            self._hooks,
            account,
            client.clb_api(account, region),
            action,
            params,
            family=FAMILY,
            permissions=PERMISSIONS,
        )


def _regions(account: Account) -> tuple[str, ...]:
    if not account.regions:
        raise Permanent(
            f"account {account.key}: CLB is regional; give the account its regions "
            "(e.g. ap-guangzhou) so certfleet knows where to look"
        )
    return account.regions


def _region_of(account: Account, resource: Resource) -> str:
    if resource.region:
        return resource.region
    if len(account.regions) == 1:
        return account.regions[0]
    raise Permanent(f"{resource.native_id}: no region recorded; discover the account again")


INFO: Final = ProductInfo(
    name=NAME,
    display_name="Tencent Cloud CLB (HTTPS listeners and SNI domains)",
    api_docs="https://cloud.tencent.com/document/api/214/30686",
    permissions=PERMISSIONS,
    # Per-account limits from the API pages: ModifyListener, ModifyDomainAttributes,
    # DescribeListeners, DescribeLoadBalancers, DescribeTaskStatus 20 req/s each; SSL
    # UploadCertificate 10 req/s (shared with the CDN adapter's "ssl" family).
    rate_limits={FAMILY: 20.0, "ssl": 10.0},
    factory=TencentClb,
    limited_per_action=True,
    certificate_store="tencent.ssl",
)
