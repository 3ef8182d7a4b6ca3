"""Huawei Cloud in a bench: CDN domains (certificates inline) and ELB v3 HTTPS listeners.

Vendor behaviour: the API gateway limits each operation per AccessKey (429 ``APIGW.0308``
beyond it; certfleet's product metadata budgets 10 requests/second per family, and the bench
gives every operation that limit); reads take tens of milliseconds, changes more. CDN takes the
certificate inline with each HTTPS change, so only ELB has uploads (``CreateCertificate``).
"""

from __future__ import annotations

import hashlib
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
from providers.emulators.huawei import HuaweiEmulator, errors
from providers.emulators.huawei import gateway as huawei_gateway
from providers.emulators.huawei.errors import ApiError
from providers.emulators.huawei.server import ROUTES
from providers.emulators.huawei.transport import Reply, Request, gateway_page
from providers.emulators.pki import Authority, IssuedCertificate
from scheduler.bench.clouds import Estate, Faults, VendorLog, account_shares

REGION: Final = "cn-north-4"
LISTENERS_PER_LOAD_BALANCER: Final = 2
FAMILIES: Final = {
    "ListDomains": "cdn",
    "ShowDomainFullConfig": "cdn",
    "UpdateDomainFullConfig": "cdn",
}  # every other operation is ELB's
CHANGES: Final = frozenset({"CreateCertificate", "UpdateDomainFullConfig", "UpdateListener"})


@dataclass(frozen=True)
class HuaweiBehaviour:
    """Limits (req/s per AccessKey and operation) and latencies (s)."""

    default_limit: float = 10.0
    limits: Mapping[str, float] = field(default_factory=dict)
    read_latency: float = 0.05
    latencies: Mapping[str, float] = field(
        default_factory=lambda: {
            "UpdateDomainFullConfig": 0.12,
            "UpdateListener": 0.12,
            "CreateCertificate": 0.2,
        }
    )
    slow_share: float = 0.02
    slow_latency: float = 0.4

    def limit(self, operation: str) -> float:
        return self.limits.get(operation, self.default_limit)


class BenchHuaweiEmulator(HuaweiEmulator):
    """The emulator, keeping the vendor-side log a bench asserts on (see the Tencent one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bench_faults = Faults()
        self._log_lock = threading.Lock()
        self._log = VendorLog()
        self._dice = random.Random(8)  # noqa: S311 - fault dice, not secrets
        self.arrivals: defaultdict[tuple[str, str], list[float]] = defaultdict(list)

    def handle(self, request: Request) -> Reply:
        arrived = time.monotonic()
        reply = super().handle(request)
        operation, target = _operation(request)
        access_key = _access_key(request)
        key = (access_key, operation)
        with self._log_lock:
            self.arrivals[key].append(arrived)
            if reply.status == 429:
                self._log.throttled[key] += 1
            elif reply.status >= 500:
                self._log.injected_errors[key] += 1
            elif reply.status < 400 and operation in CHANGES:
                if operation == "CreateCertificate":
                    self._log.uploads[(access_key, hashlib.sha256(request.body).hexdigest())] += 1
                else:
                    self._log.binds[(access_key, target)] += 1
            lose = (
                reply.status < 400
                and operation in CHANGES
                and self.bench_faults.lost_answer > 0
                and self._dice.random() < self.bench_faults.lost_answer
            )
        return gateway_page(502, reply.request_id) if lose else reply

    def vendor_log(self) -> VendorLog:
        admitted: Counter[tuple[str, str]] = Counter(
            {(k[0], k[1]): n for k, n in self.calls.items() if len(k) == 2}
        )
        by_limit = self.throttled
        with self._log_lock:
            return VendorLog(
                admitted=admitted,
                throttled=by_limit,
                injected_throttles=self._log.throttled - by_limit,
                injected_errors=self._log.injected_errors.copy(),
                uploads=self._log.uploads.copy(),
                binds=self._log.binds.copy(),
            )


def _operation(request: Request) -> tuple[str, str]:
    try:
        routed = huawei_gateway.find_route(ROUTES, request)
    except ApiError:
        return "unknown", ""
    target = routed.path.get(routed.route.target or "", "")
    return routed.route.operation, target


def _access_key(request: Request) -> str:
    authorization = request.headers.get("authorization", "")
    return authorization.split("Access=", 1)[-1].split(",", 1)[0]


@dataclass(frozen=True)
class HuaweiMix:
    """Share of an account's resources that are ELB listeners (the rest are CDN domains)."""

    elb: float = 0.2

    def split(self, resources: int) -> Counter[str]:
        elb = round(resources * self.elb)
        return Counter({"huawei.cdn": resources - elb, "huawei.elb": elb})


