"""AWS in a bench: ALB HTTPS listeners and CloudFront distributions (asynchronous: a change
reads ``InProgress`` until it is deployed), over a real moto server behind the emulator's proxy.

Vendor behaviour: AWS throttles per account and *category* of calls, not per action (ELB:
non-mutating calls share one bucket, mutating ones another; ACM per action; CloudFront has no
published control-plane rate). The bench therefore computes this cloud's ideal per certfleet
API family (which mirrors those categories, see :mod:`providers.aws.limits`) at the rates that
module documents, and sets each action's emulator limit to its family's rate.

Counting: the emulator counts admitted calls per target. Without injected faults every admitted
change is carried out, so those counts are the uploads and binds; the AWS emulator offers no
hook to tell a faulted call from a carried-out one, which is why ``bench chaos`` runs on the
other clouds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ledger.accounts import add_account
from ledger.db import Database
from ledger.vault import Vault
from providers.aws import limits
from providers.emulators.pki import Authority, IssuedCertificate
from scheduler.bench.clouds import Estate, Faults, VendorLog, account_shares

REGION: Final = "eu-west-1"
FAMILIES: Final = {
    "ImportCertificate": limits.ACM_IMPORT,
    "ListCertificates": limits.ACM_LIST,
    "DescribeCertificate": limits.ACM_READ,
    "GetCertificate": limits.ACM_READ,
    "ListTagsForCertificate": limits.ACM_READ,
    "ModifyListener": limits.ELBV2_WRITE,
    "AddListenerCertificates": limits.ELBV2_WRITE,
    "RemoveListenerCertificates": limits.ELBV2_WRITE,
    "GetDistributionConfig": limits.CLOUDFRONT_READ,
    "GetDistribution": limits.CLOUDFRONT_READ,
    "ListDistributions": limits.CLOUDFRONT_READ,
    "UpdateDistribution": limits.CLOUDFRONT_WRITE,
}  # every other action used here is an ELBv2 read
BINDS: Final = frozenset({"ModifyListener", "AddListenerCertificates", "UpdateDistribution"})
UPLOADS: Final = frozenset({"ImportCertificate", "UploadServerCertificate"})


@dataclass(frozen=True)
class AwsBehaviour:
    """Latency (s) of every call on top of moto's own, and how long a distribution deploys."""

    latency: float = 0.05
    cloudfront_deploy_seconds: float = 5.0


@dataclass(frozen=True)
class AwsMix:
    """Share of an account's resources that are CloudFront distributions (the rest: ALBs)."""

    cloudfront: float = 0.3

    def split(self, resources: int) -> Counter[str]:
        cloudfront = round(resources * self.cloudfront)
        return Counter({"aws.cloudfront": cloudfront, "aws.alb": resources - cloudfront})


class AwsCloud:
    """:class:`scheduler.bench.clouds.BenchCloud` for AWS."""

    provider = "aws"

    def __init__(self, behaviour: AwsBehaviour | None = None, mix: AwsMix | None = None):
        from providers.emulators.aws import AwsEmulator  # noqa: PLC0415 - needs moto

        self.behaviour = behaviour or AwsBehaviour()
        self.mix = mix or AwsMix()
        self.emulator: Any = AwsEmulator(seed=13)

    def start(self) -> None:
        self.emulator.start()
        self.emulator.set_deploy_seconds(self.behaviour.cloudfront_deploy_seconds)

    def stop(self) -> None:
        self.emulator.stop()

    def seed(
        self,
        database: Database,
        vault: Vault,
        authority: Authority,
        old: IssuedCertificate,
        *,
        accounts: int,
        resources: int,
        first_account: int,
    ) -> Estate:
        estate = Estate(self.provider, {}, {})
        for number, share in account_shares(resources, accounts, first_account):
            products = self.mix.split(share)
            access_key = f"AKIABENCH{number:04d}XXXXXXX"
            account_id = self.emulator.add_account(access_key, f"secret-{number}")
            for i in range(products["aws.alb"]):
                host = f"a{number}-alb{i:05d}.fleet.test"
                self.emulator.add_load_balancer(
                    account_id, kind="application", region=REGION, hostnames=[host], serving=old
                )
            for i in range(products["aws.cloudfront"]):
                alias = f"a{number}-cf{i:05d}.fleet.test"
                self.emulator.add_distribution(account_id, [alias], old)
            name = f"acct{number}"
            with database.unit_of_work() as session:
                add_account(
                    session,
                    vault,
                    name=name,
                    provider=self.provider,
                    access_key_id=access_key,
                    secret=f"secret-{number}",
                    regions=["us-east-1", REGION],
                    api_endpoint=self.emulator.endpoint,
                    tls_edge=self.emulator.tls_edge,
                )
            estate.accounts[name] = +products
            estate.vendor_ids[name] = account_id
        return estate

    def behave(self, faults: Faults) -> None:
        if faults != Faults():
            raise ValueError("the AWS bench cloud injects no faults (see the module docstring)")
        emulator = self.emulator
        emulator.clear_faults()
        for action, family in FAMILIES.items():
            emulator.set_rate_limit(action, limits.RATES[family])
        emulator.set_rate_limit(None, limits.RATES[limits.ELBV2_READ])
        emulator.inject(None, latency=self.behaviour.latency, times=None)

    def calm(self) -> None:
        self.emulator.clear_faults()
        self.emulator.set_rate_limit(None, None)
        for action in FAMILIES:
            self.emulator.set_rate_limit(action, None)

    def log(self) -> VendorLog:
        calls: Counter[tuple[str, ...]] = self.emulator.calls
        admitted: Counter[tuple[str, str]] = Counter(
            {(k[0], k[1]): n for k, n in calls.items() if len(k) == 2}
        )
        targeted = [(k, n) for k, n in calls.items() if len(k) == 3 and k[2]]
        return VendorLog(
            admitted=admitted,
            throttled=self.emulator.throttled,
            uploads=Counter({(k[0], k[2]): n for k, n in targeted if k[1] in UPLOADS}),
            binds=Counter({(k[0], k[2]): n for k, n in targeted if k[1] in BINDS}),
        )

    def limit(self, bucket: str) -> float:
        return limits.RATES[bucket]

    def vendor_bucket(self, action: str) -> str:
        """AWS throttles per category of calls: the family is the vendor's own bucket."""
        return self.family(action)

    def family(self, action: str) -> str:
        return FAMILIES.get(action, limits.ELBV2_READ)

    def budget(self, family: str) -> float:
        return limits.RATES[family]

    def describe(self) -> Mapping[str, object]:
        return {
            "limits_per_account_and_category": dict(limits.RATES),
            "latency_s": self.behaviour.latency,
            "cloudfront_deploy_s": self.behaviour.cloudfront_deploy_seconds,
            "product_mix": {"cloudfront": self.mix.cloudfront},
        }
