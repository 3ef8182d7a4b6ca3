"""``emulator.cdn``: set up and inspect emulated CDN acceleration domains."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Protocol

from providers.emulators.pki import IssuedCertificate
from providers.emulators.tencent import ssl_api
from providers.emulators.tencent.context import ControlHost
from providers.emulators.tencent.state import CdnDomain, vendor_time


class CdnHost(ControlHost, Protocol):
    """The emulator as the CDN set-up needs it: domain names are unique platform-wide."""

    def cdn_domain_taken(self, name: str) -> bool: ...


class CdnControl:
    """Acceleration domains of emulated accounts."""

    def __init__(self, host: CdnHost) -> None:
        self._host = host

    def add_domain(
        self,
        secret_id: str,
        domain: str,
        *,
        cert: IssuedCertificate | None = None,
        locked: bool = False,
        status: str = "online",
        https_options: Mapping[str, Any] | None = None,
    ) -> str:
        """Add an acceleration domain; returns its ResourceId.

        ``cert`` is a certificate the domain already serves: it is uploaded to the account's
        SSL service and bound (HTTPS on). ``https_options`` presets other HTTPS fields, e.g.
        ``{"Http2": "on"}``, so tests can check a bind keeps them.
        """
        name = domain.strip().lower()
        with self._host.lock:
            ctx = self._host.setup_context(secret_id)
            if self._host.cdn_domain_taken(name):
                raise ValueError(f"{name} is already a CDN domain (ResourceInUse.CdnHostExists)")
            resource_id = "cdn-" + ctx.new_id(8).lower()
            record = CdnDomain(name, resource_id, ctx.now, ctx.now, status, locked)
            record.https.update(https_options or {})
            if cert is not None:
                stored, _ = ssl_api.store(
                    ctx.account,
                    cert.chain_pem,
                    cert.key_pem,
                    f"existing {name}",
                    now=ctx.now,
                    new_id=ctx.new_id(8),
                    repeatable=False,
                )
                record.https["Switch"] = "on"
                record.https["CertInfo"] = {
                    "CertId": stored.certificate_id,
                    "DeployTime": vendor_time(ctx.now),
                }
                ctx.bind_edge(name, stored.chain_pem, stored.key_pem)
            ctx.account.domains[name] = record
            return record.resource_id

    def set_locked(self, secret_id: str, domain: str, locked: bool = True) -> None:
        """Lock (or unlock) a domain: UpdateDomainConfig then answers CdnHostIsLocked."""
        with self._host.lock:
            self._host.setup_context(secret_id).account.domains[domain.lower()].locked = locked

    def https_config(self, secret_id: str, domain: str) -> dict[str, Any]:
        """A copy of the domain's stored HTTPS block (what UpdateDomainConfig last set)."""
        with self._host.lock:
            account = self._host.setup_context(secret_id).account
            return copy.deepcopy(account.domains[domain.lower()].https)
