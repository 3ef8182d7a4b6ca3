"""What the emulated Tencent Cloud remembers per account: certificates, CDN, CLB and WAF.

Plain data; the emulator's lock guards every read and write. Times are kept in UTC and shown
the vendor's way (``YYYY-MM-DD HH:MM:SS`` in Beijing time, GMT+8) by :func:`vendor_time`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from cryptography import x509

from providers.emulators.pki import common_name, dns_names, fingerprint

BEIJING: Final = timezone(timedelta(hours=8), "GMT+8")
VENDOR_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"


def vendor_time(moment: datetime) -> str:
    """``2024-05-01 20:00:00``: how the SSL and CDN APIs print times (GMT+8)."""
    return moment.astimezone(BEIJING).strftime(VENDOR_TIME_FORMAT)


@dataclass(frozen=True)
class StoredCertificate:
    """One upload in the SSL certificate service."""

    certificate_id: str
    alias: str
    chain_pem: str
    key_pem: str
    chain: tuple[x509.Certificate, ...]  # leaf first
    inserted: datetime

    @property
    def leaf(self) -> x509.Certificate:
        return self.chain[0]

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the leaf's DER: what "the same certificate" means to the vendor."""
        return fingerprint(self.leaf)

    @property
    def identity(self) -> tuple[str, ...]:
        """Fingerprints of leaf and chain: an identical upload has the same identity."""
        return tuple(fingerprint(c) for c in self.chain)

    @property
    def common_name(self) -> str:
        return common_name(self.leaf)

    @property
    def names(self) -> tuple[str, ...]:
        """DNS SANs; the CN only when there is no SAN extension (as CAs used to issue)."""
        return dns_names(self.leaf)

    @property
    def domain(self) -> str:
        """The vendor's "main domain": the CN, else the first SAN."""
        return self.common_name or (self.names[0] if self.names else "")


def default_https() -> dict[str, Any]:
    """An HTTPS block as UpdateDomainConfig resets it: fields it was not given go back here."""
    return {
        "Switch": "off",
        "Http2": "off",
        "OcspStapling": "off",
        "VerifyClient": "off",
        "Spdy": "off",
        "Hsts": {"Switch": "off", "MaxAge": 0, "IncludeSubDomains": "off"},
        "CertInfo": None,
    }


@dataclass
class CdnDomain:
    """One CDN acceleration domain and its HTTPS configuration."""

    domain: str
    resource_id: str
    created: datetime
    updated: datetime
    status: str = "online"
    locked: bool = False
    https: dict[str, Any] = field(default_factory=default_https)


@dataclass
class ClbRule:
    """A layer-7 forwarding rule: a domain and a URL path on an HTTP(S) listener."""

    location_id: str
    domain: str
    url: str
    created: datetime


@dataclass
class ClbListener:
    """A CLB listener. Certificate blocks are ``{"SSLMode", "CertId"[, "CertCaId"]}``.

    With SNI off the listener's own block serves every rule domain; with SNI on each domain
    has its block in ``domain_certificates`` (shared by all rules of that domain).
    """

    listener_id: str
    name: str
    protocol: str
    port: int
    sni: bool
    created: datetime
    certificate: dict[str, str] | None = None
    rules: list[ClbRule] = field(default_factory=list)
    domain_certificates: dict[str, dict[str, str]] = field(default_factory=dict)

    def domains(self) -> list[str]:
        """Rule domains, each once, in rule order."""
        return list(dict.fromkeys(rule.domain for rule in self.rules))


@dataclass
class ClbTask:
    """One asynchronous CLB change, known by the RequestId of the call that started it."""

    task_id: str
    load_balancer_id: str
    ends_at: float  # time.monotonic() when the change completes
    apply: Callable[[], None]
    failure: str | None = None  # the task ends with status 1 and this message
    settled: bool = False


@dataclass
class LoadBalancer:
    """A (non-classic) CLB instance in one region, with its listeners."""

    load_balancer_id: str
    name: str
    region: str
    vip: str
    created: datetime
    isolated: bool = False  # overdue payment: reads work, changes are refused
    listeners: dict[str, ClbListener] = field(default_factory=dict)
    planned_failures: list[str] = field(default_factory=list)  # next tasks fail with these


@dataclass
class WafInstance:
    """A SaaS (sparta-waf) or CLB (clb-waf) WAF instance."""

    instance_id: str
    name: str
    edition: str
    expired: bool = False


@dataclass
class WafDomain:
    """A protected domain. ``cert_type``: 0 HTTP only, 1 own certificate, 2 hosted (SSLId)."""

    domain: str
    domain_id: str
    instance_id: str
    edition: str
    created: datetime
    modified: datetime
    ports: list[dict[str, str]] = field(default_factory=list)
    cert_type: int = 0
    ssl_id: str = ""
    own_cert: str = ""  # chain PEM when cert_type is 1
    own_key: str = ""
    settings: dict[str, Any] = field(default_factory=dict)  # IsHttp2, HttpsRewrite, ...

    @property
    def serves_https(self) -> bool:
        return any(port.get("Protocol") == "https" for port in self.ports)


@dataclass
class AccountState:
    """Everything one Tencent Cloud account (one SecretId) owns in the emulator."""

    secret_id: str
    secret_key: str
    app_id: int
    certificates: dict[str, StoredCertificate] = field(default_factory=dict)
    domains: dict[str, CdnDomain] = field(default_factory=dict)  # insertion order = listing
    load_balancers: dict[str, LoadBalancer] = field(default_factory=dict)
    clb_tasks: dict[str, ClbTask] = field(default_factory=dict)
    waf_instances: dict[str, WafInstance] = field(default_factory=dict)
    waf_domains: dict[str, WafDomain] = field(default_factory=dict)  # by DomainId
