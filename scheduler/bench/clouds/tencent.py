"""Tencent Cloud in a bench: CDN domains, CLB listeners (asynchronous changes) and WAF domains.

Vendor behaviour, from the API pages: every API is limited per account *and per action*
(20 requests/second for the CDN, CLB and WAF actions certfleet uses, 10 for the SSL service's);
calls take tens of milliseconds to read and more to change; a CLB change is an asynchronous task
that runs for seconds. The emulator enforces the limits exactly as stated (per action), so the
bench's ideal makespan is the vendor's physical bound, not certfleet's own budget.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ledger.accounts import add_account
from ledger.db import Database
from ledger.vault import Vault
from providers.emulators.pki import Authority, IssuedCertificate
from providers.emulators.tencent import TencentEmulator
from providers.emulators.tencent.transport import Reply, gateway_page
from scheduler.bench.clouds import Estate, Faults, VendorLog, account_shares

THROTTLE_CODE: Final = "RequestLimitExceeded"
REGION: Final = "ap-guangzhou"
LISTENERS_PER_LOAD_BALANCER: Final = 2
DOMAINS_PER_WAF_INSTANCE: Final = 50

# API family of each action, as the adapters budget them (``family=`` in providers/tencent).
FAMILIES: Final = {
    "UploadCertificate": "ssl",
    "DescribeCertificates": "ssl",
    "DescribeCertificateDetail": "ssl",
    "DescribeDomainsConfig": "cdn",
    "DescribeDomains": "cdn",
    "UpdateDomainConfig": "cdn",
    "DescribeLoadBalancers": "clb",
    "DescribeListeners": "clb",
    "ModifyListener": "clb",
    "ModifyDomainAttributes": "clb",
    "DescribeTaskStatus": "clb",
    "DescribeDomainDetailsSaas": "waf",
    "ModifySpartaProtection": "waf",
}
# The changes whose targets must never be changed twice, and how to name the target.
CHANGES: Final = frozenset(
    {"UploadCertificate", "UpdateDomainConfig", "ModifyListener", "ModifySpartaProtection"}
)


@dataclass(frozen=True)
class TencentBehaviour:
    """Limits (req/s per account and action), latencies (s) and the CLB task duration (s)."""

    default_limit: float = 20.0
    limits: Mapping[str, float] = field(
        default_factory=lambda: {"UploadCertificate": 10.0, "DescribeCertificates": 10.0}
    )
    read_latency: float = 0.06
    latencies: Mapping[str, float] = field(
        default_factory=lambda: {
            "UpdateDomainConfig": 0.15,
            "ModifyListener": 0.15,
            "ModifySpartaProtection": 0.15,
            "UploadCertificate": 0.30,
        }
    )
    slow_share: float = 0.02  # a slow tail: this share of calls takes `slow_latency` instead
    slow_latency: float = 0.40
    clb_task_seconds: float = 2.0

    def latency(self, action: str) -> float:
        return self.latencies.get(action, self.read_latency)

    def limit(self, action: str) -> float:
        return self.limits.get(action, self.default_limit)


@dataclass(frozen=True)
class ProductMix:
    """Shares of an account's resources per product (the rest are CDN domains)."""

    clb: float = 0.15
    waf: float = 0.15

    def split(self, resources: int) -> Counter[str]:
        clb, waf = round(resources * self.clb), round(resources * self.waf)
        return Counter(
            {"tencent.cdn": resources - clb - waf, "tencent.clb": clb, "tencent.waf": waf}
        )


class BenchTencentEmulator(TencentEmulator):
    """The emulator, also keeping the vendor-side log a bench asserts on, and able to lose the
    answer of a change it carried out."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.faults = Faults()
        self._log_lock = threading.Lock()
        self._log = VendorLog()
        self._dice = random.Random(7)  # noqa: S311 - fault dice, not secrets
        self.arrivals: defaultdict[tuple[str, str], list[float]] = defaultdict(list)

    def handle(self, method: str, headers: Mapping[str, str], body: bytes) -> Reply:
        action = headers.get("x-tc-action", "")
        secret_id = headers.get("authorization", "").split("Credential=")[-1].split("/", 1)[0]
        arrived = time.monotonic()
        reply = super().handle(method, headers, body)
        status, _, payload = reply
        key = (secret_id, action)
        error = _error_code(payload) if status == 200 else None
        with self._log_lock:
            self.arrivals[key].append(arrived)
            if status != 200:
                self._log.injected_errors[key] += 1
            elif error is not None and error.startswith(THROTTLE_CODE):
                self._log.throttled[key] += 1
            elif error is None and action in CHANGES:
                target = _target(action, body)
                counter = self._log.uploads if action == "UploadCertificate" else self._log.binds
                counter[(secret_id, target)] += 1
            lose = error is None and action in CHANGES and self._roll(self.faults.lost_answer)
        return gateway_page(502) if lose else reply

    def _roll(self, share: float) -> bool:
        return share > 0 and self._dice.random() < share

    def vendor_log(self) -> VendorLog:
        """Admitted calls from the emulator; the rest from this class's own counting."""
        admitted: Counter[tuple[str, str]] = Counter(
            {(k[0], k[1]): n for k, n in self.calls.items() if len(k) == 2}
        )
        by_limit = self.throttled
        with self._log_lock:
            answered = self._log.throttled.copy()
            return VendorLog(
                admitted=admitted,
                throttled=by_limit,
                injected_throttles=answered - by_limit,
                injected_errors=self._log.injected_errors.copy(),
                uploads=self._log.uploads.copy(),
                binds=self._log.binds.copy(),
            )


