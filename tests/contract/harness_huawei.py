"""Contract harnesses for Huawei Cloud products on our Huawei emulator.

Both adapters take a smaller discovery page here than in production (25 instead of 500/1000):
the suite creates ``page_size + 3`` resources to cross pages, and the property under test —
every page followed — does not depend on the page's size.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from providers.base import Account, CallHooks, NoHooks, ProductAdapter
from providers.emulators.huawei import HuaweiEmulator
from providers.emulators.pki import IssuedCertificate
from providers.huawei.cdn import HuaweiCdn
from providers.huawei.elb import HuaweiElb
from providers.secrets import Secret
from tests.contract.bundles import bundle_of

_numbers = itertools.count(1)
_PAGE = 25
_REGION = "cn-north-4"


class _HuaweiHarness:
    page_size = _PAGE

    def __enter__(self) -> _HuaweiHarness:
        self.emulator = HuaweiEmulator(seed=13).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.emulator.stop()

    def account(self) -> Account:
        number = next(_numbers)
        access_key = f"HWCONTRACT{number:010d}"
        secret = f"contract-secret-{number}"
        ids = self.emulator.add_account(access_key, secret, regions=(_REGION,))
        return Account(
            key=f"huawei-contract-{number}",
            provider="huawei",
            access_key_id=access_key,
            secret=Secret(secret),
            regions=(_REGION,),
            api_endpoint=self.emulator.endpoint,
            tls_edge=self.emulator.tls_edge,
            options=ids.options(),
        )

    def with_wrong_secret(self, account: Account) -> Account:
        return replace(account, secret=Secret("not-the-secret"))

    def throttle_next(self, account: Account, times: int) -> None:
        self.emulator.inject(
            None, error_code="APIGW.0308", times=times, access_key=account.access_key_id
        )

    def uploads(self, account: Account) -> int:
        counted = self.emulator.uploads
        return sum(n for (ak, _), n in counted.items() if ak == account.access_key_id)

    def rebind_behind_our_back(
        self, account: Account, native_id: str, other: IssuedCertificate
    ) -> None:
        adapter = self.adapter(NoHooks())
        remote = adapter.ensure_certificate(account, bundle_of(other), _REGION)
        resource = next(r for r in adapter.discover(account) if r.native_id == native_id)
        adapter.bind(account, resource, remote)

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        raise NotImplementedError


class HuaweiCdnHarness(_HuaweiHarness):
    product = "huawei.cdn"

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        return HuaweiCdn(hooks, page_size=_PAGE)

    def add_resource(
        self, account: Account, hostnames: list[str], serving: IssuedCertificate
    ) -> str:
        (hostname,) = hostnames  # an acceleration domain serves exactly one hostname
        self.emulator.add_cdn_domain(account.access_key_id, hostname, cert=serving)
        return hostname

    def refuse_next_bind(self, account: Account, native_id: str) -> str:
        self.emulator.set_cdn_locked(account.access_key_id, native_id, True)
        return "CDN.0116"

    def binds(self, account: Account, native_id: str) -> int:
        return self.emulator.calls[(account.access_key_id, "UpdateDomainFullConfig", native_id)]


class HuaweiElbHarness(_HuaweiHarness):
    product = "huawei.elb"

    def __enter__(self) -> HuaweiElbHarness:
        super().__enter__()
        self._balancers: dict[str, str] = {}
        return self

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        return HuaweiElb(hooks, page_size=_PAGE)

    def add_resource(
        self, account: Account, hostnames: list[str], serving: IssuedCertificate
    ) -> str:
        """An HTTPS listener whose default certificate declares ``hostnames`` as its domain."""
        ak = account.access_key_id
        balancer = self._balancers.get(ak) or self.emulator.add_load_balancer(ak, _REGION)
        self._balancers[ak] = balancer
        cert = self.emulator.add_certificate(ak, _REGION, serving, domain=",".join(hostnames))
        return self.emulator.add_listener(ak, _REGION, balancer, default_certificate=cert)

    def refuse_next_bind(self, account: Account, native_id: str) -> str:
        # No vendor state makes a listener refuse certificates permanently (its protocol is
        # fixed at creation), so the emulator answers the vendor's invalid-parameter error.
        self.emulator.inject(
            "UpdateListener",
            error_code="ELB.8902",
            message="Invalid parameter: default_tls_container_ref.",
            access_key=account.access_key_id,
            target=native_id,
        )
        return "ELB.8902"

    def binds(self, account: Account, native_id: str) -> int:
        listener_id = native_id.partition("/sni/")[0]
        return self.emulator.calls[(account.access_key_id, "UpdateListener", listener_id)]


HARNESSES = [HuaweiCdnHarness, HuaweiElbHarness]
