"""Contract harnesses for the AWS products, on our AWS emulator (moto behind the fault proxy).

Page sizes are the adapters' real paging parameters set small (AWS accepts PageSize 1-400 and
MaxItems 1-1000), so the suite's "several pages" needs a handful of resources, not hundreds.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import ClassVar

from providers.aws.alb import AwsAlb
from providers.aws.clb import AwsClassicElb
from providers.aws.cloudfront import AwsCloudFront
from providers.aws.nlb import AwsNlb
from providers.base import Account, CallHooks, NoHooks, ProductAdapter
from providers.emulators.aws import AwsEmulator
from providers.emulators.pki import IssuedCertificate
from providers.secrets import Secret
from tests.contract.bundles import bundle_of

_numbers = itertools.count(1)
_REGIONS = ("eu-west-1", "us-west-2")  # resources go to the first; discovery reads both
_PAGE_SIZE = 4


class _AwsHarness:
    product: ClassVar[str]
    page_size = _PAGE_SIZE
    change_actions: ClassVar[tuple[str, ...]]  # the API actions that change a resource
    refusal: ClassVar[tuple[str, int]]  # (AWS code, HTTP status) the first change answers

    def __enter__(self) -> _AwsHarness:
        self.emulator = AwsEmulator(seed=13).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.emulator.stop()

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        raise NotImplementedError

    def account(self) -> Account:
        number = next(_numbers)
        access_key = f"AKIACONTRACT{number:08d}"
        secret = f"contract-secret-{number}"
        self.emulator.add_account(access_key, secret)
        return Account(
            key=f"aws-contract-{number}",
            provider="aws",
            access_key_id=access_key,
            secret=Secret(secret),
            regions=_REGIONS,
            api_endpoint=self.emulator.endpoint,
            tls_edge=self.emulator.tls_edge,
        )

    def with_wrong_secret(self, account: Account) -> Account:
        return replace(account, secret=Secret("not-the-secret"))

    def throttle_next(self, account: Account, times: int) -> None:
        self.emulator.inject(throttle=True, account=self._id(account), times=times)

    def refuse_next_bind(self, account: Account, native_id: str) -> str:
        code, status = self.refusal
        self.emulator.inject(
            self.change_actions[0],
            account=self._id(account),
            target=native_id,
            error_code=code,
            http_status=status,
        )
        return code

    def uploads(self, account: Account) -> int:
        return self.emulator.calls[(self._id(account), "ImportCertificate")]

    def binds(self, account: Account, native_id: str) -> int:
        calls = self.emulator.calls
        return sum(calls[(self._id(account), a, native_id)] for a in self.change_actions)

    def rebind_behind_our_back(
        self, account: Account, native_id: str, other: IssuedCertificate
    ) -> None:
        adapter = self.adapter(NoHooks())
        resource = next(r for r in adapter.discover(account) if r.native_id == native_id)
        remote = adapter.ensure_certificate(account, bundle_of(other), resource.region)
        adapter.bind(account, resource, remote)

    def _id(self, account: Account) -> str:
        return self.emulator.account_of(account.access_key_id)


class AwsCloudFrontHarness(_AwsHarness):
    product = "aws.cloudfront"
    change_actions = ("UpdateDistribution",)
    refusal = ("InvalidViewerCertificate", 400)

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        return AwsCloudFront(hooks, page_size=self.page_size, deploy_timeout=5, poll_interval=0.02)

    def add_resource(
        self, account: Account, hostnames: list[str], serving: IssuedCertificate
    ) -> str:
        return self.emulator.add_distribution(self._id(account), hostnames, serving)


class AwsAlbHarness(_AwsHarness):
    product = "aws.alb"
    change_actions = ("ModifyListener", "AddListenerCertificates", "RemoveListenerCertificates")
    refusal = ("UnsupportedCertificate", 400)
    kind: ClassVar = "application"

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        return AwsAlb(hooks, page_size=self.page_size)

    def add_resource(
        self, account: Account, hostnames: list[str], serving: IssuedCertificate
    ) -> str:
        return self.emulator.add_load_balancer(
            self._id(account), kind=self.kind, region=_REGIONS[0], hostnames=hostnames,
            serving=serving,
        )  # fmt: skip


class AwsNlbHarness(AwsAlbHarness):
    product = "aws.nlb"
    kind: ClassVar = "network"

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        return AwsNlb(hooks, page_size=self.page_size)


class AwsClassicElbHarness(_AwsHarness):
    product = "aws.clb"
    change_actions = ("SetLoadBalancerListenerSSLCertificate",)
    refusal = ("InvalidConfigurationRequest", 409)

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        return AwsClassicElb(hooks, page_size=self.page_size)

    def add_resource(
        self, account: Account, hostnames: list[str], serving: IssuedCertificate
    ) -> str:
        return self.emulator.add_classic_load_balancer(
            self._id(account), region=_REGIONS[0], hostnames=hostnames, serving=serving
        )

    def uploads(self, account: Account) -> int:
        return self.emulator.calls[(self._id(account), "UploadServerCertificate")]


HARNESSES = [AwsCloudFrontHarness, AwsAlbHarness, AwsNlbHarness, AwsClassicElbHarness]
