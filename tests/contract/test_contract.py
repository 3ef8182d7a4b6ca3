"""The adapter contract (ARCHITECTURE.md), stated once, run against every product's emulator.

Each rule answers a failure users of other deployers report: "success" while nothing was bound
(read-back, TLS), duplicate uploads piling up (ensure by fingerprint), double binds on retry
(idempotent bind), throttling during bulk runs (Throttled with a wait), unclear failures
(Permanent with the vendor's code), bad keys found only mid-campaign (AuthFailed).
"""

from __future__ import annotations

import itertools

import pytest

from providers.base import NoHooks, ProductAdapter, Resource
from providers.emulators.pki import Authority
from providers.errors import AuthFailed, Permanent, Throttled
from providers.verify import verify_served_certificate
from tests.contract.bundles import bundle_of
from tests.contract.harness import ProductHarness

_zones = itertools.count(1)


def _zone() -> str:
    """A DNS zone no other test uses, so emulators that key edges by hostname never collide."""
    return f"z{next(_zones)}.contract.test"


def _find(adapter: ProductAdapter, harness: ProductHarness, account, native_id: str) -> Resource:
    found = [r for r in adapter.discover(account) if r.native_id == native_id]
    assert len(found) == 1, f"{harness.product}: discover did not return {native_id} once"
    return found[0]


def test_discover_returns_every_resource_across_pages(
    harness: ProductHarness, authority: Authority
) -> None:
    account = harness.account()
    zone = _zone()
    old = authority.issue([f"*.{zone}"], days=20)
    count = harness.page_size + 3
    ids = {harness.add_resource(account, [f"h{i}.{zone}"], old) for i in range(count)}
    resources = list(harness.adapter(NoHooks()).discover(account))
    assert {r.native_id for r in resources} >= ids
    mine = [r for r in resources if r.native_id in ids]
    assert len(mine) == count
    assert all(r.product == harness.product and r.hostnames for r in mine)
    assert all(r.served is not None and r.served.remote_id for r in mine)


def test_first_deployment_binds_reads_back_and_serves_over_tls(
    harness: ProductHarness, authority: Authority
) -> None:
    account = harness.account()
    zone = _zone()
    native_id = harness.add_resource(
        account, [f"www.{zone}"], authority.issue([f"www.{zone}"], days=20)
    )
    adapter = harness.adapter(NoHooks())
    new = authority.issue([f"www.{zone}"], days=90)
    resource = _find(adapter, harness, account, native_id)
    remote = adapter.ensure_certificate(account, bundle_of(new), resource.region)
    assert adapter.bind(account, resource, remote) is True
    assert adapter.current(account, resource).remote_id == remote
    if resource.https_endpoint:
        verify_served_certificate(account, resource, new.fingerprint)
    assert harness.uploads(account) == 1
    assert harness.binds(account, native_id) == 1


def test_repeated_deployment_neither_uploads_nor_binds_again(
    harness: ProductHarness, authority: Authority
) -> None:
    account = harness.account()
    zone = _zone()
    native_id = harness.add_resource(
        account, [f"api.{zone}"], authority.issue([f"api.{zone}"], days=20)
    )
    new = bundle_of(authority.issue([f"api.{zone}"], days=90))
    adapter = harness.adapter(NoHooks())
    resource = _find(adapter, harness, account, native_id)
    first = adapter.ensure_certificate(account, new, resource.region)
    adapter.bind(account, resource, first)
    uploads, binds = harness.uploads(account), harness.binds(account, native_id)
    again = harness.adapter(NoHooks())  # a fresh adapter: nothing cached in memory
    assert again.ensure_certificate(account, new, resource.region) == first
    assert again.bind(account, resource, first) is False
    assert (harness.uploads(account), harness.binds(account, native_id)) == (uploads, binds)


def test_throttle_is_reported_with_a_wait_then_the_call_succeeds(
    harness: ProductHarness, authority: Authority
) -> None:
    account = harness.account()
    zone = _zone()
    native_id = harness.add_resource(account, [f"t.{zone}"], authority.issue([f"t.{zone}"]))
    adapter = harness.adapter(NoHooks())
    harness.throttle_next(account, times=1)
    with pytest.raises(Throttled) as caught:
        list(adapter.discover(account))
    assert caught.value.retry_after > 0
    assert native_id in {r.native_id for r in adapter.discover(account)}


def test_permanent_refusal_is_classified_with_the_vendor_code(
    harness: ProductHarness, authority: Authority
) -> None:
    account = harness.account()
    zone = _zone()
    native_id = harness.add_resource(account, [f"p.{zone}"], authority.issue([f"p.{zone}"]))
    adapter = harness.adapter(NoHooks())
    resource = _find(adapter, harness, account, native_id)
    remote = adapter.ensure_certificate(
        account, bundle_of(authority.issue([f"p.{zone}"], days=90)), resource.region
    )
    code = harness.refuse_next_bind(account, native_id)
    with pytest.raises(Permanent) as caught:
        adapter.bind(account, resource, remote)
    assert not isinstance(caught.value, AuthFailed)
    assert caught.value.vendor_code == code


def test_read_back_notices_a_binding_changed_behind_our_back(
    harness: ProductHarness, authority: Authority
) -> None:
    account = harness.account()
    zone = _zone()
    native_id = harness.add_resource(account, [f"r.{zone}"], authority.issue([f"r.{zone}"]))
    adapter = harness.adapter(NoHooks())
    resource = _find(adapter, harness, account, native_id)
    ours = adapter.ensure_certificate(
        account, bundle_of(authority.issue([f"r.{zone}"], days=90)), resource.region
    )
    adapter.bind(account, resource, ours)
    harness.rebind_behind_our_back(account, native_id, authority.issue([f"r.{zone}"], days=30))
    assert adapter.current(account, resource).remote_id != ours


def test_wrong_credentials_are_rejected_as_auth_failures(harness: ProductHarness) -> None:
    account = harness.account()
    with pytest.raises(AuthFailed):
        list(harness.adapter(NoHooks()).discover(harness.with_wrong_secret(account)))
