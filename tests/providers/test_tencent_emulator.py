"""The Tencent emulator as the real SDK sees it: signatures, vendor errors, vendor quirks."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from providers.base import Account
from providers.emulators.pki import Authority
from providers.emulators.tencent import TencentEmulator
from providers.errors import AuthFailed, Permanent
from providers.secrets import Secret
from providers.tencent import client
from providers.tencent.errors import classify

PERMISSIONS = ("QcloudSSLFullAccess", "QcloudCDNFullAccess")


def sdk_error(call: Callable[[], Any]) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as caught:
        call()
    return caught.value


def test_requests_signed_by_the_real_sdk_are_accepted(account: Account) -> None:
    answer = client.ssl_api(account).call_json("DescribeCertificates", {})

    assert answer["Response"]["TotalCount"] == 0
    assert answer["Response"]["RequestId"]


def test_wrong_secret_is_a_signature_failure_and_an_auth_failure_for_certfleet(
    make_account: Callable[..., Account], emulator: TencentEmulator
) -> None:
    right = make_account()
    wrong = replace(right, secret=Secret("not-the-secret-key"))

    error = sdk_error(lambda: client.cdn_api(wrong).call_json("DescribeDomains", {}))
    failure = classify(error, account=wrong, action="DescribeDomains", permissions=PERMISSIONS)

    assert error.code == "AuthFailure.SignatureFailure"
    assert isinstance(failure, AuthFailed)
    assert failure.vendor_code == "AuthFailure.SignatureFailure"
    assert "SecretKey" in failure.reason and "not-the-secret-key" not in str(failure)


def test_unknown_secret_id(make_account: Callable[..., Account]) -> None:
    stranger = make_account(register=False)

    error = sdk_error(lambda: client.cdn_api(stranger).call_json("DescribeDomains", {}))

    assert error.code == "AuthFailure.SecretIdNotFound"


def test_requests_older_than_five_minutes_are_expired(
    account: Account, emulator: TencentEmulator
) -> None:
    emulator.clock = lambda: time.time() + 301  # the server is ahead: the request looks old

    error = sdk_error(lambda: client.cdn_api(account).call_json("DescribeDomains", {}))

    assert error.code == "AuthFailure.SignatureExpire"


def test_errors_use_the_vendor_envelope_and_exactly_application_json(
    emulator: TencentEmulator,
) -> None:
    connection = http.client.HTTPConnection(*emulator.endpoint.split(":"), timeout=5)
    connection.request("POST", "/", body=b"{}", headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()

    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert body["Response"]["Error"]["Code"] == "AuthFailure.InvalidAuthorization"
    assert body["Response"]["RequestId"]


def test_upload_with_repeatable_false_returns_the_existing_certificate(
    account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    cert = authority.issue(["www.a.com"])
    params = {
        "CertificatePublicKey": cert.chain_pem,
        "CertificatePrivateKey": cert.key_pem,
        "Alias": "one",
        "Repeatable": False,
    }
    ssl = client.ssl_api(account)

    first = ssl.call_json("UploadCertificate", params)["Response"]
    again = ssl.call_json("UploadCertificate", params)["Response"]
    extra = ssl.call_json("UploadCertificate", {**params, "Repeatable": True})["Response"]

    assert again["RepeatCertId"] == again["CertificateId"] == first["CertificateId"]
    assert extra["CertificateId"] != first["CertificateId"]
    assert len(emulator.certificate_ids(account.access_key_id)) == 2


def test_upload_rejects_a_key_that_is_not_the_certificates(
    account: Account, authority: Authority
) -> None:
    cert, other = authority.issue(["www.a.com"]), authority.issue(["www.a.com"])
    params = {"CertificatePublicKey": cert.chain_pem, "CertificatePrivateKey": other.key_pem}

    error = sdk_error(lambda: client.ssl_api(account).call_json("UploadCertificate", params))
    failure = classify(error, account=account, action="UploadCertificate", permissions=PERMISSIONS)

    assert error.code == "FailedOperation.CertificateMismatch"
    assert isinstance(failure, Permanent) and not isinstance(failure, AuthFailed)


def test_describe_domains_config_refuses_pages_over_the_vendor_maximum(account: Account) -> None:
    error = sdk_error(
        lambda: client.cdn_api(account).call_json("DescribeDomainsConfig", {"Limit": 101})
    )

    assert error.code == "InvalidParameter.CdnParamError"


def test_update_domain_config_resets_https_fields_it_was_not_sent(
    account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    cert = authority.issue(["www.a.com"])
    emulator.add_cdn_domain(
        account.access_key_id, "www.a.com", cert=cert, https_options={"Http2": "on"}
    )
    cert_id = emulator.https_config(account.access_key_id, "www.a.com")["CertInfo"]["CertId"]
    minimal = {"Domain": "www.a.com", "Https": {"Switch": "on", "CertInfo": {"CertId": cert_id}}}

    client.cdn_api(account).call_json("UpdateDomainConfig", minimal)

    assert emulator.https_config(account.access_key_id, "www.a.com")["Http2"] == "off"


def test_injected_faults_apply_to_the_next_calls_then_stop(
    account: Account, emulator: TencentEmulator
) -> None:
    emulator.inject("DescribeDomains", error_code="InternalError.CdnSystemError", times=2)
    cdn = client.cdn_api(account)

    codes = [sdk_error(lambda: cdn.call_json("DescribeDomains", {})).code for _ in range(2)]
    cdn.call_json("DescribeDomains", {})

    assert codes == ["InternalError.CdnSystemError"] * 2
    assert emulator.calls[(account.access_key_id, "DescribeDomains")] == 3


def test_gateway_failures_reach_the_sdk_as_server_network_errors(
    account: Account, emulator: TencentEmulator
) -> None:
    emulator.inject(None, http_status=502)

    error = sdk_error(lambda: client.cdn_api(account).call_json("DescribeDomains", {}))

    assert error.code == "ServerNetworkError"


def test_secret_key_is_accepted_only_for_its_own_account(
    make_account: Callable[..., Account],
) -> None:
    first, second = make_account("first-secret"), make_account("second-secret")
    borrowed = replace(second, secret=first.secret)

    assert client.ssl_api(first).call_json("DescribeCertificates", {})
    error = sdk_error(lambda: client.ssl_api(borrowed).call_json("DescribeCertificates", {}))
    assert error.code == "AuthFailure.SignatureFailure"
