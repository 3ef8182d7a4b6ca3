"""The emulated gateway as the real SDK sees it: signatures, clocks, lockouts, throttles."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from huaweicloudsdkcdn.v2 import ListDomainsRequest, ShowDomainFullConfigRequest
from huaweicloudsdkcore.exceptions.exceptions import (
    ClientRequestException,
    ConnectionException,
    ServiceResponseException,
)
from huaweicloudsdkelb.v3 import (
    CreateCertificateOption,
    CreateCertificateRequest,
    CreateCertificateRequestBody,
    ListListenersRequest,
)

from providers.base import Account
from providers.emulators.huawei import HuaweiEmulator
from providers.emulators.huawei.transport import Request
from providers.emulators.pki import Authority
from providers.errors import AuthFailed, Throttled, Transient
from providers.huawei import client
from providers.huawei.errors import classify
from providers.secrets import Secret

REGION = "cn-north-4"
PERMISSIONS = ("ELB FullAccess",)


def sdk_error(call: Callable[[], Any]) -> ServiceResponseException:
    with pytest.raises(ServiceResponseException) as caught:
        call()
    return caught.value


def list_domains(account: Account) -> Any:
    return client.cdn_api(account).list_domains(ListDomainsRequest(page_size=10))


def test_requests_signed_by_the_real_sdk_are_accepted_for_both_services(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority
) -> None:
    hw.add_cdn_domain(
        hw_account.access_key_id, "*.wild.test", cert=authority.issue(["*.wild.test"])
    )
    cdn = client.cdn_api(hw_account)
    # A wildcard domain travels as %2A in the path: the canonical URI must agree with the SDK.
    shown = cdn.show_domain_full_config(ShowDomainFullConfigRequest(domain_name="*.wild.test"))
    # Repeated query parameters (protocol=HTTPS&protocol=TLS) are signed in order.
    listed = client.elb_api(hw_account, REGION).list_listeners(
        ListListenersRequest(limit=5, protocol=["HTTPS", "TLS"], name=["b", "a"])
    )

    assert shown.configs.https.https_status == "on"
    assert listed.listeners == []
    assert hw.calls[(hw_account.access_key_id, "ShowDomainFullConfig", "*.wild.test")] == 1


def test_wrong_secret_answers_the_gateway_signature_code_and_is_an_auth_failure(
    hw_account: Account,
) -> None:
    wrong = replace(hw_account, secret=Secret("not-the-secret-key"))

    error = sdk_error(lambda: list_domains(wrong))
    failure = classify(error, account=wrong, action="ListDomains", permissions=PERMISSIONS)

    assert (error.status_code, error.error_code) == (401, "APIGW.0301")
    assert "verify aksk signature fail" in error.error_msg
    assert isinstance(failure, AuthFailed)
    assert failure.vendor_code == "APIGW.0301"
    assert "SK stored for AK" in failure.reason
    assert "not-the-secret-key" not in str(failure)


def test_unknown_access_key(make_hw_account: Callable[..., Account]) -> None:
    stranger = make_hw_account(register=False)

    error = sdk_error(lambda: list_domains(stranger))
    failure = classify(error, account=stranger, action="ListDomains", permissions=PERMISSIONS)

    assert error.error_code == "APIGW.0301"
    assert f"ak {stranger.access_key_id} not exist" in error.error_msg
    assert isinstance(failure, AuthFailed) and "does not know AK" in failure.reason


def test_a_skewed_clock_is_refused_as_an_expired_signature(
    hw: HuaweiEmulator, hw_account: Account
) -> None:
    hw.clock = lambda: time.time() + 16 * 60  # the gateway allows 15 minutes

    error = sdk_error(lambda: list_domains(hw_account))
    failure = classify(error, account=hw_account, action="ListDomains", permissions=PERMISSIONS)

    assert error.error_code == "APIGW.0301" and "signature expired" in error.error_msg
    assert isinstance(failure, AuthFailed) and "clock" in failure.reason


def test_five_bad_signatures_lock_the_access_key(hw_account: Account) -> None:
    wrong = replace(hw_account, secret=Secret("not-the-secret-key"))
    for _ in range(5):
        sdk_error(lambda: list_domains(wrong))

    error = sdk_error(lambda: list_domains(hw_account))  # now even the right key is refused

    assert error.error_code == "APIGW.0301"
    assert "AK access failed to reach the limit" in error.error_msg
    failure = classify(error, account=hw_account, action="ListDomains", permissions=PERMISSIONS)
    assert isinstance(failure, AuthFailed) and "locked" in failure.reason


def test_project_of_another_account_is_refused(
    make_hw_account: Callable[..., Account],
) -> None:
    mine, theirs = make_hw_account(), make_hw_account()
    borrowed = replace(mine, options={**mine.options, **theirs.options} | {"domain_id": "x"})

    error = sdk_error(
        lambda: client.elb_api(borrowed, REGION).list_listeners(ListListenersRequest())
    )

    assert (error.status_code, error.error_code) == (401, "APIGW.0301")
    assert "does not belong" in error.error_msg


def test_throttled_get_loses_its_body_in_the_sdk_but_is_still_throttled(
    hw: HuaweiEmulator, hw_account: Account
) -> None:
    hw.set_rate_limit("ListDomains", 1)
    list_domains(hw_account)

    error = sdk_error(lambda: list_domains(hw_account))
    failure = classify(error, account=hw_account, action="ListDomains", permissions=PERMISSIONS)

    assert isinstance(error, ClientRequestException) and error.status_code == 429
    assert error.error_code == "429"  # the SDK's urllib3 retry policy swallowed the JSON body
    assert isinstance(failure, Throttled) and failure.retry_after > 0
    assert failure.vendor_code == "APIGW.0308"
    assert hw.throttled[(hw_account.access_key_id, "ListDomains")] == 1


def test_throttled_post_keeps_the_gateway_code(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority
) -> None:
    hw.set_rate_limit("CreateCertificate", 1)
    issued = authority.issue(["post.test"])
    option = CreateCertificateOption(
        name="c", certificate=issued.chain_pem, private_key=issued.key_pem
    )
    request = CreateCertificateRequest(body=CreateCertificateRequestBody(certificate=option))
    elb = client.elb_api(hw_account, REGION)
    elb.create_certificate(request)

    error = sdk_error(lambda: elb.create_certificate(request))

    assert (error.status_code, error.error_code) == (429, "APIGW.0308")
    assert "policy user over ratelimit" in error.error_msg


def test_unknown_api_answers_apigw_0101(hw: HuaweiEmulator, hw_account: Account) -> None:
    reply = hw.handle(_request("GET", "/v9/nothing/here"))

    assert reply.status == 404
    assert b"APIGW.0101" in reply.body


def test_injected_gateway_page_and_read_timeout_are_transient(
    hw: HuaweiEmulator, make_hw_account: Callable[..., Account]
) -> None:
    account = make_hw_account(request_timeout=1)
    hw.inject("ListDomains", http_status=502, access_key=account.access_key_id)
    page = sdk_error(lambda: list_domains(account))
    hw.inject("ListDomains", latency=1.3, access_key=account.access_key_id)
    with pytest.raises(ConnectionException) as timed_out:  # "Read timed out", via urllib3
        list_domains(account)

    for error, action in ((page, "ListDomains"), (timed_out.value, "ListDomains")):
        failure = classify(error, account=account, action=action, permissions=PERMISSIONS)
        assert isinstance(failure, Transient), failure
    assert page.status_code == 502


def _request(method: str, path: str) -> Request:
    return Request(method, path, "", {}, b"")
