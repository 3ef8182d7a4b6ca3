"""Emulated clouds as benches use them: vendor behaviour (limits, latency, faults), an estate of
accounts and resources, and what the vendor saw (calls, throttles, uploads, binds).

One module per cloud (``tencent``, …), each exposing a class that satisfies :class:`BenchCloud`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ledger.db import Database
from ledger.vault import Vault
from providers.emulators.pki import Authority, IssuedCertificate


@dataclass(frozen=True)
class Faults:
    """Faults a vendor injects into a share of calls (chaos); zero means none.

    ``lost_answer`` calls are carried out and then answered with a gateway error, the hardest
    case for idempotency: the change happened, the caller does not know.
    """

    server_error: float = 0.0  # share of calls answered with a 5xx gateway page
    throttle: float = 0.0  # share answered with the vendor's throttling error
    lost_answer: float = 0.0  # share carried out, then answered with a 5xx


@dataclass
class VendorLog:
    """What a vendor saw, per (account, action) unless said otherwise.

    ``uploads``/``binds`` count only calls that changed something, per target (certificate
    fingerprint / resource), so a value above 1 is a duplicate at the vendor.
    """

    admitted: Counter[tuple[str, str]] = field(default_factory=Counter)
    throttled: Counter[tuple[str, str]] = field(default_factory=Counter)  # by the vendor's limit
    injected_throttles: Counter[tuple[str, str]] = field(default_factory=Counter)
    injected_errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    uploads: Counter[tuple[str, str]] = field(default_factory=Counter)  # (account, fingerprint)
    binds: Counter[tuple[str, str]] = field(default_factory=Counter)  # (account, resource)

    def since(self, start: VendorLog) -> VendorLog:
        """What happened after ``start`` was taken (counters only grow)."""
        return VendorLog(
            self.admitted - start.admitted,
            self.throttled - start.throttled,
            self.injected_throttles - start.injected_throttles,
            self.injected_errors - start.injected_errors,
            self.uploads - start.uploads,
            self.binds - start.binds,
        )

    def merged(self, other: VendorLog) -> VendorLog:
        return VendorLog(
            self.admitted + other.admitted,
            self.throttled + other.throttled,
            self.injected_throttles + other.injected_throttles,
            self.injected_errors + other.injected_errors,
            self.uploads + other.uploads,
            self.binds + other.binds,
        )


@dataclass(frozen=True)
class Estate:
    """What a cloud seeded: ledger account names, each one's resources per product."""

    provider: str
    accounts: dict[str, Counter[str]]  # ledger account name -> product -> resources
    vendor_ids: dict[str, str]  # ledger account name -> the id the vendor logs it under

    @property
    def resources(self) -> int:
        return sum(sum(c.values()) for c in self.accounts.values())


def account_shares(resources: int, accounts: int, first_account: int) -> Iterator[tuple[int, int]]:
    """``(account number, resources it holds)`` for ``accounts`` accounts numbered from
    ``first_account``, splitting ``resources`` as evenly as whole numbers allow."""
    for index in range(accounts):
        yield (
            first_account + index,
            resources // accounts + (1 if index < resources % accounts else 0),
        )


class BenchCloud(Protocol):
    """One emulated cloud in a bench."""

    provider: str

    def start(self) -> None:
        """Start the emulator (and its TLS edge)."""

    def stop(self) -> None:
        """Stop it; idempotent."""

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
        """Create accounts holding ``resources`` in total (serving ``old``), and register them
        in the ledger as ``acct<N>`` from ``first_account`` on."""

    def behave(self, faults: Faults) -> None:
        """Switch on the vendor's limits and latencies (and ``faults``) for the run."""

    def calm(self) -> None:
        """Remove faults, latency and limits: the state is inspected through the API after."""

    def log(self) -> VendorLog:
        """A snapshot of what the vendor has seen so far."""

    def vendor_bucket(self, action: str) -> str:
        """What the vendor limits ``action`` under: the action itself, or a category of calls."""

    def limit(self, bucket: str) -> float:
        """The vendor's per-account limit (requests/second) for a :meth:`vendor_bucket`."""

    def family(self, action: str) -> str:
        """certfleet's rate-limit family (``CallHooks.acquire``) that ``action`` is budgeted in."""

    def budget(self, family: str) -> float:
        """What certfleet's accounts declare for ``family`` (requests/second)."""

    def describe(self) -> Mapping[str, object]:
        """The vendor behaviour in force, for the bench's JSON."""
