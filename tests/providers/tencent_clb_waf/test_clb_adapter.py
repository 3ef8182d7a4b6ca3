"""tencent.clb over the real SDK against the emulator: listeners, SNI, async tasks, one change
at a time per load balancer, failure classification."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from providers.base import Account, NoHooks, ProductAdapter, Resource
from providers.emulators.pki import Authority
from providers.emulators.tencent import TencentEmulator
from providers.errors import AuthFailed, Permanent, Transient
from providers.tencent import client
from providers.tencent.cdn import TencentCdn
from providers.tencent.clb import TencentClb
from providers.tencent.clb_listeners import ListenerRef
from providers.tencent.clb_tasks import TaskPolling, wait_for_task
from providers.verify import verify_served_certificate
from tests.contract.bundles import bundle_of
from tests.providers.tencent_clb_waf.conftest import FAST, REGION, LockingHooks


def listener_resource(lb_id: str, listener_id: str, *hostnames: str) -> Resource:
    native_id = ListenerRef(lb_id, listener_id).native_id
    return Resource("tencent", "tencent.clb", native_id, hostnames, region=REGION)


def domain_resource(lb_id: str, listener_id: str, domain: str) -> Resource:
    native_id = ListenerRef(lb_id, listener_id, domain).native_id
    return Resource("tencent", "tencent.clb", native_id, (domain,), region=REGION)


def test_the_adapter_fulfils_the_contract(clb: TencentClb) -> None:
    assert isinstance(clb, ProductAdapter)
    assert clb.name == "tencent.clb"


def test_sni_off_listener_is_one_resource_with_all_its_domains_sni_on_one_per_domain(
    clb: TencentClb, account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    sid = account.access_key_id
    shared = authority.issue(["a.one.test", "b.one.test", "c.one.test"], days=30)
    lb = emulator.clb.add_load_balancer(sid)
    plain = emulator.clb.add_listener(
        sid, lb, domains=["a.one.test", "b.one.test", "c.one.test", "a.one.test"], cert=shared
    )
    sni = emulator.clb.add_listener(
        sid,
        lb,
        domains=["x.one.test", "y.one.test"],
        sni=True,
        domain_certs={"x.one.test": authority.issue(["x.one.test"], days=40)},
    )
    emulator.clb.add_listener(sid, lb, domains=["h.one.test"], protocol="HTTP")

    found = {r.native_id: r for r in clb.discover(account)}

    assert set(found) == {f"{lb}/{plain}", f"{lb}/{sni}/x.one.test", f"{lb}/{sni}/y.one.test"}
    listener = found[f"{lb}/{plain}"]
    assert listener.hostnames == ("a.one.test", "b.one.test", "c.one.test")
    assert listener.attributes["sni"] == "off" and listener.region == REGION
    assert listener.served and listener.served.not_after
    ends = shared.certificate.not_valid_after_utc.replace(microsecond=0)
    assert listener.served.not_after == ends  # looked up in the SSL service
    assert found[f"{lb}/{sni}/x.one.test"].served is not None
    assert found[f"{lb}/{sni}/y.one.test"].served is None  # SNI domain without a certificate


def test_discover_reads_every_region_and_every_page(
    make_account: Callable[..., Account], emulator: TencentEmulator, authority: Authority
) -> None:
    account = make_account("ap-guangzhou", "ap-shanghai")
    cert = authority.issue(["*.pages.test"])
    expected = set()
    for i in range(5):
        region = "ap-guangzhou" if i % 2 else "ap-shanghai"
        lb = emulator.clb.add_load_balancer(account.access_key_id, region=region)
        listener = emulator.clb.add_listener(
            account.access_key_id, lb, domains=[f"p{i}.pages.test"], cert=cert
        )
        expected.add((f"{lb}/{listener}", region))

    found = list(TencentClb(NoHooks(), polling=FAST, page_size=2).discover(account))

    assert {(r.native_id, r.region) for r in found} == expected
    # ap-guangzhou: 2 load balancers, one page; ap-shanghai: 3, two pages of 2.
    assert emulator.calls[(account.access_key_id, "DescribeLoadBalancers")] == 1 + 2
    assert emulator.calls[(account.access_key_id, "DescribeCertificates")] == 1 + 2  # end dates


def test_bind_polls_the_task_to_completion_then_serves_every_domain(
    clb: TencentClb, account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    sid, names = account.access_key_id, ["www.async.test", "api.async.test"]
    lb = emulator.clb.add_load_balancer(sid)
    listener = emulator.clb.add_listener(sid, lb, domains=names, cert=authority.issue(names))
    new = authority.issue(names, days=90)
    resource = listener_resource(lb, listener, *names)
    cert_id = clb.ensure_certificate(account, bundle_of(new), REGION)
    emulator.clb.set_task_seconds(0.3)

    started = time.monotonic()
    assert clb.bind(account, resource, cert_id) is True

    assert time.monotonic() - started >= 0.3  # returned only once the task had succeeded
    assert emulator.calls[(sid, "DescribeTaskStatus")] >= 2  # "running" at least once
    assert clb.current(account, resource).remote_id == cert_id
    verify_served_certificate(account, resource, new.fingerprint)
    assert clb.bind(account, resource, cert_id) is False
    assert emulator.calls[(sid, "ModifyListener", resource.native_id)] == 1


def test_sni_domains_are_bound_one_by_one_and_served_per_sni(
    clb: TencentClb, account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    sid = account.access_key_id
    old = authority.issue(["*.sni.test"])
    lb = emulator.clb.add_load_balancer(sid)
    listener = emulator.clb.add_listener(
        sid,
        lb,
        domains=["x.sni.test", "y.sni.test"],
        sni=True,
        domain_certs={"x.sni.test": old, "y.sni.test": old},
    )
    certs = {name: authority.issue([name], days=90) for name in ("x.sni.test", "y.sni.test")}

    for name, cert in certs.items():
        resource = domain_resource(lb, listener, name)
        assert clb.bind(account, resource, clb.ensure_certificate(account, bundle_of(cert), None))

    for name, cert in certs.items():
        verify_served_certificate(account, domain_resource(lb, listener, name), cert.fingerprint)
        assert emulator.calls[(sid, "ModifyDomainAttributes", f"{lb}/{listener}/{name}")] == 1
    assert emulator.calls[(sid, "ModifyListener")] == 0


def test_changes_to_one_load_balancer_are_serialised_by_the_exclusive_hook(
    clb: TencentClb,
    hooks: LockingHooks,
    account: Account,
    emulator: TencentEmulator,
    authority: Authority,
) -> None:
    sid = account.access_key_id
    lb = emulator.clb.add_load_balancer(sid)
    resources = []
    for name in ("one.busy.test", "two.busy.test"):
        listener = emulator.clb.add_listener(sid, lb, domains=[name], cert=authority.issue([name]))
        resources.append(listener_resource(lb, listener, name))
    cert_id = clb.ensure_certificate(account, bundle_of(authority.issue(["*.busy.test"])), None)
    emulator.clb.set_task_seconds(0.2)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda r: clb.bind(account, r, cert_id), resources))

    assert results == [True, True]
    assert hooks.scopes == [f"lb:{lb}", f"lb:{lb}"]
    assert not [key for key in emulator.errors if key[0] == sid]  # never refused as busy


def test_without_the_lock_a_busy_load_balancer_is_transient(
    account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    sid = account.access_key_id
    lb = emulator.clb.add_load_balancer(sid)
    first = emulator.clb.add_listener(sid, lb, domains=["a.race.test"])
    second = emulator.clb.add_listener(sid, lb, domains=["b.race.test"])
    unlocked = TencentClb(NoHooks(), polling=FAST)  # e.g. someone else, from the console
    bundle = bundle_of(authority.issue(["*.race.test"]))
    cert_id = unlocked.ensure_certificate(account, bundle, REGION)
    emulator.clb.set_task_seconds(0.5)
    certificate = {"SSLMode": "UNIDIRECTIONAL", "CertId": cert_id}
    client.clb_api(account, REGION).call_json(
        "ModifyListener", {"LoadBalancerId": lb, "ListenerId": first, "Certificate": certificate}
    )

    with pytest.raises(Transient) as caught:
        unlocked.bind(account, listener_resource(lb, second, "b.race.test"), cert_id)

    assert caught.value.vendor_code == "FailedOperation.ResourceInOperating"
    assert "try later" in caught.value.reason
    assert emulator.errors[(sid, "ModifyListener", "FailedOperation.ResourceInOperating")] == 1


def test_a_failed_task_is_permanent_with_the_vendors_reason(
    clb: TencentClb, account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    sid = account.access_key_id
    old = authority.issue(["f.fail.test"])
    lb = emulator.clb.add_load_balancer(sid)
    listener = emulator.clb.add_listener(sid, lb, domains=["f.fail.test"], cert=old)
    resource = listener_resource(lb, listener, "f.fail.test")
    cert_id = clb.ensure_certificate(account, bundle_of(authority.issue(["f.fail.test"])), None)
    emulator.clb.fail_next_tasks(sid, lb, "backend cluster rejected the certificate")

    with pytest.raises(Permanent, match="backend cluster rejected the certificate"):
        clb.bind(account, resource, cert_id)

    assert clb.current(account, resource).remote_id != cert_id
    verify_served_certificate(account, resource, old.fingerprint)


def test_a_task_still_running_at_the_bound_is_transient_and_the_retry_changes_nothing(
    account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    sid = account.access_key_id
    lb = emulator.clb.add_load_balancer(sid)
    listener = emulator.clb.add_listener(sid, lb, domains=["s.slow.test"])
    resource = listener_resource(lb, listener, "s.slow.test")
    impatient = TencentClb(NoHooks(), polling=replace(FAST, timeout=0.1))
    cert_id = impatient.ensure_certificate(
        account, bundle_of(authority.issue(["s.slow.test"])), None
    )
    emulator.clb.set_task_seconds(0.4)

    with pytest.raises(Transient, match="still running"):
        impatient.bind(account, resource, cert_id)
    time.sleep(0.4)

    assert impatient.bind(account, resource, cert_id) is False
    assert emulator.calls[(sid, "ModifyListener", resource.native_id)] == 1


def test_a_throttled_status_poll_is_waited_out(
    clb: TencentClb, account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    sid = account.access_key_id
    lb = emulator.clb.add_load_balancer(sid)
    listener = emulator.clb.add_listener(sid, lb, domains=["t.poll.test"])
    cert_id = clb.ensure_certificate(account, bundle_of(authority.issue(["t.poll.test"])), None)
    emulator.inject("DescribeTaskStatus", error_code="RequestLimitExceeded", secret_id=sid)

    assert clb.bind(account, listener_resource(lb, listener, "t.poll.test"), cert_id) is True
    assert emulator.throttled[(sid, "DescribeTaskStatus")] == 0  # injected, not the bucket
    assert emulator.errors[(sid, "DescribeTaskStatus", "RequestLimitExceeded")] == 1


def test_bind_keeps_mutual_tls(
    clb: TencentClb, account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    sid = account.access_key_id
    lb = emulator.clb.add_load_balancer(sid)
    listener = emulator.clb.add_listener(
        sid, lb, domains=["m.mtls.test"], cert=authority.issue(["m.mtls.test"]), mutual=True
    )
    before = emulator.clb.certificate(sid, lb, listener)
    cert_id = clb.ensure_certificate(account, bundle_of(authority.issue(["m.mtls.test"])), None)

    clb.bind(account, listener_resource(lb, listener, "m.mtls.test"), cert_id)

    after = emulator.clb.certificate(sid, lb, listener)
    assert before and after
    assert after == {"SSLMode": "MUTUAL", "CertId": cert_id, "CertCaId": before["CertCaId"]}


def test_a_domain_resource_on_a_listener_without_sni_is_refused_before_any_change(
    clb: TencentClb, account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    """Peers bound SNI-off listeners per domain: the vendor said success, nothing changed."""
    sid = account.access_key_id
    lb = emulator.clb.add_load_balancer(sid)
    listener = emulator.clb.add_listener(sid, lb, domains=["d.nosni.test"])
    cert_id = clb.ensure_certificate(account, bundle_of(authority.issue(["d.nosni.test"])), None)

    with pytest.raises(Permanent, match="SNI off"):
        clb.bind(account, domain_resource(lb, listener, "d.nosni.test"), cert_id)

    assert emulator.calls[(sid, "ModifyDomainAttributes")] == 0


def test_an_isolated_load_balancer_is_a_permanent_refusal(
    clb: TencentClb, account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    sid = account.access_key_id
    lb = emulator.clb.add_load_balancer(sid)
    listener = emulator.clb.add_listener(sid, lb, domains=["i.iso.test"])
    cert_id = clb.ensure_certificate(account, bundle_of(authority.issue(["i.iso.test"])), None)
    emulator.clb.isolate(sid, lb)

    with pytest.raises(Permanent) as caught:
        clb.bind(account, listener_resource(lb, listener, "i.iso.test"), cert_id)

    assert caught.value.vendor_code == "FailedOperation.InvalidLBStatus"
    assert not isinstance(caught.value, AuthFailed)


def test_missing_permission_names_the_clb_policy(
    clb: TencentClb, account: Account, emulator: TencentEmulator
) -> None:
    emulator.inject(
        "DescribeLoadBalancers", error_code="UnauthorizedOperation", secret_id=account.access_key_id
    )

    with pytest.raises(AuthFailed, match=r"QcloudSSLFullAccess \+ QcloudCLBFullAccess"):
        list(clb.discover(account))


def test_an_account_without_regions_is_told_to_name_them(clb: TencentClb, account: Account) -> None:
    with pytest.raises(Permanent, match="regions"):
        list(clb.discover(replace(account, regions=())))


def test_one_upload_serves_cdn_and_clb(
    clb: TencentClb, account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    bundle = bundle_of(authority.issue(["shared.test"]))

    assert TencentCdn().ensure_certificate(account, bundle, None) == clb.ensure_certificate(
        account, bundle, REGION
    )
    assert emulator.calls[(account.access_key_id, "UploadCertificate")] == 1


def test_task_polling_backs_off_up_to_its_longest_wait() -> None:
    waits: list[float] = []
    clock = iter(range(100))
    polling = TaskPolling(
        first_wait=1.0,
        growth=2.0,
        longest_wait=4.0,
        timeout=20.0,
        sleep=waits.append,
        clock=lambda: float(next(clock)),
    )
    answers = iter([{"Status": 2}] * 4 + [{"Status": 0}])
    wait_for_task(lambda: next(answers), polling, "test")

    assert waits == [1.0, 2.0, 4.0, 4.0, 4.0]
