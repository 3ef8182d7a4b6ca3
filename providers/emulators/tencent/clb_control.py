"""``emulator.clb``: set up and inspect emulated load balancers, for tests and demos.

Plain method calls, never HTTP, so no admin surface needs securing (like the CDN set-up). The
knobs model what the vendor does to callers: task duration, failing tasks, isolated instances.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Mapping
from typing import Final

from providers.emulators.pki import IssuedCertificate
from providers.emulators.tencent import clb_api, ssl_api
from providers.emulators.tencent.context import ActionContext, ControlHost, EmulatorSettings
from providers.emulators.tencent.state import ClbListener, ClbRule, LoadBalancer

_ID_LENGTH: Final = 8  # "lb-0lh5au7v", "lbl-2yju432e", "loc-9fpa0n2k"


class ClbControl:
    """Load balancers, listeners and rules of emulated accounts, and how their tasks behave."""

    def __init__(self, host: ControlHost, settings: EmulatorSettings) -> None:
        self._host = host
        self._settings = settings
        self._vips = itertools.count(1)

    def add_load_balancer(
        self, secret_id: str, *, region: str = "ap-guangzhou", name: str = ""
    ) -> str:
        """Create a CLB instance in ``region``; returns its LoadBalancerId."""
        if region not in clb_api.REGIONS:
            raise ValueError(f"unknown region {region}")
        with self._host.lock:
            ctx = self._host.setup_context(secret_id)
            lb_id = "lb-" + ctx.new_id(_ID_LENGTH).lower()
            number = next(self._vips)
            vip = f"198.51.{100 + number // 250}.{number % 250 + 1}"
            lb = LoadBalancer(lb_id, name or lb_id, region, vip, ctx.now)
            ctx.account.load_balancers[lb_id] = lb
            return lb_id

    def add_listener(
        self,
        secret_id: str,
        load_balancer_id: str,
        *,
        domains: Iterable[str] = (),
        sni: bool = False,
        cert: IssuedCertificate | None = None,
        domain_certs: Mapping[str, IssuedCertificate] | None = None,
        protocol: str = "HTTPS",
        mutual: bool = False,
        name: str = "",
    ) -> str:
        """Add a listener with one rule (URL ``/``) per domain; returns its ListenerId.

        ``cert`` is the listener's certificate (SNI off), ``domain_certs`` the per-domain
        certificates (SNI on); each is uploaded to the account's SSL service and served on the
        TLS edge. ``mutual`` makes the listener authenticate clients (SSLMode MUTUAL).
        """
        with self._host.lock:
            ctx = self._host.setup_context(secret_id)
            lb = self._load_balancer(ctx, load_balancer_id)
            listener = ClbListener(
                listener_id="lbl-" + ctx.new_id(_ID_LENGTH).lower(),
                name=name or f"{protocol.lower()}-{443 + len(lb.listeners)}",
                protocol=protocol,
                port=443 + len(lb.listeners),
                sni=sni,
                created=ctx.now,
            )
            for domain in domains:
                location = "loc-" + ctx.new_id(_ID_LENGTH).lower()
                listener.rules.append(ClbRule(location, domain.strip().lower(), "/", ctx.now))
            ca_id = "ca-" + ctx.new_id(_ID_LENGTH).lower() if mutual else None
            if cert is not None:
                listener.certificate = _block(ctx, cert, f"existing {listener.name}", ca_id)
                for domain in listener.domains():
                    ctx.bind_edge(domain, cert.chain_pem, cert.key_pem)
            for domain, issued in (domain_certs or {}).items():
                host = domain.strip().lower()
                listener.domain_certificates[host] = _block(ctx, issued, f"existing {host}", ca_id)
                ctx.bind_edge(host, issued.chain_pem, issued.key_pem)
            lb.listeners[listener.listener_id] = listener
            return listener.listener_id

    def set_task_seconds(self, seconds: float) -> None:
        """How long each change stays "running" (DescribeTaskStatus 2) before it applies."""
        self._settings.clb_task_seconds = seconds

    def fail_next_tasks(
        self, secret_id: str, load_balancer_id: str, message: str, times: int = 1
    ) -> None:
        """The next ``times`` changes of this instance end with status 1 and ``message``."""
        with self._host.lock:
            lb = self._load_balancer(self._host.setup_context(secret_id), load_balancer_id)
            lb.planned_failures.extend([message] * times)

    def isolate(self, secret_id: str, load_balancer_id: str, isolated: bool = True) -> None:
        """Isolate (overdue payment) or restore an instance: changes answer InvalidLBStatus."""
        with self._host.lock:
            ctx = self._host.setup_context(secret_id)
            self._load_balancer(ctx, load_balancer_id).isolated = isolated

    def certificate(
        self, secret_id: str, load_balancer_id: str, listener_id: str, domain: str | None = None
    ) -> dict[str, str] | None:
        """A copy of the certificate block a listener (or one of its SNI domains) holds now."""
        with self._host.lock:
            ctx = self._host.setup_context(secret_id)
            lb = self._load_balancer(ctx, load_balancer_id)
            clb_api.settle(ctx, lb)
            listener = lb.listeners[listener_id]
            if domain is None:
                return copy.deepcopy(listener.certificate)
            return copy.deepcopy(listener.domain_certificates.get(domain.lower()))

    def busy(self, secret_id: str, load_balancer_id: str) -> bool:
        """Whether a change is running on the instance (another would be refused)."""
        with self._host.lock:
            ctx = self._host.setup_context(secret_id)
            return clb_api.busy(ctx, self._load_balancer(ctx, load_balancer_id))

    @staticmethod
    def _load_balancer(ctx: ActionContext, load_balancer_id: str) -> LoadBalancer:
        try:
            return ctx.account.load_balancers[load_balancer_id]
        except KeyError:
            raise KeyError(f"no load balancer {load_balancer_id} in this account") from None


def _block(
    ctx: ActionContext, cert: IssuedCertificate, alias: str, ca_id: str | None
) -> dict[str, str]:
    stored, _ = ssl_api.store(
        ctx.account,
        cert.chain_pem,
        cert.key_pem,
        alias,
        now=ctx.now,
        new_id=ctx.new_id(_ID_LENGTH),
        repeatable=False,
    )
    if ca_id is None:
        return {"SSLMode": "UNIDIRECTIONAL", "CertId": stored.certificate_id}
    return {"SSLMode": "MUTUAL", "CertId": stored.certificate_id, "CertCaId": ca_id}
