"""The only errors a provider adapter raises.

Vendor SDKs raise dozens of exception types with hundreds of codes. Everything above
``providers/`` must decide just one thing: retry later, retry with backoff, or give up. So each
vendor's codes are mapped here, once, into this shallow tree; workers and the scheduler never see
a vendor code (they may show ``vendor_code`` to a person, never branch on it).
"""

from __future__ import annotations


class ProviderError(Exception):
    """A cloud call did not do what was asked; carries what a person needs to act."""

    def __init__(self, reason: str, *, vendor_code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.vendor_code = vendor_code

    def __str__(self) -> str:
        if self.vendor_code:
            return f"{self.reason} [{self.vendor_code}]"
        return self.reason


class Throttled(ProviderError):
    """The vendor refused the call for rate; retry after ``retry_after`` seconds, not a failure."""

    def __init__(
        self, reason: str, *, retry_after: float = 1.0, vendor_code: str | None = None
    ) -> None:
        super().__init__(reason, vendor_code=vendor_code)
        self.retry_after = retry_after


class Transient(ProviderError):
    """A failure that may pass (5xx, timeout, vendor busy, change still in progress)."""


class Permanent(ProviderError):
    """Retrying cannot help (bad input, missing resource, domain not covered, …)."""


class AuthFailed(Permanent):
    """The AccessKey is wrong, disabled or lacks a permission; the reason names what to grant."""


class VerificationFailed(Transient):
    """The resource does not yet serve the certificate we bound (propagation, or a stale edge).

    Transient because CDNs and load balancers converge over seconds to minutes; the worker turns
    it into a permanent failure once its retries are spent, keeping this reason.
    """
