"""What each product's emulator must offer the contract suite (one harness per product).

A harness owns an emulator (started on enter, stopped on exit) and knows how to create
resources and inject vendor behaviour for *its* product, so ``test_contract.py`` can state every
rule once and run it against all nine adapters. Harnesses live in ``harness_<product>.py`` files
beside this one, each exposing ``HARNESSES: list[type[ProductHarness]]``; the conftest collects
them, so adding a product touches no shared file.
"""

from __future__ import annotations

from typing import Protocol

from providers.base import Account, CallHooks, ProductAdapter
from providers.emulators.pki import IssuedCertificate


class ProductHarness(Protocol):
    """One product's emulator, driven by the contract suite."""

    product: str  # registry name, e.g. "tencent.cdn"
    page_size: int  # the adapter's discovery page size, so the suite can force several pages

    def __enter__(self) -> ProductHarness: ...

    def __exit__(self, *exc: object) -> None: ...

    def adapter(self, hooks: CallHooks) -> ProductAdapter:
        """A fresh adapter instance using ``hooks``."""
        ...

    def account(self) -> Account:
        """A new, empty emulated account (own credentials) and the Account certfleet holds."""
        ...

    def with_wrong_secret(self, account: Account) -> Account:
        """The same account id with a secret the emulator rejects."""
        ...

    def add_resource(
        self, account: Account, hostnames: list[str], serving: IssuedCertificate
    ) -> str:
        """Create one HTTPS resource serving ``serving`` for ``hostnames``; returns native_id."""
        ...

    def throttle_next(self, account: Account, times: int) -> None:
        """The next ``times`` API calls of this account answer the vendor's throttle error."""
        ...

    def refuse_next_bind(self, account: Account, native_id: str) -> str:
        """The next change of this resource answers a permanent vendor error; returns its code."""
        ...

    def uploads(self, account: Account) -> int:
        """Certificate uploads (imports) the emulator accepted for this account."""
        ...

    def binds(self, account: Account, native_id: str) -> int:
        """Certificate changes the emulator applied to this resource."""
        ...

    def rebind_behind_our_back(
        self, account: Account, native_id: str, other: IssuedCertificate
    ) -> None:
        """Someone else puts ``other`` on the resource (the read-back must notice)."""
        ...
