"""huawei.cdn over the real SDK and the emulator: pages, inline certificates, idempotent binds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from providers.base import Account, CertificateBundle, NoHooks, ProductAdapter, Resource
from providers.emulators.huawei import HuaweiEmulator
from providers.emulators.pki import Authority, IssuedCertificate
from providers.errors import AuthFailed, Permanent, Throttled
from providers.huawei.cdn import INFO, PREPARED, HuaweiCdn
from providers.verify import verify_served_certificate

ToBundle = Callable[[IssuedCertificate], CertificateBundle]


def domain(name: str) -> Resource:
    return Resource("huawei", "huawei.cdn", name, (name,))


def test_the_adapter_fulfils_the_contract_and_carries_its_metadata() -> None:
    adapter = INFO.factory(NoHooks())
    assert isinstance(adapter, ProductAdapter)
    assert INFO.name == adapter.name == "huawei.cdn"
    assert INFO.permissions and INFO.api_docs.startswith("https://")


def test_discover_follows_page_number_until_total(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority
) -> None:
    served = authority.issue(["*.many.test"])
    for i in range(17):
        hw.add_cdn_domain(
            hw_account.access_key_id, f"d{i:02}.many.test", cert=served if i % 2 else None
        )

    found = list(HuaweiCdn(page_size=7).discover(hw_account))

    assert [r.native_id for r in found] == [f"d{i:02}.many.test" for i in range(17)]
    assert hw.calls[(hw_account.access_key_id, "ListDomains")] == 3  # 7 + 7 + 3
    # Only HTTPS domains cost a configuration read; HTTP-only ones serve nothing.
    assert hw.calls[(hw_account.access_key_id, "ShowDomainFullConfig")] == 8
    https = [r for r in found if r.served is not None]
    assert len(https) == 8
    assert all(r.served and r.served.fingerprint == served.fingerprint for r in https)
    assert https[0].attributes["status"] == "online" and https[0].hostnames == ("d01.many.test",)


def test_bind_sends_the_pem_inline_once_keeps_https_options_and_serves_over_tls(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority, to_bundle: ToBundle
) -> None:
    ak = hw_account.access_key_id
    hw.add_cdn_domain(
        ak,
        "www.keep.test",
        cert=authority.issue(["www.keep.test"]),
        https_options={"http2_status": "on", "ocsp_stapling_status": "on"},
    )
    new = authority.issue(["www.keep.test"], days=90)
    bundle = to_bundle(new)
    cdn = HuaweiCdn()

    remote = cdn.ensure_certificate(hw_account, bundle, None)
    assert cdn.bind(hw_account, domain("www.keep.test"), remote) is True
    again = HuaweiCdn()  # a retry in another worker: nothing remembered in memory
    assert again.ensure_certificate(hw_account, bundle, None) == remote == bundle.alias
    assert again.bind(hw_account, domain("www.keep.test"), remote) is False

    https = hw.cdn_https(ak, "www.keep.test")
    assert (https["http2_status"], https["ocsp_stapling_status"]) == ("on", "on")
    assert https["certificate_name"] == bundle.alias
    assert hw.calls[(ak, "UpdateDomainFullConfig", "www.keep.test")] == 1
    assert hw.uploads[(ak, new.fingerprint)] == 1
    assert cdn.current(hw_account, domain("www.keep.test")).remote_id == remote
    verify_served_certificate(hw_account, domain("www.keep.test"), new.fingerprint)


def test_certificate_not_covering_the_domain_is_permanent_with_the_vendor_code(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority, to_bundle: ToBundle
) -> None:
    hw.add_cdn_domain(hw_account.access_key_id, "deep.sub.cover.test")
    cdn = HuaweiCdn()
    remote = cdn.ensure_certificate(hw_account, to_bundle(authority.issue(["*.cover.test"])), None)

    with pytest.raises(Permanent) as caught:
        cdn.bind(hw_account, domain("deep.sub.cover.test"), remote)

    assert not isinstance(caught.value, AuthFailed)
    assert caught.value.vendor_code == "CDN.0406"
    assert "do not match" in caught.value.reason


def test_a_domain_of_another_account_and_a_missing_one_are_permanent(
    hw: HuaweiEmulator, make_hw_account: Callable[..., Account]
) -> None:
    mine, theirs = make_hw_account(), make_hw_account()
    hw.add_cdn_domain(theirs.access_key_id, "theirs.test")

    codes = []
    for name in ("theirs.test", "nobody.test"):
        with pytest.raises(Permanent) as caught:
            HuaweiCdn().current(mine, domain(name))
        codes.append(caught.value.vendor_code)

    assert codes == ["CDN.0108", "CDN.0105"]


def test_bind_without_ensure_is_refused_unless_already_served(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority, to_bundle: ToBundle
) -> None:
    issued = authority.issue(["same.test"])
    hw.add_cdn_domain(hw_account.access_key_id, "same.test", cert=issued)  # set by a person
    hw.add_cdn_domain(hw_account.access_key_id, "other.test")
    alias = to_bundle(issued).alias

    assert HuaweiCdn().bind(hw_account, domain("same.test"), alias) is False
    with pytest.raises(Permanent, match="no PEM for"):
        HuaweiCdn().bind(hw_account, domain("other.test"), alias)


def test_a_remembered_id_binds_in_this_process_and_bind_certificate_anywhere(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority, to_bundle: ToBundle
) -> None:
    # Workers remember upload ids and skip ensure_certificate on later deployments.
    for name in ("one.remember.test", "two.remember.test", "three.remember.test"):
        hw.add_cdn_domain(hw_account.access_key_id, name)
    bundle = to_bundle(authority.issue(["*.remember.test"]))
    remembered = HuaweiCdn().ensure_certificate(hw_account, bundle, None)

    assert HuaweiCdn().bind(hw_account, domain("one.remember.test"), remembered) is True
    PREPARED.clear()  # as in another worker process
    with pytest.raises(Permanent, match="use bind_certificate"):
        HuaweiCdn().bind(hw_account, domain("two.remember.test"), remembered)
    assert HuaweiCdn().bind_certificate(hw_account, domain("two.remember.test"), bundle) is True
    assert HuaweiCdn().current(hw_account, domain("two.remember.test")).remote_id == remembered


def test_calls_go_through_the_hooks_and_throttles_slow_the_bucket(
    hw: HuaweiEmulator, hw_account: Account, hooks: Any
) -> None:
    hw.inject(None, error_code="APIGW.0308", access_key=hw_account.access_key_id)
    cdn = HuaweiCdn(hooks)

    with pytest.raises(Throttled):
        cdn.check_credentials(hw_account)
    cdn.check_credentials(hw_account)

    assert hooks.acquired == [(hw_account.key, "cdn")] * 2
    assert hooks.records == [("ListDomains", "throttled"), ("ListDomains", "ok")]
    assert hooks.throttles and hooks.throttles[0][0] == "cdn"


def test_missing_domain_id_is_refused_before_any_call(hw_account: Account) -> None:
    without = replace(hw_account, options={})

    with pytest.raises(Permanent, match="domain_id"):
        HuaweiCdn().check_credentials(without)