def _error_code(payload: bytes) -> str | None:
    if b'"Error"' not in payload:
        return None
    error = json.loads(payload)["Response"].get("Error") or {}
    return str(error.get("Code") or "")


def _target(action: str, body: bytes) -> str:
    params = json.loads(body or b"{}")
    if action == "UploadCertificate":
        public = str(params.get("CertificatePublicKey", "")).encode()
        return hashlib.sha256(public).hexdigest()[:16]
    if action == "UpdateDomainConfig":
        return str(params.get("Domain"))
    if action == "ModifyListener":
        return f"{params.get('LoadBalancerId')}/{params.get('ListenerId')}"
    return f"{params.get('InstanceID')}/{params.get('Domain')}"


class TencentCloud:
    """:class:`scheduler.bench.clouds.BenchCloud` for Tencent Cloud."""

    provider = "tencent"

    def __init__(
        self, behaviour: TencentBehaviour | None = None, mix: ProductMix | None = None
    ) -> None:
        self.behaviour = behaviour or TencentBehaviour()
        self.mix = mix or ProductMix()
        self.emulator = BenchTencentEmulator(seed=11)

    def start(self) -> None:
        self.emulator.start()

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
            secret_id = f"AKIDbench{number:04d}tencentxx"
            self.emulator.add_account(secret_id, f"secret-{number}")
            self._seed_account(secret_id, number, products, old)
            name = f"acct{number}"
            with database.unit_of_work() as session:
                add_account(
                    session,
                    vault,
                    name=name,
                    provider=self.provider,
                    access_key_id=secret_id,
                    secret=f"secret-{number}",
                    regions=[REGION],
                    api_endpoint=self.emulator.endpoint,
                    tls_edge=self.emulator.tls_edge,
                )
            estate.accounts[name] = +products
            estate.vendor_ids[name] = secret_id
        return estate

    def _seed_account(
        self, secret_id: str, number: int, products: Counter[str], old: IssuedCertificate
    ) -> None:
        for i in range(products["tencent.cdn"]):
            self.emulator.add_cdn_domain(secret_id, f"a{number}-cdn{i:05d}.fleet.test", cert=old)
        load_balancer = ""
        for i in range(products["tencent.clb"]):
            if i % LISTENERS_PER_LOAD_BALANCER == 0:
                load_balancer = self.emulator.clb.add_load_balancer(secret_id, region=REGION)
            self.emulator.clb.add_listener(
                secret_id, load_balancer, domains=[f"a{number}-clb{i:05d}.fleet.test"], cert=old
            )
        instance = ""
        for i in range(products["tencent.waf"]):
            if i % DOMAINS_PER_WAF_INSTANCE == 0:
                instance = self.emulator.waf.add_instance(secret_id)
            self.emulator.waf.add_domain(
                secret_id, f"a{number}-waf{i:05d}.fleet.test", cert=old, instance_id=instance
            )

    def behave(self, faults: Faults) -> None:
        behaviour, emulator = self.behaviour, self.emulator
        emulator.clear_faults()
        emulator.faults = faults
        emulator.clb.set_task_seconds(behaviour.clb_task_seconds)
        emulator.set_rate_limit(None, behaviour.default_limit)
        for action, limit in behaviour.limits.items():
            emulator.set_rate_limit(action, limit)
        slow = behaviour.slow_latency
        # The emulator applies the first matching fault, so the rarer ones go first; each keeps
        # a latency, since a failing vendor is not a fast one.
        if faults.server_error:
            emulator.inject(
                None, http_status=502, latency=slow, probability=faults.server_error, times=None
            )
        if faults.throttle:
            share = faults.throttle / (1 - faults.server_error)  # of the calls left
            emulator.inject(
                None,
                error_code=THROTTLE_CODE,
                latency=behaviour.read_latency,
                probability=share,
                times=None,
            )
        if behaviour.slow_share:
            emulator.inject(None, latency=slow, probability=behaviour.slow_share, times=None)
        for action, latency in behaviour.latencies.items():
            emulator.inject(action, latency=latency, times=None)
        emulator.inject(None, latency=behaviour.read_latency, times=None)

    def calm(self) -> None:
        emulator = self.emulator
        emulator.clear_faults()
        emulator.faults = Faults()
        emulator.set_rate_limit(None, None)
        for action in self.behaviour.limits:
            emulator.set_rate_limit(action, None)

    def log(self) -> VendorLog:
        return self.emulator.vendor_log()

    def vendor_bucket(self, action: str) -> str:
        return action  # limited per account and action

    def limit(self, bucket: str) -> float:
        return self.behaviour.limit(bucket)

    def family(self, action: str) -> str:
        return FAMILIES.get(action, "ssl")

    def budget(self, family: str) -> float:
        from workers.runtime import product_rates  # noqa: PLC0415 - what the workers use

        return product_rates().get(f"{self.provider}.{family}", 10.0)

    def describe(self) -> Mapping[str, object]:
        b = self.behaviour
        return {
            "limits_per_account_and_action": {"default": b.default_limit, **b.limits},
            "latency_s": {"reads": b.read_latency, **b.latencies},
            "slow_tail": {"share": b.slow_share, "latency_s": b.slow_latency},
            "clb_task_s": b.clb_task_seconds,
            "product_mix": {"clb": self.mix.clb, "waf": self.mix.waf},
        }
