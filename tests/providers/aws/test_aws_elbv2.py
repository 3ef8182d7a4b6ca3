"""aws.alb / aws.nlb: SNI certificates survive, moto's NLB gap is caught, every region is read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from providers.aws.alb import AwsAlb
from providers.aws.client import DEFAULT_REGIONS, regions_of
from providers.aws.nlb import AwsNlb
from providers.base import NoHooks, Resource
from providers.emulators.aws import AwsEmulator
from providers.emulators.pki import Authority
from providers.errors import Permanent
from providers.verify import verify_served_certificate
from tests.contract.bundles import bundle_of
from tests.providers.aws.conftest import REGION, AwsAccount
from tests.providers.conftest import RecordingHooks


def _resources(adapter: AwsAlb | AwsNlb, acct: AwsAccount, listener: str) -> list[Resource]:
    found = [r for r in adapter.discover(acct.account) if r.native_id.startswith(listener)]
    return sorted(found, key=lambda r: r.native_id)


def test_a_listener_and_each_sni_slot_are_separate_resources(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    main, extra = authority.issue(["www.sni.test"]), authority.issue(["api.sni.test"])
    listener = aws.add_load_balancer(
        acct.account_id,
        kind="application",
        region=REGION,
        hostnames=["www.sni.test", "api.sni.test"],
        serving=main,
        sni=[extra],
    )

    default, slot = _resources(AwsAlb(), acct, listener)

    assert (default.native_id, default.hostnames) == (listener, ("www.sni.test",))
    assert default.served is not None and default.served.fingerprint == main.fingerprint
    assert slot.native_id == f"{listener}#sni=api.sni.test"
    assert slot.hostnames == ("api.sni.test",)
    assert slot.served is not None and slot.served.fingerprint == extra.fingerprint
    assert slot.attributes["role"] == "sni"


def test_sni_certificates_survive_a_default_certificate_change(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    extras = [authority.issue(["api.keep.test"]), authority.issue(["img.keep.test"])]
    listener = aws.add_load_balancer(
        acct.account_id,
        kind="application",
        region=REGION,
        hostnames=["www.keep.test", "api.keep.test", "img.keep.test"],
        serving=authority.issue(["www.keep.test"]),
        sni=extras,
    )
    hooks = RecordingHooks()
    adapter = AwsAlb(hooks)
    default = _resources(adapter, acct, listener)[0]
    sni_before = aws.listener_certificates(acct.account_id, listener).sni
    new = authority.issue(["www.keep.test"])
    remote = adapter.ensure_certificate(acct.account, bundle_of(new), default.region)

    assert adapter.bind(acct.account, default, remote) is True

    held = aws.listener_certificates(acct.account_id, listener)
    assert (held.default, held.sni) == (remote, sni_before)
    assert adapter.current(acct.account, default).remote_id == remote
    verify_served_certificate(acct.account, default, new.fingerprint)
    for slot, extra in zip(_resources(adapter, acct, listener)[1:], extras, strict=True):
        verify_served_certificate(acct.account, slot, extra.fingerprint)
    assert hooks.exclusive_scopes[-1] == f"lb:{default.attributes['load_balancer_arn']}"


def test_an_sni_slot_is_replaced_without_touching_the_others(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    api, img = authority.issue(["api.swap.test"]), authority.issue(["img.swap.test"])
    listener = aws.add_load_balancer(
        acct.account_id,
        kind="application",
        region=REGION,
        hostnames=["www.swap.test"],
        serving=authority.issue(["www.swap.test"]),
        sni=[api, img],
    )
    adapter = AwsAlb()
    api_slot = next(r for r in _resources(adapter, acct, listener) if "api." in r.native_id)
    renewed = authority.issue(["api.swap.test"])
    remote = adapter.ensure_certificate(acct.account, bundle_of(renewed), api_slot.region)
    before = aws.listener_certificates(acct.account_id, listener)

    assert adapter.bind(acct.account, api_slot, remote) is True
    assert adapter.bind(acct.account, api_slot, remote) is False

    after = aws.listener_certificates(acct.account_id, listener)
    assert after.default == before.default
    assert set(after.sni) == (set(before.sni) - {before.sni[0]}) | {remote}
    assert adapter.current(acct.account, api_slot).remote_id == remote
    verify_served_certificate(acct.account, api_slot, renewed.fingerprint)
    calls = aws.calls
    assert calls[(acct.account_id, "AddListenerCertificates", listener)] == 1
    assert calls[(acct.account_id, "RemoveListenerCertificates", listener)] == 1


def test_read_back_catches_moto_keeping_the_old_nlb_certificate(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    """Against bare moto the NLB keeps its old certificate and the read-back says so;
    behind the proxy (AWS's behaviour) the read-back shows the new one."""
    old = authority.issue(["tls.gap.test"])
    raw = replace(acct.account, api_endpoint=aws.moto_endpoint)  # moto maps any key to one id
    moto_account = "123456789012"
    outcomes = {}
    for account, account_id in ((raw, moto_account), (acct.account, acct.account_id)):
        listener = aws.add_load_balancer(
            account_id, kind="network", region=REGION, hostnames=["tls.gap.test"], serving=old
        )
        adapter = AwsNlb()
        resource = next(r for r in adapter.discover(account) if r.native_id == listener)
        new = adapter.ensure_certificate(
            account, bundle_of(authority.issue(["tls.gap.test"])), REGION
        )
        assert adapter.bind(account, resource, new) is True
        outcomes[account_id] = adapter.current(account, resource).remote_id == new

    assert outcomes == {moto_account: False, acct.account_id: True}


def test_discovery_reads_every_region_of_the_account(
    aws: AwsEmulator, make_account: Callable[..., AwsAccount], authority: Authority
) -> None:
    regions = ("eu-west-1", "us-west-2", "ap-southeast-2")
    acct = make_account(regions=regions)
    serving = authority.issue(["*.regions.test"])
    for region in ("eu-west-1", "ap-southeast-2"):
        aws.add_load_balancer(
            acct.account_id, kind="network", region=region, hostnames=[], serving=serving
        )
    aws.add_load_balancer(
        acct.account_id, kind="application", region="us-west-2", hostnames=[], serving=serving
    )

    found = list(AwsNlb().discover(acct.account))

    assert sorted(r.region or "" for r in found) == ["ap-southeast-2", "eu-west-1"]
    assert aws.calls[(acct.account_id, "DescribeLoadBalancers")] == len(regions)
    assert {r.product for r in AwsAlb().discover(acct.account)} == {"aws.alb"}


def test_an_account_without_regions_is_searched_in_every_default_region(
    acct: AwsAccount,
) -> None:
    account = replace(acct.account, regions=())
    assert regions_of(account) == DEFAULT_REGIONS
    assert "us-east-1" in DEFAULT_REGIONS and "ap-east-1" not in DEFAULT_REGIONS  # opt-in


def test_load_balancer_certificates_are_imported_in_the_load_balancer_region(
    acct: AwsAccount, authority: Authority
) -> None:
    with pytest.raises(Permanent, match="region"):
        AwsAlb().ensure_certificate(acct.account, bundle_of(authority.issue(["r.test"])), None)


def test_page_sizes_beyond_what_elbv2_accepts_are_refused() -> None:
    with pytest.raises(ValueError, match="PageSize"):
        AwsAlb(NoHooks(), page_size=401)


def test_listeners_and_their_certificates_are_read_across_pages(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    serving = authority.issue(["www.pages.test"])
    first = aws.add_load_balancer(
        acct.account_id,
        kind="application",
        region=REGION,
        hostnames=["www.pages.test"],
        serving=serving,
        sni=[authority.issue(["a.pages.test"]), authority.issue(["b.pages.test"])],
    )
    elbv2 = aws.backstage.client(acct.account_id, "elbv2", REGION)
    listener = elbv2.describe_listeners(ListenerArns=[first])["Listeners"][0]
    for port in (8443, 9443):
        elbv2.create_listener(
            LoadBalancerArn=listener["LoadBalancerArn"],
            Protocol="HTTPS",
            Port=port,
            Certificates=listener["Certificates"],
            DefaultActions=listener["DefaultActions"],
        )

    found = list(AwsAlb(page_size=1).discover(acct.account))

    assert len([r for r in found if r.attributes["role"] == "default"]) == 3
    assert {r.native_id for r in found} >= {
        f"{first}#sni=a.pages.test",
        f"{first}#sni=b.pages.test",
    }
    calls = aws.calls
    assert calls[(acct.account_id, "DescribeListeners")] == 3
    assert calls[(acct.account_id, "DescribeListenerCertificates", first)] == 3
