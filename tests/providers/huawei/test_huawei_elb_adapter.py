"""huawei.elb over the real SDK and the emulator: marker pages, slots, SNI, one upload."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkelb.v3 import DeleteCertificateRequest

from providers.base import Account, CertificateBundle, NoHooks, Resource
from providers.emulators.huawei import HuaweiEmulator
from providers.emulators.pki import Authority, IssuedCertificate
from providers.errors import AuthFailed, Permanent
from providers.huawei import client
from providers.huawei.elb import HuaweiElb
from providers.verify import verify_served_certificate

REGION = "cn-north-4"
ToBundle = Callable[[IssuedCertificate], CertificateBundle]


class LockingHooks(NoHooks):
    """Hooks whose ``exclusive`` really excludes (like the fleet's Redis lock), and records."""

    def __init__(self) -> None:
        self.scopes: list[str] = []
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def exclusive(self, account: Account, scope: str) -> Iterator[None]:  # type: ignore[override]
        with self._guard:
            self.scopes.append(scope)
            lock = self._locks.setdefault(scope, threading.Lock())
        with lock:
            yield


def sni_listener(hw: HuaweiEmulator, ak: str, authority: Authority) -> tuple[str, dict[str, str]]:
    """A listener serving www.s.test by default and b.s.test / c.s.test by SNI."""
    balancer = hw.add_load_balancer(ak, REGION, name="shop")
    ids = {
        name: hw.add_certificate(ak, REGION, authority.issue([name]), domain=name)
        for name in ("www.s.test", "b.s.test", "c.s.test")
    }
    listener = hw.add_listener(
        ak,
        REGION,
        balancer,
        default_certificate=ids["www.s.test"],
        sni_certificates=[ids["b.s.test"], ids["c.s.test"]],
    )
    return listener, ids


def test_discover_follows_next_marker_and_skips_non_tls_listeners(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority
) -> None:
    ak = hw_account.access_key_id
    served = authority.issue(["*.pages.test"])
    balancers = [hw.add_load_balancer(ak, REGION, name=f"lb{i}") for i in range(2)]
    for i in range(7):
        cert = hw.add_certificate(ak, REGION, served, domain=f"h{i}.pages.test")
        hw.add_listener(ak, REGION, balancers[i % 2], default_certificate=cert)
    hw.add_listener(ak, REGION, balancers[0], protocol="HTTP", port=80)

    found = list(HuaweiElb(page_size=3).discover(hw_account))

    assert len(found) == 7 and {r.region for r in found} == {REGION}
    assert hw.calls[(ak, "ListListeners")] == 3  # 3 + 3 + 1: a short page ends the walk
    assert sorted(r.hostnames[0] for r in found) == [f"h{i}.pages.test" for i in range(7)]
    assert all(r.served and r.served.fingerprint == served.fingerprint for r in found)
    assert {r.attributes["loadbalancer_name"] for r in found} == {"lb0", "lb1"}


def test_default_certificate_change_keeps_every_sni_certificate(
    hw: HuaweiEmulator,
    hw_account: Account,
    authority: Authority,
    to_bundle: ToBundle,
) -> None:
    ak = hw_account.access_key_id
    listener, ids = sni_listener(hw, ak, authority)
    hooks = LockingHooks()
    elb = HuaweiElb(hooks)
    default = next(r for r in elb.discover(hw_account) if r.native_id == listener)
    new = authority.issue(["www.s.test"], days=90)

    remote = elb.ensure_certificate(hw_account, to_bundle(new), default.region)
    assert elb.bind(hw_account, default, remote) is True

    state = hw.listener_state(ak, REGION, listener)
    assert state["default_tls_container_ref"] == remote
    assert state["sni_container_refs"] == [ids["b.s.test"], ids["c.s.test"]]
    assert f"lb:{default.attributes['loadbalancer_id']}" in hooks.scopes
    assert f"elb-certificate:{REGION}:{to_bundle(new).alias}" in hooks.scopes
    verify_served_certificate(hw_account, default, new.fingerprint)
    b_slot = next(r for r in elb.discover(hw_account) if r.native_id.endswith("/sni/b.s.test"))
    assert b_slot.served and b_slot.served.remote_id == ids["b.s.test"]
    assert b_slot.served.fingerprint is not None
    verify_served_certificate(hw_account, b_slot, b_slot.served.fingerprint)


def test_an_sni_slot_bind_swaps_only_that_certificate(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority, to_bundle: ToBundle
) -> None:
    ak = hw_account.access_key_id
    listener, ids = sni_listener(hw, ak, authority)
    elb = HuaweiElb()
    slots = {r.native_id: r for r in elb.discover(hw_account)}
    assert set(slots) == {listener, f"{listener}/sni/b.s.test", f"{listener}/sni/c.s.test"}
    new = authority.issue(["b.s.test"], days=90)
    b_slot = slots[f"{listener}/sni/b.s.test"]

    remote = elb.ensure_certificate(hw_account, to_bundle(new), REGION)
    assert elb.bind(hw_account, b_slot, remote) is True
    assert elb.bind(hw_account, b_slot, remote) is False

    state = hw.listener_state(ak, REGION, listener)
    assert state["sni_container_refs"] == [remote, ids["c.s.test"]]
    assert state["default_tls_container_ref"] == ids["www.s.test"]
    assert elb.current(hw_account, b_slot).remote_id == remote
    assert hw.calls[(ak, "UpdateListener", listener)] == 1
    verify_served_certificate(hw_account, b_slot, new.fingerprint)


def test_a_listener_that_cannot_hold_certificates_is_permanent_with_the_vendor_code(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority, to_bundle: ToBundle
) -> None:
    ak = hw_account.access_key_id
    balancer = hw.add_load_balancer(ak, REGION)
    plain = hw.add_listener(ak, REGION, balancer, protocol="HTTP", port=80)
    elb = HuaweiElb()
    remote = elb.ensure_certificate(hw_account, to_bundle(authority.issue(["p.test"])), REGION)
    resource = Resource("huawei", "huawei.elb", plain, ("p.test",), region=REGION)

    with pytest.raises(Permanent) as caught:
        elb.bind(hw_account, resource, remote)

    assert not isinstance(caught.value, AuthFailed)
    assert caught.value.vendor_code == "ELB.8902"
    assert "HTTP" in caught.value.reason


def test_ensure_uploads_once_even_when_workers_race(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority, to_bundle: ToBundle
) -> None:
    issued = authority.issue(["race.test"])
    bundle = to_bundle(issued)
    hooks = LockingHooks()  # shared, as the fleet's lock is

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(
            pool.map(
                lambda _: HuaweiElb(hooks).ensure_certificate(hw_account, bundle, REGION),
                range(6),
            )
        )

    assert len(ids) == 1
    assert hw.uploads[(hw_account.access_key_id, issued.fingerprint)] == 1
    assert hw.certificate_ids(hw_account.access_key_id, REGION) == list(ids)


def test_a_same_named_upload_of_another_certificate_is_not_reused(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority, to_bundle: ToBundle
) -> None:
    bundle = to_bundle(authority.issue(["name.test"]))
    impostor = hw.add_certificate(
        hw_account.access_key_id, REGION, authority.issue(["name.test"]), name=bundle.alias
    )

    remote = HuaweiElb().ensure_certificate(hw_account, bundle, REGION)

    assert remote != impostor
    assert hw.certificate_state(hw_account.access_key_id, REGION, remote)["name"] == bundle.alias


def test_regions_are_walked_with_their_own_projects(
    hw: HuaweiEmulator, make_hw_account: Callable[..., Account], authority: Authority
) -> None:
    account = make_hw_account(regions=("cn-north-4", "ap-southeast-1"))
    ak = account.access_key_id
    for region in account.regions:
        cert = hw.add_certificate(ak, region, authority.issue([f"{region}.test"]))
        hw.add_listener(ak, region, hw.add_load_balancer(ak, region), default_certificate=cert)

    found = {r.region: r.hostnames for r in HuaweiElb().discover(account)}

    assert found == {region: (f"{region}.test",) for region in account.regions}


def test_a_bound_certificate_cannot_be_deleted(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority
) -> None:
    ak = hw_account.access_key_id
    _, ids = sni_listener(hw, ak, authority)
    elb = client.elb_api(hw_account, REGION)

    with pytest.raises(ClientRequestException) as caught:
        elb.delete_certificate(DeleteCertificateRequest(certificate_id=ids["b.s.test"]))

    assert (caught.value.status_code, caught.value.error_code) == (409, "ELB.8907")
    spare = hw.add_certificate(ak, REGION, authority.issue(["spare.test"]))
    elb.delete_certificate(DeleteCertificateRequest(certificate_id=spare))
    assert spare not in hw.certificate_ids(ak, REGION)


def test_check_credentials_reads_each_region(
    hw: HuaweiEmulator, make_hw_account: Callable[..., Account], hooks: Any
) -> None:
    account = make_hw_account(regions=("cn-north-4", "ap-southeast-1"))

    HuaweiElb(hooks).check_credentials(account)

    assert hooks.records == [("ListLoadBalancers", "ok")] * 2
    assert hw.calls[(account.access_key_id, "ListLoadBalancers")] == 2


def test_names_claimed_by_an_sni_certificate_leave_the_default_slot(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority
) -> None:
    ak = hw_account.access_key_id
    default = authority.issue(["www.o.test", "b.o.test"])
    default_id = hw.add_certificate(ak, REGION, default, domain="www.o.test,b.o.test")
    sni_id = hw.add_certificate(ak, REGION, authority.issue(["b.o.test"]), domain="b.o.test")
    listener = hw.add_listener(
        ak,
        REGION,
        hw.add_load_balancer(ak, REGION),
        default_certificate=default_id,
        sni_certificates=[sni_id],
    )

    found = {r.native_id: r for r in HuaweiElb().discover(hw_account)}

    assert found[listener].hostnames == ("www.o.test",)
    assert found[f"{listener}/sni/b.o.test"].hostnames == ("b.o.test",)
    verify_served_certificate(hw_account, found[listener], default.fingerprint)
