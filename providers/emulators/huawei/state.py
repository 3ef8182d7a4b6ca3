"""What the emulated Huawei Cloud remembers: accounts (by AK), their CDN domains, and per
project (one per region) their load balancers, listeners and ELB certificates.

Plain data guarded by the emulator's lock. Certificates are validated here once, the way both
services do on upload: PEM chain, matching private key. Times are kept in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization

from providers.emulators.pki import dns_names


class CertificateProblem(ValueError):
    """Why a chain or key was refused: ``blank``, ``not_pem`` or ``key_mismatch``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def parse_pair(chain_pem: str, key_pem: str) -> tuple[x509.Certificate, ...]:
    """The chain (leaf first) if it is PEM and ``key_pem`` is the leaf's key."""
    if not chain_pem.strip() or not key_pem.strip():
        raise CertificateProblem("blank", "The certificate or private key cannot be left blank.")
    try:
        chain = tuple(x509.load_pem_x509_certificates(chain_pem.strip().encode()))
        key = serialization.load_pem_private_key(key_pem.strip().encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise CertificateProblem("not_pem", "The certificate must be in the PEM format.") from None
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != chain[0].public_key().public_bytes(*spki):
        raise CertificateProblem("key_mismatch", "The certificate and private key do not match.")
    return chain


def split_domains(value: str) -> tuple[str, ...]:
    """ELB's ``domain`` field: names separated by commas."""
    return tuple(name.strip().lower() for name in value.split(",") if name.strip())


def elb_time(moment: datetime) -> str:
    """``2024-05-01T12:00:00Z``: how ELB v3 prints times (UTC)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since 1970 (UTC): how CDN v2 prints times."""
    return int(moment.timestamp() * 1000)


def default_https() -> dict[str, Any]:
    """A CDN HTTPS block as the vendor resets it: what an update leaves out goes back here."""
    return {
        "https_status": "off",
        "certificate_type": "server",
        "certificate_source": 0,
        "certificate_name": None,
        "certificate_value": None,
        "private_key": None,
        "http2_status": "off",
        "tls_version": "TLSv1.1,TLSv1.2,TLSv1.3",
        "ocsp_stapling_status": "off",
    }


@dataclass
class CdnDomain:
    """One acceleration domain with its stored HTTPS block (the key included)."""

    name: str
    domain_id: str
    created: datetime
    modified: datetime
    status: str = "online"
    locked: bool = False
    service_area: str = "mainland_china"
    business_type: str = "web"
    https: dict[str, Any] = field(default_factory=default_https)


@dataclass
class ElbCertificate:
    """One ELB certificate; ``update_certificate`` changes it in place (listeners follow)."""

    certificate_id: str
    name: str
    chain_pem: str
    key_pem: str
    chain: tuple[x509.Certificate, ...]
    domain: str
    created: datetime
    updated: datetime
    description: str = ""
    cert_type: str = "server"

    @property
    def leaf(self) -> x509.Certificate:
        return self.chain[0]

    @property
    def hostnames(self) -> tuple[str, ...]:
        """Names this certificate serves on a listener: its ``domain``, else its own names."""
        return split_domains(self.domain) or tuple(n.lower() for n in dns_names(self.leaf))


@dataclass
class LoadBalancer:
    loadbalancer_id: str
    name: str
    created: datetime
    vip_address: str


@dataclass
class Listener:
    listener_id: str
    name: str
    loadbalancer_id: str
    protocol: str
    port: int
    created: datetime
    updated: datetime
    default_tls_container_ref: str | None = None
    sni_container_refs: list[str] = field(default_factory=list)
    sni_match_algo: str = "wildcard"
    http2_enable: bool = False


@dataclass
class Project:
    """One region of an account (Huawei scopes regional resources by project id)."""

    project_id: str
    region: str
    private_key_echo: bool = True  # the vendor's default: responses show private keys
    loadbalancers: dict[str, LoadBalancer] = field(default_factory=dict)
    listeners: dict[str, Listener] = field(default_factory=dict)
    certificates: dict[str, ElbCertificate] = field(default_factory=dict)


@dataclass
class AccountState:
    """Everything one account (reached with one AK) owns in the emulator."""

    access_key: str
    secret_key: str
    domain_id: str
    projects: dict[str, Project] = field(default_factory=dict)  # project id -> project
    cdn_domains: dict[str, CdnDomain] = field(default_factory=dict)  # insertion order = listing

    def project_in(self, region: str) -> Project:
        for project in self.projects.values():
            if project.region == region:
                return project
        raise KeyError(f"account {self.access_key} has no project in region {region}")


def sha1_fingerprint(cert: x509.Certificate) -> str:
    """The ``fingerprint`` field the emulator shows for ELB certificates (format guessed)."""
    return cert.fingerprint(hashes.SHA1()).hex()  # noqa: S303 - a display field, not security
