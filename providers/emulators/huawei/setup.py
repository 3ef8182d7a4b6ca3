"""Set-up and inspection of the Huawei emulator for tests and demos: plain method calls.

Accounts, domains, load balancers and certificates created here bypass the API (and its
counters), the way resources made in the console are simply there when certfleet arrives.
"""

from __future__ import annotations

import copy
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from providers.emulators.faults import CallCounts, Fault, FaultPlan, RateLimits
from providers.emulators.huawei import elb_api, elb_certificates
from providers.emulators.huawei.gateway import SignatureLockout
from providers.emulators.huawei.state import (
    AccountState,
    CdnDomain,
    ElbCertificate,
    Listener,
    LoadBalancer,
    Project,
    epoch_ms,
    parse_pair,
    split_domains,
)
from providers.emulators.pki import IssuedCertificate
from providers.emulators.tls_edge import TlsEdge


@dataclass(frozen=True)
class EmulatedAccount:
    """The ids an account was given: what certfleet's Account must carry in its options."""

    access_key: str
    domain_id: str
    projects: Mapping[str, str]  # region -> project id

    def options(self) -> dict[str, str]:
        """``{"domain_id": …, "project_id.<region>": …}`` for :class:`providers.base.Account`."""
        return {"domain_id": self.domain_id} | {
            f"project_id.{region}": project for region, project in self.projects.items()
        }


