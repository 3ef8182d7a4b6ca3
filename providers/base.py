"""The adapter contract every cloud product implements, and the values it exchanges.

Adapters are deliberately ignorant of the ledger and the workers: they receive plain values
(an :class:`Account`, a :class:`CertificateBundle`, a :class:`Resource`) and return plain values,
so the same adapter serves the CLI's discovery, the workers' deployments and the contract tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar, runtime_checkable

from providers.secrets import Secret

T = TypeVar("T")


@dataclass(frozen=True)
class Account:
    """A third-party cloud account as the adapter needs it: who we are and where to call.

    ``api_endpoint`` replaces the vendor's public endpoint (emulators, private endpoints);
    ``tls_edge`` is where the account's HTTPS resources can be reached for verification when
    their hostnames do not resolve here (``host:port``; emulators put their TLS edge there).
    """

    key: str  # stable, non-secret identity (the account name) for rate limits and metrics
    provider: str
    access_key_id: str
    secret: Secret
    regions: tuple[str, ...] = ()
    api_endpoint: str | None = None
    tls_edge: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CertificateBundle:
    """A certificate ready to upload: leaf + intermediates (PEM) and its private key."""

    fingerprint: str  # SHA-256 of the leaf's DER, lower-case hex
    chain_pem: str
    key_pem: Secret
    names: tuple[str, ...]
    not_after: datetime

    @property
    def alias(self) -> str:
        """The name certfleet gives its uploads, so a retry can find an earlier upload."""
        return f"certfleet-{self.fingerprint[:16]}"


@dataclass(frozen=True)
class ServedCert:
    """What a resource serves now, as the vendor reports it."""

    remote_id: str | None
    fingerprint: str | None = None
    not_after: datetime | None = None


@dataclass(frozen=True)
class Resource:
    """The smallest thing that holds a certificate (a CDN domain, a listener, a distribution)."""

    provider: str
    product: str  # registry name, e.g. "tencent.cdn"
    native_id: str
    hostnames: tuple[str, ...]
    served: ServedCert | None = None
    region: str | None = None
    https_endpoint: bool = True  # serves HTTPS, so a TLS handshake can verify the binding
    attributes: Mapping[str, str] = field(default_factory=dict)


class CallHooks(Protocol):
    """What the caller lets an adapter use around each vendor API call.

    Workers plug in rate limiting (token buckets shared by the fleet) and metrics here; the CLI
    and tests can pass :class:`NoHooks`. ``acquire`` may sleep, or raise :class:`Throttled` to
    ask the caller to come back later.
    """

    def acquire(self, account: Account, family: str, action: str) -> None:
        """Wait for (or refuse) a request token for this account's ``action`` of ``family``."""

    def record(self, account: Account, action: str, outcome: str, seconds: float) -> None:
        """Note one call's outcome: ok, throttled, transient or permanent."""

    def throttled(self, account: Account, family: str, action: str, retry_after: float) -> None:
        """The vendor throttled ``action``: slow the bucket it was taken from down a while."""

    def exclusive(self, account: Account, scope: str) -> AbstractContextManager[None]:
        """Hold a fleet-wide lock on ``scope`` around a change the vendor serialises.

        For vendors that allow one change at a time per resource (a load balancer), so the
        fleet queues politely instead of collecting "resource in operation" refusals.
        """
        ...


class NoHooks:
    """Hooks that do nothing: for discovery from the CLI and for tests of adapters alone."""

    def acquire(self, account: Account, family: str, action: str) -> None:
        """Never waits."""

    def record(self, account: Account, action: str, outcome: str, seconds: float) -> None:
        """Records nothing."""

    def throttled(self, account: Account, family: str, action: str, retry_after: float) -> None:
        """Ignores throttles."""

    def exclusive(self, account: Account, scope: str) -> AbstractContextManager[None]:
        """No lock: a single caller needs none."""
        return nullcontext()


@runtime_checkable
class ProductAdapter(Protocol):
    """One cloud product (``tencent.cdn``, ``aws.alb``, …); see ARCHITECTURE.md."""

    name: str

    def discover(self, account: Account) -> Iterator[Resource]:
        """Yield every resource of this product in the account, all pages, all regions."""
        ...

    def ensure_certificate(
        self, account: Account, cert: CertificateBundle, region: str | None
    ) -> str:
        """Return the vendor's id for ``cert``, uploading it only if no upload exists yet."""
        ...

    def bind(self, account: Account, resource: Resource, remote_cert_id: str) -> bool:
        """Make ``resource`` use ``remote_cert_id``; False (no call made) if it already does."""
        ...

    def current(self, account: Account, resource: Resource) -> ServedCert:
        """Read back what the resource serves now."""
        ...


@runtime_checkable
class SupportsCredentialCheck(Protocol):
    """Optional: an adapter that can prove an AccessKey works with one harmless read."""

    def check_credentials(self, account: Account) -> None:
        """Raise :class:`~providers.errors.AuthFailed` (naming what to grant) if it does not."""
        ...


@runtime_checkable
class SupportsInlineCertificates(Protocol):
    """Optional: products with no certificate store, whose bind carries the certificate itself
    (Huawei CDN). Callers that remember vendor ids must bind through this, with the bundle."""

    def bind_certificate(
        self, account: Account, resource: Resource, cert: CertificateBundle
    ) -> bool:
        """Make ``resource`` serve ``cert``; False (no call made) if it already does."""
        ...


@dataclass(frozen=True)
class UploadedCertificate:
    """A certificate certfleet uploaded to a vendor's certificate store."""

    remote_id: str
    name: str  # certfleet's alias (``certfleet-<fingerprint prefix>``)
    not_after: datetime | None
    region: str | None = None


@runtime_checkable
class SupportsCleanup(Protocol):
    """Optional: list and delete certfleet's own uploads, so old certificates do not pile up.

    Products that share one certificate store (Tencent CDN, CLB and WAF share the SSL service)
    report the same ``certificate_store``; cleanup visits each store once.
    """

    certificate_store: str

    def uploaded_certificates(self, account: Account) -> Iterator[UploadedCertificate]:
        """Every certificate in the store that certfleet uploaded (by its alias)."""
        ...

    def delete_certificate(self, account: Account, certificate: UploadedCertificate) -> None:
        """Delete one upload. The caller has already proved it is bound nowhere."""
        ...


@dataclass(frozen=True)
class ProductInfo:
    """What ``certfleet providers`` prints and what operators need before adding an account."""

    name: str
    display_name: str
    api_docs: str
    permissions: tuple[str, ...]
    rate_limits: Mapping[str, float]  # API family -> requests/second allowed per account
    factory: Callable[[CallHooks], ProductAdapter]
    # True where the vendor limits each action of a family at that rate (Tencent, Huawei:
    # "20 requests/second per API"); False where the family is one vendor bucket (AWS's
    # categories). Budgeting a whole family at one action's rate would leave most of it idle.
    limited_per_action: bool = False
    # The vendor store this product's uploads go to, when several products share one (Tencent's
    # SSL service serves CDN, CLB and WAF); ``{region}`` stands for the resource's region where
    # the store is regional. Uploads of one certificate to one store are serialised fleet-wide,
    # so two products of an account deploying at once do not both upload it. None: the
    # product's own store in each region.
    certificate_store: str | None = None

    def store_of(self, region: str | None) -> str:
        """The store ``certificate_store`` names for a resource in ``region``."""
        pattern = self.certificate_store or f"{self.name}@{{region}}"
        return pattern.format(region=region or "-")
