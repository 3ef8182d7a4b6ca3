"""Discovery: pull every resource of the chosen products from an account into the inventory."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial

from ledger.accounts import AccountView, get_account
from ledger.db import Database
from ledger.resources import ResourceSnapshot, record_discovery
from ledger.vault import Vault
from providers import registry
from providers.base import Account, CallHooks, NoHooks, ProductAdapter, Resource
from providers.errors import Throttled, Transient
from workers.credentials import provider_account
from workers.retry_policy import RetryPolicy

DISCOVERY_RETRIES = RetryPolicy(max_transient_failures=5, base_seconds=1.0, max_seconds=30.0)


def _snapshots(resources: Iterator[Resource]) -> Iterator[ResourceSnapshot]:
    for r in resources:
        served = r.served
        yield ResourceSnapshot(
            native_id=r.native_id,
            hostnames=r.hostnames,
            region=r.region,
            https_endpoint=r.https_endpoint,
            served_remote_id=served.remote_id if served else None,
            served_fingerprint=served.fingerprint if served else None,
            served_not_after=served.not_after if served else None,
            attributes=dict(r.attributes),
        )


def _list_all(adapter: ProductAdapter, account: Account) -> list[ResourceSnapshot]:
    return list(_snapshots(adapter.discover(account)))


def _listing_with_retries(
    listing: Callable[[], list[ResourceSnapshot]],
    policy: RetryPolicy = DISCOVERY_RETRIES,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ResourceSnapshot]:
    """A complete listing, restarted after throttles and transient errors.

    A partial listing is never used: resources missing from it would be marked gone. Restarting
    costs the pages already read, which the rate limit keeps rare.
    """
    failures = 0
    while True:
        try:
            return listing()
        except Throttled as error:
            sleep(policy.after_throttle(error.retry_after))
        except Transient:
            failures += 1
            if policy.gives_up(failures):
                raise
            sleep(policy.backoff(failures))


def discover(
    database: Database,
    vault: Vault,
    account_name: str,
    products: Sequence[str],
    hooks: CallHooks | None = None,
) -> dict[str, int]:
    """Refresh the inventory for ``products`` of one account; returns resources seen per product.

    The vendor is read outside any transaction; each product's snapshot is then written in one,
    so a failure half-way leaves earlier products refreshed and the failing one untouched.
    """
    with database.unit_of_work() as session:
        view = AccountView.of(get_account(session, account_name))
    account = provider_account(view, vault)
    counts: dict[str, int] = {}
    for product in products:
        adapter = registry.adapter(product, hooks or NoHooks())
        found = _listing_with_retries(partial(_list_all, adapter, account))
        with database.unit_of_work() as session:
            counts[product] = record_discovery(
                session,
                account_id=view.id,
                provider=view.provider,
                product=product,
                snapshots=found,
            )
    return counts
