"""Contract harness for Tencent Cloud products on our Tencent emulator."""

from __future__ import annotations

import itertools
from dataclasses import replace

from providers.base import Account, CallHooks, ProductAdapter
from providers.emulators.pki import IssuedCertificate
from providers.emulators.tencent import TencentEmulator
from providers.secrets import Secret
from providers.tencent.cdn import PAGE_SIZE, TencentCdn
from tests.contract.bundles import bundle_of

_numbers = itertools.count(1)


class TencentCdnHarness:
    product = "tencent.cdn"
    page_size = PAGE_SIZE

    def __enter__(self) -> TencentCdnHarness:
        self.emulator = TencentEmulator(seed=11).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.emulator.stop()

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        return TencentCdn(hooks)

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
            api_endpoint=self.emulator.endpoint,
            tls_edge=self.emulator.tls_edge,
        )

    def with_wrong_secret(self, account: Account) -> Account:
        return replace(account, secret=Secret("not-the-secret"))

    def add_resource(
        self, account: Account, hostnames: list[str], serving: IssuedCertificate
    ) -> str:
        (hostname,) = hostnames  # a CDN domain serves exactly one hostname
        self.emulator.add_cdn_domain(account.access_key_id, hostname, cert=serving)
        return hostname

    def throttle_next(self, account: Account, times: int) -> None:
        self.emulator.inject(
            None, error_code="RequestLimitExceeded", times=times, secret_id=account.access_key_id
        )

    def refuse_next_bind(self, account: Account, native_id: str) -> str:
        self.emulator.set_locked(account.access_key_id, native_id, True)
        return "ResourceUnavailable.CdnHostIsLocked"

    def uploads(self, account: Account) -> int:
        return self.emulator.calls[(account.access_key_id, "UploadCertificate")]

    def binds(self, account: Account, native_id: str) -> int:
        return self.emulator.calls[(account.access_key_id, "UpdateDomainConfig", native_id)]

    def rebind_behind_our_back(
        self, account: Account, native_id: str, other: IssuedCertificate
    ) -> None:
        adapter = TencentCdn()
        bundle_id = adapter.ensure_certificate(account, bundle_of(other), None)
        resource = next(r for r in adapter.discover(account) if r.native_id == native_id)
        adapter.bind(account, resource, bundle_id)


HARNESSES = [TencentCdnHarness]
