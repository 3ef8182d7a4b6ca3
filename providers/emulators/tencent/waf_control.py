"""``emulator.waf``: set up and inspect emulated WAF instances and protected domains."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Final

from providers.emulators.pki import IssuedCertificate
from providers.emulators.tencent import ssl_api, waf_api
from providers.emulators.tencent.context import ActionContext, ControlHost
from providers.emulators.tencent.state import WafDomain, WafInstance

_HTTP_PORT: Final = {"Port": "80", "Protocol": "http", "UpstreamPort": "80"}
_HTTPS_PORT: Final = {"Port": "443", "Protocol": "https", "UpstreamPort": "80"}


@dataclass(frozen=True)
class WafDomainRef:
    """The ids a protected domain is known by in the WAF API."""

    instance_id: str
    domain_id: str
    domain: str


class WafControl:
    """WAF instances and domains of emulated accounts."""

    def __init__(self, host: ControlHost) -> None:
        self._host = host

    def add_instance(self, secret_id: str, *, edition: str = waf_api.SAAS, name: str = "") -> str:
        """Create a WAF instance (``sparta-waf`` or ``clb-waf``); returns its InstanceId."""
        with self._host.lock:
            ctx = self._host.setup_context(secret_id)
            instance_id = "waf_" + ctx.new_id(12).lower()
            ctx.account.waf_instances[instance_id] = WafInstance(
                instance_id, name or f"{edition} {instance_id}", edition
            )
            return instance_id

    def add_domain(
        self,
        secret_id: str,
        domain: str,
        *,
        cert: IssuedCertificate | None = None,
        https: bool = True,
        edition: str = waf_api.SAAS,
        instance_id: str | None = None,
    ) -> WafDomainRef:
        """Protect ``domain`` (on a new instance unless ``instance_id`` is given).

        ``https`` gives it a 443 HTTPS port next to port 80; ``cert`` is the certificate it
        serves now: uploaded to the account's SSL service, bound as CertType 2, served on the
        TLS edge.
        """
        name = domain.strip().lower()
        instance = instance_id or self.add_instance(secret_id, edition=edition)
        with self._host.lock:
            ctx = self._host.setup_context(secret_id)
            if instance not in ctx.account.waf_instances:
                raise KeyError(f"no WAF instance {instance} in this account")
            edition = ctx.account.waf_instances[instance].edition
            if any(
                d.domain == name and d.edition == edition for d in ctx.account.waf_domains.values()
            ):
                raise ValueError(f"{name} is already protected by a {edition} instance")
            record = WafDomain(
                domain=name,
                domain_id="waf_" + ctx.new_id(16).lower(),
                instance_id=instance,
                edition=edition,
                created=ctx.now,
                modified=ctx.now,
                ports=[dict(_HTTP_PORT), *([dict(_HTTPS_PORT)] if https else [])],
                settings=waf_api.default_settings(),
            )
            if cert is not None and edition == waf_api.SAAS:
                record.cert_type, record.ssl_id = 2, _store(ctx, cert, f"existing {name}")
                ctx.bind_edge(name, cert.chain_pem, cert.key_pem)
            ctx.account.waf_domains[record.domain_id] = record
            return WafDomainRef(instance, record.domain_id, name)

    def expire_instance(self, secret_id: str, instance_id: str, expired: bool = True) -> None:
        """Let an instance expire: ModifySpartaProtection on its domains is refused."""
        with self._host.lock:
            ctx = self._host.setup_context(secret_id)
            ctx.account.waf_instances[instance_id].expired = expired

    def domain_config(self, secret_id: str, domain_id: str) -> dict[str, Any]:
        """A copy of what a domain holds now: CertType, SSLId, Ports and its other settings."""
        with self._host.lock:
            record = self._host.setup_context(secret_id).account.waf_domains[domain_id]
            return {
                **copy.deepcopy(record.settings),
                "CertType": record.cert_type,
                "SSLId": record.ssl_id,
                "Ports": copy.deepcopy(record.ports),
            }


def _store(ctx: ActionContext, cert: IssuedCertificate, alias: str) -> str:
    stored, _ = ssl_api.store(
        ctx.account,
        cert.chain_pem,
        cert.key_pem,
        alias,
        now=ctx.now,
        new_id=ctx.new_id(8),
        repeatable=False,
    )
    return stored.certificate_id