class HuaweiCloud:
    """:class:`scheduler.bench.clouds.BenchCloud` for Huawei Cloud."""

    provider = "huawei"

    def __init__(self, behaviour: HuaweiBehaviour | None = None, mix: HuaweiMix | None = None):
        self.behaviour = behaviour or HuaweiBehaviour()
        self.mix = mix or HuaweiMix()
        self.emulator = BenchHuaweiEmulator(seed=12)

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
            access_key = f"HWBENCH{number:04d}ACCESSKEY"
            ids = self.emulator.add_account(access_key, f"secret-{number}", regions=(REGION,))
            self._seed_account(access_key, number, products, old)
            name = f"acct{number}"
            with database.unit_of_work() as session:
                add_account(
                    session,
                    vault,
                    name=name,
                    provider=self.provider,
                    access_key_id=access_key,
                    secret=f"secret-{number}",
                    regions=[REGION],
                    api_endpoint=self.emulator.endpoint,
                    tls_edge=self.emulator.tls_edge,
                    options=ids.options(),
                )
            estate.accounts[name] = +products
            estate.vendor_ids[name] = access_key
        return estate

    def _seed_account(
        self, access_key: str, number: int, products: Counter[str], old: IssuedCertificate
    ) -> None:
        emulator = self.emulator
        for i in range(products["huawei.cdn"]):
            emulator.add_cdn_domain(access_key, f"a{number}-hcdn{i:05d}.fleet.test", cert=old)
        balancer = ""
        for i in range(products["huawei.elb"]):
            if i % LISTENERS_PER_LOAD_BALANCER == 0:
                balancer = emulator.add_load_balancer(access_key, REGION)
            host = f"a{number}-elb{i:05d}.fleet.test"
            cert_id = emulator.add_certificate(access_key, REGION, old, domain=host)
            emulator.add_listener(access_key, REGION, balancer, default_certificate=cert_id)

    def behave(self, faults: Faults) -> None:
        behaviour, emulator = self.behaviour, self.emulator
        emulator.clear_faults()
        emulator.bench_faults = faults
        emulator.set_rate_limit(None, behaviour.default_limit)
        for operation, limit in behaviour.limits.items():
            emulator.set_rate_limit(operation, limit)
        slow = behaviour.slow_latency
        if faults.server_error:
            emulator.inject(
                None, http_status=502, latency=slow, probability=faults.server_error, times=None
            )
        if faults.throttle:
            emulator.inject(
                None,
                error_code=errors.THROTTLED,
                latency=behaviour.read_latency,
                probability=faults.throttle / (1 - faults.server_error),
                times=None,
            )
        if behaviour.slow_share:
            emulator.inject(None, latency=slow, probability=behaviour.slow_share, times=None)
        for operation, latency in behaviour.latencies.items():
            emulator.inject(operation, latency=latency, times=None)
        emulator.inject(None, latency=behaviour.read_latency, times=None)

    def calm(self) -> None:
        self.emulator.clear_faults()
        self.emulator.bench_faults = Faults()
        self.emulator.set_rate_limit(None, None)
        for operation in self.behaviour.limits:
            self.emulator.set_rate_limit(operation, None)

    def log(self) -> VendorLog:
        return self.emulator.vendor_log()

    def vendor_bucket(self, action: str) -> str:
        return action  # limited per account and action

    def limit(self, bucket: str) -> float:
        return self.behaviour.limit(bucket)

    def family(self, action: str) -> str:
        return FAMILIES.get(action, "elb")

    def budget(self, family: str) -> float:
        from workers.runtime import product_rates  # noqa: PLC0415 - what the workers use

        return product_rates().get(f"{self.provider}.{family}", 10.0)

    def describe(self) -> Mapping[str, object]:
        b = self.behaviour
        return {
            "limits_per_account_and_operation": {"default": b.default_limit, **b.limits},
            "latency_s": {"reads": b.read_latency, **b.latencies},
            "slow_tail": {"share": b.slow_share, "latency_s": b.slow_latency},
            "product_mix": {"elb": self.mix.elb},
        }