class EmulatorSetup:
    """State of the emulator and the methods tests use to shape and inspect it."""

    def __init__(self, edge: TlsEdge, *, clock: Callable[[], float], seed: int | None) -> None:
        self.edge = edge
        self.clock = clock  # replace to simulate a skewed client or server clock
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._accounts: dict[str, AccountState] = {}
        self._counts = CallCounts()
        self._uploads: Counter[tuple[str, str]] = Counter()
        self._listener_hosts: dict[str, set[str]] = {}  # listener id -> hostnames on the edge
        # Late-bound on purpose: tests replace ``self.clock`` after construction.
        self.limits = RateLimits(lambda: self.clock())  # noqa: PLW0108
        self.faults = FaultPlan(random.Random(seed))
        self.lockout = SignatureLockout(lambda: self.clock())  # noqa: PLW0108

    # -- accounts and CDN ------------------------------------------------------------------

    def add_account(
        self, access_key: str, secret_key: str, *, regions: Iterable[str] = ("cn-north-4",)
    ) -> EmulatedAccount:
        """Create an account reachable with this AK/SK, with one project per region."""
        with self._lock:
            if access_key in self._accounts:
                raise ValueError(f"account {access_key} already exists")
            account = AccountState(access_key, secret_key, self._new_id())
            for region in regions:
                project = Project(self._new_id(), region)
                account.projects[project.project_id] = project
            self._accounts[access_key] = account
            projects = {p.region: p.project_id for p in account.projects.values()}
            return EmulatedAccount(access_key, account.domain_id, MappingProxyType(projects))

    def add_cdn_domain(
        self,
        access_key: str,
        domain: str,
        *,
        cert: IssuedCertificate | None = None,
        status: str = "online",
        locked: bool = False,
        https_options: Mapping[str, Any] | None = None,
    ) -> str:
        """Add an acceleration domain (serving ``cert`` over HTTPS if given); returns its id.

        ``https_options`` presets other HTTPS fields (``{"http2_status": "on"}``) so tests can
        check a bind keeps them.
        """
        name = domain.strip().lower()
        now = self._now()
        with self._lock:
            account = self._account(access_key)
            if any(name in other.cdn_domains for other in self._accounts.values()):
                raise ValueError(f"{name} is already an acceleration domain (CDN.0101)")
            record = CdnDomain(name, self._new_id(), now, now, status, locked)
            record.https.update(https_options or {})
            if cert is not None:
                parse_pair(cert.chain_pem, cert.key_pem)
                record.https.update(
                    https_status="on",
                    certificate_name=f"existing-{name.removeprefix('*.')}"[:64],
                    certificate_value=cert.chain_pem,
                    private_key=cert.key_pem,
                    expire_time=epoch_ms(cert.certificate.not_valid_after_utc),
                )
                self.edge.bind(name, cert.chain_pem, cert.key_pem)
            account.cdn_domains[name] = record
            return record.domain_id

    def set_cdn_locked(self, access_key: str, domain: str, locked: bool = True) -> None:
        """Lock (or unlock) a domain: changes then answer CDN.0116."""
        with self._lock:
            self._account(access_key).cdn_domains[domain.lower()].locked = locked

    def set_cdn_status(self, access_key: str, domain: str, status: str) -> None:
        """Set ``domain_status`` (``offline``, ``configuring`` …); offline refuses changes."""
        with self._lock:
            self._account(access_key).cdn_domains[domain.lower()].status = status

    def cdn_https(self, access_key: str, domain: str) -> dict[str, Any]:
        """A copy of the domain's stored HTTPS block, private key left out."""
        with self._lock:
            https = self._account(access_key).cdn_domains[domain.lower()].https
            return {k: copy.deepcopy(v) for k, v in https.items() if k != "private_key"}

    # -- ELB -------------------------------------------------------------------------------

    def add_load_balancer(self, access_key: str, region: str, *, name: str = "") -> str:
        with self._lock:
            project = self._account(access_key).project_in(region)
            lb_id = self._new_id()
            vip = f"192.168.{self._rng.randrange(256)}.{self._rng.randrange(1, 255)}"
            project.loadbalancers[lb_id] = LoadBalancer(
                lb_id, name or f"elb-{lb_id[:6]}", self._now(), vip
            )
            return lb_id

    def add_certificate(
        self,
        access_key: str,
        region: str,
        cert: IssuedCertificate,
        *,
        name: str = "",
        domain: str = "",
    ) -> str:
        """Store an ELB certificate (``domain`` as an operator would declare it); its id."""
        chain = parse_pair(cert.chain_pem, cert.key_pem)
        now = self._now()
        with self._lock:
            project = self._account(access_key).project_in(region)
            declared = ",".join(split_domains(domain))
            stored = ElbCertificate(
                self._new_id(), name, cert.chain_pem, cert.key_pem, chain, declared, now, now
            )
            project.certificates[stored.certificate_id] = stored
            return stored.certificate_id

    def add_listener(
        self,
        access_key: str,
        region: str,
        loadbalancer_id: str,
        *,
        protocol: str = "HTTPS",
        port: int | None = None,
        default_certificate: str | None = None,
        sni_certificates: Iterable[str] = (),
        name: str = "",
    ) -> str:
        """Add a listener holding these certificate ids, served on the edge; its id."""
        now = self._now()
        with self._lock:
            project = self._account(access_key).project_in(region)
            if loadbalancer_id not in project.loadbalancers:
                raise KeyError(f"no load balancer {loadbalancer_id} in {region}")
            used = {item.port for item in project.listeners.values()}
            free = (number for number in range(443, 65536) if number not in used)
            chosen = port if port is not None else next(free)
            listener = Listener(
                self._new_id(),
                name or f"listener-{chosen}",
                loadbalancer_id,
                protocol,
                chosen,
                now,
                now,
                default_certificate,
                list(sni_certificates),
            )
            project.listeners[listener.listener_id] = listener
            self._sync_listener(project, listener)
            return listener.listener_id

    def listener_state(self, access_key: str, region: str, listener_id: str) -> dict[str, Any]:
        """The listener as ListListeners shows it."""
        with self._lock:
            project = self._account(access_key).project_in(region)
            return elb_api.listener_view(project, project.listeners[listener_id])

    def certificate_state(self, access_key: str, region: str, cert_id: str) -> dict[str, Any]:
        """The certificate as ShowCertificate shows it (private key masked here)."""
        with self._lock:
            project = self._account(access_key).project_in(region)
            shown = elb_certificates.view(project, project.certificates[cert_id])
            return shown | {"private_key": "******"}

    def certificate_ids(self, access_key: str, region: str) -> list[str]:
        with self._lock:
            return list(self._account(access_key).project_in(region).certificates)

    def set_private_key_echo(self, access_key: str, region: str, echo: bool) -> None:
        """The project's "private key echo" switch (on by default at the vendor)."""
        with self._lock:
            self._account(access_key).project_in(region).private_key_echo = echo

    # -- the gateway's unkind side ---------------------------------------------------------

    def set_rate_limit(self, operation: str | None, per_second: float | None) -> None:
        """Per-AK token bucket for ``operation`` (None: every other operation); None lifts it.

        Calls beyond it answer 429 APIGW.0308 and are counted in :attr:`throttled`.
        """
        self.limits.set(operation, per_second)

    def inject(
        self,
        operation: str | None,
        *,
        error_code: str | None = None,
        message: str | None = None,
        http_status: int | None = None,
        latency: float = 0.0,
        times: int | None = 1,
        probability: float | None = None,
        access_key: str | None = None,
        target: str | None = None,
    ) -> None:
        """Make matching calls slow and/or fail (see :class:`providers.emulators.faults.Fault`).

        ``operation`` is the vendor's name (``UpdateListener``); ``target`` a listener,
        certificate or domain the call names in its path.
        """
        self.faults.add(
            Fault(
                operation,
                access_key,
                target,
                error_code=error_code,
                message=message,
                http_status=http_status,
                latency=latency,
                remaining=times,
                probability=probability,
            )
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    @property
    def calls(self) -> Counter[tuple[str, ...]]:
        """Snapshot: admitted calls per ``(ak, operation)`` and, for calls naming a listener,
        certificate or domain in their path, per ``(ak, operation, that id)``."""
        return self._counts.calls

    @property
    def throttled(self) -> Counter[tuple[str, str]]:
        """Snapshot: calls refused with 429 APIGW.0308 per ``(ak, operation)``."""
        return self._counts.throttled

    @property
    def uploads(self) -> Counter[tuple[str, str]]:
        """Snapshot: certificate bodies accepted over the API per ``(ak, leaf SHA-256)`` —
        ELB creates and updates, and CDN HTTPS configurations (CDN takes them inline)."""
        with self._lock:
            return Counter(self._uploads)

    # -- helpers ---------------------------------------------------------------------------

    def _sync_listener(self, project: Project, listener: Listener) -> None:
        """Serve on the edge exactly what the listener presents now (caller holds the lock).

        The edge is keyed by hostname only, so two listeners serving one hostname with
        different certificates overwrite each other here (at Huawei they have different IPs).
        """
        served = elb_api.served_hostnames(project, listener)
        previous = self._listener_hosts.get(listener.listener_id, set())
        for hostname in previous - set(served):
            self.edge.unbind(hostname)
        for hostname, cert in served.items():
            self.edge.bind(hostname, cert.chain_pem, cert.key_pem)
        self._listener_hosts[listener.listener_id] = set(served)

    def _account(self, access_key: str) -> AccountState:
        try:
            return self._accounts[access_key]
        except KeyError:
            raise KeyError(f"no emulated account {access_key}; call add_account first") from None

    def _new_id(self) -> str:
        with self._lock:
            return f"{self._rng.getrandbits(128):032x}"

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)
