"""The demo's clouds: each starts its emulator, fills it with resources and says which accounts
to register. Resources serve an "old" certificate (expiring in days), a few a "current" one
(nothing to renew), some are locked (they fail permanently) and some carry names no new
certificate covers (reported, never touched).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Literal

from providers.emulators.huawei import HuaweiEmulator
from providers.emulators.pki import Authority, IssuedCertificate
from providers.emulators.tencent import TencentEmulator

# The emulators grant more than the vendors' documented limits so the demo finishes in seconds;
# the accounts tell certfleet so (options rate.<family>), exactly as an operator would.
EMULATOR_RATE = 120.0
ACCOUNT_RATE = "100"


@dataclass(frozen=True)
class DemoAccount:
    """An account to register in the ledger, pointing at its emulator."""

    name: str
    provider: str
    access_key_id: str
    secret: str
    api_endpoint: str
    tls_edge: str
    regions: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Certificates:
    old: IssuedCertificate  # what most resources serve now: expires within days
    current: IssuedCertificate  # valid for months: nothing to renew
    authority: Authority

    def expiring(self, names: list[str]) -> IssuedCertificate:
        """An old certificate for just these names (load balancers serve exactly their names)."""
        return self.authority.issue(
            names, not_before=self.old.certificate.not_valid_before_utc, days=90
        )


def _rates(*families: str) -> dict[str, str]:
    return {f"rate.{family}": ACCOUNT_RATE for family in families}


def tencent(stack: ExitStack, certs: Certificates, domains: int) -> list[DemoAccount]:
    """Two Tencent accounts of CDN domains: production and staging."""
    emulator = stack.enter_context(TencentEmulator())
    emulator.set_rate_limit(None, EMULATOR_RATE)
    shops = [f"shop-{i:03d}.example.com" for i in range(domains)]
    locked = [f"legacy-{i:02d}.example.com" for i in range(max(2, domains // 15))]
    stray = [f"static-{i:02d}.example.net" for i in range(max(2, domains // 9))]
    fresh = [f"fresh-{i:02d}.example.com" for i in range(max(2, domains // 12))]
    apps = [f"app-{i:03d}.staging.example.org" for i in range(max(5, domains // 2))]
    frozen = [f"frozen-{i}.staging.example.org" for i in range(max(1, domains // 36))]
    staging_shops = [f"shop-stg-{i:02d}.example.com" for i in range(max(2, domains // 10))]
    prod = ["example.com", "www.example.com", "api.example.com", *shops, *locked, *stray]
    plan = {
        ("acme-prod", "AKIDdemoprod0001"): (prod, locked, fresh),
        ("acme-staging", "AKIDdemostaging01"): ([*apps, *frozen, *staging_shops], frozen, []),
    }
    accounts = []
    for (name, secret_id), (serving_old, frozen_names, serving_current) in plan.items():
        secret = f"{name}-secret"
        emulator.add_account(secret_id, secret)
        for domain in serving_old:
            emulator.add_cdn_domain(
                secret_id, domain, cert=certs.old, locked=domain in frozen_names
            )
        for domain in serving_current:
            emulator.add_cdn_domain(secret_id, domain, cert=certs.current)
        accounts.append(
            DemoAccount(
                name,
                "tencent",
                secret_id,
                secret,
                emulator.endpoint,
                emulator.tls_edge,
                regions=("ap-guangzhou",),
                options=_rates("cdn", "ssl", "clb", "waf"),
            )
        )
    return accounts


def huawei(stack: ExitStack, certs: Certificates, domains: int) -> list[DemoAccount]:
    """One Huawei account: CDN domains and a dedicated load balancer's HTTPS listener."""
    emulator = stack.enter_context(HuaweiEmulator())
    emulator.set_rate_limit(None, EMULATOR_RATE)
    access_key, secret, region = "HWDEMOACCESSKEY01", "acme-huawei-secret", "cn-north-4"
    ids = emulator.add_account(access_key, secret, regions=(region,))
    for i in range(max(3, domains // 6)):
        emulator.add_cdn_domain(access_key, f"hw-cdn-{i:02d}.example.com", cert=certs.old)
    lb = emulator.add_load_balancer(access_key, region, name="acme-web")
    old_id = emulator.add_certificate(
        access_key, region, certs.old, name="acme-web-2025", domain="shop-hw.example.com"
    )
    emulator.add_listener(access_key, region, lb, default_certificate=old_id, name="https-443")
    return [
        DemoAccount(
            "acme-huawei",
            "huawei",
            access_key,
            secret,
            emulator.endpoint,
            emulator.tls_edge,
            regions=(region,),
            options={**ids.options(), **_rates("cdn", "elb")},
        )
    ]


def aws(stack: ExitStack, certs: Certificates, domains: int) -> list[DemoAccount]:
    """One AWS account: CloudFront distributions, an ALB, an NLB and a Classic ELB."""
    try:
        from providers.emulators.aws import AwsEmulator  # noqa: PLC0415 - needs moto
    except ImportError:  # moto is a dev/emulator extra; the demo still runs without AWS
        return []
    emulator = stack.enter_context(AwsEmulator())
    access_key, secret, region = "AKIADEMOACCOUNT00001", "acme-aws-secret", "eu-west-1"
    account_id = emulator.add_account(access_key, secret)
    for i in range(max(2, domains // 30)):
        name = f"cdn-aws-{i:02d}.example.com"
        emulator.add_distribution(account_id, [name], certs.expiring([name]))
    balancers: tuple[tuple[Literal["application", "network"], str], ...] = (
        ("application", "shop-aws.example.com"),
        ("network", "tls-aws.example.com"),
    )
    for kind, host in balancers:
        emulator.add_load_balancer(
            account_id, kind=kind, region=region, hostnames=[host], serving=certs.expiring([host])
        )
    emulator.add_classic_load_balancer(
        account_id,
        region=region,
        hostnames=["legacy-aws.example.com"],
        serving=certs.expiring(["legacy-aws.example.com"]),
    )
    families = (
        "acm.import",
        "acm.list",
        "acm.read",
        "iam.read",
        "iam.write",
        "cloudfront.read",
        "cloudfront.write",
        "elbv2.read",
        "elbv2.write",
        "elb.read",
        "elb.write",
    )
    return [
        DemoAccount(
            "acme-aws",
            "aws",
            access_key,
            secret,
            emulator.endpoint,
            emulator.tls_edge,
            regions=("us-east-1", region),
            options=_rates(*families),
        )
    ]


CLOUDS = (tencent, huawei, aws)
