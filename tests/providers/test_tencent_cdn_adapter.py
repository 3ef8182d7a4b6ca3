"""tencent.cdn over the real SDK against the emulator: discover, upload once, bind once, verify."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from providers.base import Account, CertificateBundle, ProductAdapter, Resource
from providers.emulators.pki import Authority, IssuedCertificate
from providers.emulators.tencent import TencentEmulator
from providers.errors import (
    AuthFailed,
    Permanent,
    ProviderError,
    Throttled,
    Transient,
    VerificationFailed,
)
from providers.secrets import Secret
from providers.tencent.cdn import TencentCdn
from providers.verify import verify_served_certificate

ToBundle = Callable[[IssuedCertificate], CertificateBundle]


def resource(domain: str) -> Resource:
    return Resource("tencent", "tencent.cdn", domain, (domain,))


def test_the_adapter_fulfils_the_contract(cdn: TencentCdn) -> None:
    assert isinstance(cdn, ProductAdapter)
    assert cdn.name == "tencent.cdn"


def test_discover_reads_every_page_with_the_served_certificate(
    cdn: TencentCdn, account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    served = authority.issue(["*.many.test"])
    for i in range(250):
        emulator.add_cdn_domain(
            account.access_key_id, f"d{i:03}.many.test", cert=served if i % 2 else None
        )

    found = list(cdn.discover(account))

    assert [r.native_id for r in found] == [f"d{i:03}.many.test" for i in range(250)]
    assert emulator.calls[(account.access_key_id, "DescribeDomainsConfig")] == 3
    with_https = [r for r in found if r.served is not None]
    assert len(with_https) == 125
    assert all(r.served and r.served.not_after for r in with_https)
    first = with_https[0]
    assert first.hostnames == (first.native_id,)
    assert first.attributes["resource_id"].startswith("cdn-")


def test_ensure_certificate_twice_uploads_once(
    cdn: TencentCdn,
    account: Account,
    emulator: TencentEmulator,
    authority: Authority,
    to_bundle: ToBundle,
) -> None:
    bundle = to_bundle(authority.issue(["www.a.com"]))

    first = cdn.ensure_certificate(account, bundle, None)
    second = TencentCdn().ensure_certificate(account, bundle, None)  # e.g. a retry elsewhere

    assert first == second
    assert emulator.calls[(account.access_key_id, "UploadCertificate")] == 1
    assert emulator.calls[(account.access_key_id, "UploadCertificate", bundle.fingerprint)] == 1


def test_racing_uploads_of_one_certificate_leave_one_copy(
    account: Account, emulator: TencentEmulator, authority: Authority, to_bundle: ToBundle
) -> None:
    bundle = to_bundle(authority.issue(["www.a.com"]))

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(
            pool.map(lambda _: TencentCdn().ensure_certificate(account, bundle, None), range(6))
        )

    assert len(ids) == 1
    assert emulator.certificate_ids(account.access_key_id) == list(ids)


def test_bind_twice_updates_the_domain_once(
    cdn: TencentCdn,
    account: Account,
    emulator: TencentEmulator,
    authority: Authority,
    to_bundle: ToBundle,
) -> None:
    emulator.add_cdn_domain(account.access_key_id, "www.a.com")
    cert_id = cdn.ensure_certificate(account, to_bundle(authority.issue(["www.a.com"])), None)

    assert cdn.bind(account, resource("www.a.com"), cert_id) is True
    assert cdn.bind(account, resource("www.a.com"), cert_id) is False
    assert emulator.calls[(account.access_key_id, "UpdateDomainConfig", "www.a.com")] == 1
    assert cdn.current(account, resource("www.a.com")).remote_id == cert_id


def test_bind_keeps_the_other_https_settings(
    cdn: TencentCdn,
    account: Account,
    emulator: TencentEmulator,
    authority: Authority,
    to_bundle: ToBundle,
) -> None:
    old = authority.issue(["www.a.com"])
    emulator.add_cdn_domain(
        account.access_key_id, "www.a.com", cert=old, https_options={"Http2": "on"}
    )
    cert_id = cdn.ensure_certificate(account, to_bundle(authority.issue(["www.a.com"])), None)

    cdn.bind(account, resource("www.a.com"), cert_id)

    https = emulator.https_config(account.access_key_id, "www.a.com")
    assert https["Http2"] == "on"
    assert https["CertInfo"]["CertId"] == cert_id


def test_bound_certificate_is_really_served(
    cdn: TencentCdn,
    account: Account,
    emulator: TencentEmulator,
    authority: Authority,
    to_bundle: ToBundle,
) -> None:
    old, new = authority.issue(["www.a.com"]), authority.issue(["www.a.com", "a.com"])
    emulator.add_cdn_domain(account.access_key_id, "www.a.com", cert=old)
    with pytest.raises(VerificationFailed, match=r"www\.a\.com still serves"):
        verify_served_certificate(account, resource("www.a.com"), new.fingerprint)

    cert_id = cdn.ensure_certificate(account, to_bundle(new), None)
    cdn.bind(account, resource("www.a.com"), cert_id)

    verify_served_certificate(account, resource("www.a.com"), new.fingerprint)
    with pytest.raises(VerificationFailed, match=old.fingerprint[:16]):
        verify_served_certificate(account, resource("www.a.com"), old.fingerprint)


def test_wildcard_domain_is_bound_and_verified_through_a_probe_name(
    cdn: TencentCdn,
    account: Account,
    emulator: TencentEmulator,
    authority: Authority,
    to_bundle: ToBundle,
) -> None:
    emulator.add_cdn_domain(account.access_key_id, "*.w.test")
    cert = authority.issue(["*.w.test"])
    [found] = list(cdn.discover(account))

    cdn.bind(account, found, cdn.ensure_certificate(account, to_bundle(cert), None))

    verify_served_certificate(account, found, cert.fingerprint)


def test_rate_limit_becomes_throttled_with_a_retry_after(
    cdn: TencentCdn,
    hooks: Any,
    account: Account,
    emulator: TencentEmulator,
) -> None:
    emulator.set_rate_limit("DescribeDomainsConfig", 1)
    list(cdn.discover(account))

    with pytest.raises(Throttled) as caught:
        list(cdn.discover(account))

    assert caught.value.retry_after > 0
    assert caught.value.vendor_code == "RequestLimitExceeded"
    assert emulator.throttled[(account.access_key_id, "DescribeDomainsConfig")] == 1
    assert hooks.throttles == [("cdn", caught.value.retry_after)]
    assert hooks.records[-1] == ("DescribeDomainsConfig", "throttled")


def test_gateway_5xx_is_transient(
    cdn: TencentCdn, hooks: Any, account: Account, emulator: TencentEmulator
) -> None:
    emulator.inject("DescribeDomainsConfig", http_status=502)

    with pytest.raises(Transient, match="502 Bad Gateway") as caught:
        list(cdn.discover(account))

    assert caught.value.vendor_code == "ServerNetworkError"
    assert hooks.records == [("DescribeDomainsConfig", "transient")]
    assert list(cdn.discover(account)) == []  # the fault was a one-off


@pytest.mark.parametrize(
    ("setup", "vendor_code"),
    [
        ("locked", "ResourceUnavailable.CdnHostIsLocked"),
        ("not covering", "InvalidParameter.CdnParamError"),
        ("other account", "InvalidParameter.CdnCertInfoNotFound"),
    ],
)
def test_refused_binds_are_permanent_with_the_vendor_code(
    setup: str,
    vendor_code: str,
    cdn: TencentCdn,
    account: Account,
    make_account: Callable[..., Account],
    emulator: TencentEmulator,
    authority: Authority,
    to_bundle: ToBundle,
) -> None:
    emulator.add_cdn_domain(account.access_key_id, "www.a.com", locked=setup == "locked")
    names = ["www.b.com"] if setup == "not covering" else ["www.a.com"]
    owner = make_account() if setup == "other account" else account
    cert_id = cdn.ensure_certificate(owner, to_bundle(authority.issue(names)), None)

    with pytest.raises(Permanent) as caught:
        cdn.bind(account, resource("www.a.com"), cert_id)

    assert caught.value.vendor_code == vendor_code
    assert not isinstance(caught.value, AuthFailed)
    assert vendor_code in str(caught.value)


def test_missing_permission_names_the_policies_to_grant(
    cdn: TencentCdn, account: Account, emulator: TencentEmulator
) -> None:
    emulator.inject("DescribeDomainsConfig", error_code="UnauthorizedOperation.CdnCamUnauthorized")

    with pytest.raises(AuthFailed, match="QcloudSSLFullAccess \\+ QcloudCDNFullAccess"):
        list(cdn.discover(account))


def test_current_of_a_vanished_domain_is_permanent(cdn: TencentCdn, account: Account) -> None:
    with pytest.raises(Permanent, match="not in this account"):
        cdn.current(account, resource("gone.a.com"))


def test_the_secret_never_shows_in_reprs_or_errors(
    cdn: TencentCdn,
    account: Account,
    emulator: TencentEmulator,
    authority: Authority,
    to_bundle: ToBundle,
) -> None:
    secret = account.secret.reveal()
    emulator.add_cdn_domain(account.access_key_id, "www.a.com", locked=True)
    bundle = to_bundle(authority.issue(["www.a.com"]))
    cert_id = cdn.ensure_certificate(account, bundle, None)

    locked = failure_of(lambda: cdn.bind(account, resource("www.a.com"), cert_id))
    bad_key = failure_of(lambda: list(cdn.discover(replace(account, secret=Secret("x" + secret)))))
    offline = failure_of(lambda: list(cdn.discover(replace(account, api_endpoint="127.0.0.1:1"))))
    emulator.inject("DescribeDomainsConfig", error_code="InternalError", message=f"echo {secret}")
    echoed = failure_of(lambda: list(cdn.discover(account)))

    failures = [locked, bad_key, offline, echoed]
    assert [type(f) for f in failures] == [Permanent, AuthFailed, Transient, Transient]
    texts = [repr(account), str(account), repr(bundle), *map(str, failures)]
    texts += [repr(f.__cause__) for f in failures]
    assert not [t for t in texts if secret in t]


def failure_of(attempt: Callable[[], object]) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        attempt()
    return caught.value


def test_a_timed_out_bind_that_the_vendor_applied_is_not_applied_twice(
    cdn: TencentCdn,
    account: Account,
    emulator: TencentEmulator,
    authority: Authority,
    to_bundle: ToBundle,
) -> None:
    emulator.add_cdn_domain(account.access_key_id, "www.a.com")
    cert_id = cdn.ensure_certificate(account, to_bundle(authority.issue(["www.a.com"])), None)
    impatient = replace(account, options={"request_timeout": "1"})
    emulator.inject("UpdateDomainConfig", latency=1.5)  # answers late, but still applies

    with pytest.raises(Transient):
        cdn.bind(impatient, resource("www.a.com"), cert_id)
    time.sleep(1.0)  # the vendor finishes the change after the client gave up

    assert cdn.bind(account, resource("www.a.com"), cert_id) is False
    assert emulator.calls[(account.access_key_id, "UpdateDomainConfig", "www.a.com")] == 1


def test_verification_fails_until_the_cdn_has_rolled_out(
    cdn: TencentCdn,
    account: Account,
    emulator: TencentEmulator,
    authority: Authority,
    to_bundle: ToBundle,
) -> None:
    cert = authority.issue(["www.a.com"])
    emulator.add_cdn_domain(account.access_key_id, "www.a.com")
    emulator.set_propagation_delay(0.5)
    cdn.bind(account, resource("www.a.com"), cdn.ensure_certificate(account, to_bundle(cert), None))

    with pytest.raises(VerificationFailed):
        verify_served_certificate(account, resource("www.a.com"), cert.fingerprint)
    time.sleep(0.8)
    verify_served_certificate(account, resource("www.a.com"), cert.fingerprint)


def test_debug_logging_never_writes_the_private_key(
    cdn: TencentCdn,
    account: Account,
    authority: Authority,
    to_bundle: ToBundle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bundle = to_bundle(authority.issue(["www.a.com"]))

    cdn.ensure_certificate(account, bundle, None)

    key_body = bundle.key_pem.reveal().splitlines()[1]
    assert key_body not in caplog.text
    assert account.secret.reveal() not in caplog.text
