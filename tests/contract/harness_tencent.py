"""Contract harnesses for Tencent Cloud products (CDN, CLB, WAF) on our Tencent emulator."""

from __future__ import annotations

import itertools
from dataclasses import replace

from providers.base import Account, CallHooks, NoHooks, ProductAdapter
from providers.emulators.pki import IssuedCertificate
from providers.emulators.tencent import TencentEmulator
from providers.secrets import Secret
from providers.tencent.cdn import PAGE_SIZE, TencentCdn
from providers.tencent.clb import PAGE_SIZE as CLB_PAGE_SIZE
from providers.tencent.clb import TencentClb
from providers.tencent.clb_listeners import ListenerRef
from providers.tencent.clb_tasks import TaskPolling
from providers.tencent.waf import PAGE_SIZE as WAF_PAGE_SIZE
from providers.tencent.waf import TencentWaf
from tests.contract.bundles import bundle_of

_numbers = itertools.count(1)
REGION = "ap-guangzhou"
# CLB changes run for a moment in the emulator; poll fast so the suite stays quick.
FAST_POLLING = TaskPolling(first_wait=0.01, growth=1.5, longest_wait=0.05, timeout=5.0)


class _TencentHarness:
    """What every Tencent product's harness shares: the emulator, accounts, throttles, uploads."""

    regions: tuple[str, ...] = ()

    def __enter__(self) -> _TencentHarness:
        self.emulator = TencentEmulator(seed=11).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.emulator.stop()

    def account(self) -> Account:
        number = next(_numbers)
        secret_id = f"AKIDcontract{number:08d}"
        secret = f"contract-secret-{number}"
        self.emulator.add_account(secret_id, secret)
        return Account(
            key=f"contract-{number}",
            provider="tencent",
            access_key_id=secret_id,
            secret=Secret(secret),
            regions=self.regions,
            api_endpoint=self.emulator.endpoint,
            tls_edge=self.emulator.tls_edge,
        )

    def with_wrong_secret(self, account: Account) -> Account:
        return replace(account, secret=Secret("not-the-secret"))

    def throttle_next(self, account: Account, times: int) -> None:
        self.emulator.inject(
            None, error_code="RequestLimitExceeded", times=times, secret_id=account.access_key_id
        )

    def uploads(self, account: Account) -> int:
        return self.emulator.calls[(account.access_key_id, "UploadCertificate")]

    def rebind_behind_our_back(
        self, account: Account, native_id: str, other: IssuedCertificate
    ) -> None:
        adapter = self.adapter(NoHooks())
        bundle_id = adapter.ensure_certificate(account, bundle_of(other), None)
        resource = next(r for r in adapter.discover(account) if r.native_id == native_id)
        adapter.bind(account, resource, bundle_id)

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        raise NotImplementedError


class TencentCdnHarness(_TencentHarness):
    product = "tencent.cdn"
    page_size = PAGE_SIZE

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        return TencentCdn(hooks)

    def add_resource(
        self, account: Account, hostnames: list[str], serving: IssuedCertificate
    ) -> str:
        (hostname,) = hostnames  # a CDN domain serves exactly one hostname
        self.emulator.add_cdn_domain(account.access_key_id, hostname, cert=serving)
        return hostname

    def refuse_next_bind(self, account: Account, native_id: str) -> str:
        self.emulator.set_locked(account.access_key_id, native_id, True)
        return "ResourceUnavailable.CdnHostIsLocked"

    def binds(self, account: Account, native_id: str) -> int:
        return self.emulator.calls[(account.access_key_id, "UpdateDomainConfig", native_id)]


class TencentClbHarness(_TencentHarness):
    """One load balancer per resource, with one HTTPS listener, SNI off, serving ``hostnames``
    (so every resource of the suite is a listener whose certificate covers all its domains)."""

    product = "tencent.clb"
    page_size = CLB_PAGE_SIZE
    regions = (REGION,)

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        return TencentClb(hooks, polling=FAST_POLLING)

    def __enter__(self) -> TencentClbHarness:
        super().__enter__()
        self.emulator.clb.set_task_seconds(0.03)
        return self

    def add_resource(
        self, account: Account, hostnames: list[str], serving: IssuedCertificate
    ) -> str:
        clb = self.emulator.clb
        lb_id = clb.add_load_balancer(account.access_key_id, region=REGION)
        listener_id = clb.add_listener(
            account.access_key_id, lb_id, domains=hostnames, sni=False, cert=serving
        )
        return ListenerRef(lb_id, listener_id).native_id

    def refuse_next_bind(self, account: Account, native_id: str) -> str:
        self.emulator.clb.isolate(
            account.access_key_id, ListenerRef.parse(native_id).load_balancer_id
        )
        return "FailedOperation.InvalidLBStatus"

    def binds(self, account: Account, native_id: str) -> int:
        return self.emulator.calls[(account.access_key_id, "ModifyListener", native_id)]


class TencentWafHarness(_TencentHarness):
    """One SaaS WAF domain (HTTPS port, hosted certificate) per resource."""

    product = "tencent.waf"
    page_size = WAF_PAGE_SIZE

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        return TencentWaf(hooks)

    def add_resource(
        self, account: Account, hostnames: list[str], serving: IssuedCertificate
    ) -> str:
        (hostname,) = hostnames  # a protected domain serves exactly one hostname
        ref = self.emulator.waf.add_domain(account.access_key_id, hostname, cert=serving)
        return f"{ref.instance_id}/{ref.domain_id}/{ref.domain}"

    def refuse_next_bind(self, account: Account, native_id: str) -> str:
        instance_id = native_id.split("/", 1)[0]
        self.emulator.waf.expire_instance(account.access_key_id, instance_id)
        return "OperationDenied"

    def binds(self, account: Account, native_id: str) -> int:
        domain = native_id.split("/", 2)[2]
        return self.emulator.calls[(account.access_key_id, "ModifySpartaProtection", domain)]


HARNESSES = [TencentCdnHarness, TencentClbHarness, TencentWafHarness]
