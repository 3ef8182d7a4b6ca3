"""Vendor rules the emulator enforces, driven through the real SDK (adapters must cope)."""

from __future__ import annotations

import pytest
from huaweicloudsdkcdn.v2 import (
    Configs,
    HttpPutBody,
    ModifyDomainConfigRequestBody,
    UpdateDomainFullConfigRequest,
)
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkelb.v3 import (
    ListCertificatesRequest,
    UpdateCertificateOption,
    UpdateCertificateRequest,
    UpdateCertificateRequestBody,
    UpdateListenerOption,
    UpdateListenerRequest,
    UpdateListenerRequestBody,
)

from providers.base import Account, Resource
from providers.emulators.huawei import HuaweiEmulator
from providers.emulators.pki import Authority
from providers.huawei import client
from providers.huawei.cdn import HuaweiCdn
from providers.verify import verify_served_certificate

REGION = "cn-north-4"


def test_update_certificate_changes_it_in_place_and_listeners_follow(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority
) -> None:
    ak = hw_account.access_key_id
    cert_id = hw.add_certificate(
        ak, REGION, authority.issue(["inplace.test"]), domain="inplace.test"
    )
    listener = hw.add_listener(
        ak, REGION, hw.add_load_balancer(ak, REGION), default_certificate=cert_id
    )
    renewed = authority.issue(["inplace.test"], days=90)
    option = UpdateCertificateOption(certificate=renewed.chain_pem, private_key=renewed.key_pem)

    client.elb_api(hw_account, REGION).update_certificate(
        UpdateCertificateRequest(
            certificate_id=cert_id, body=UpdateCertificateRequestBody(certificate=option)
        )
    )

    resource = Resource("huawei", "huawei.elb", listener, ("inplace.test",), region=REGION)
    verify_served_certificate(hw_account, resource, renewed.fingerprint)
    assert hw.uploads[(ak, renewed.fingerprint)] == 1


def test_sni_certificates_need_a_domain_and_distinct_names(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority
) -> None:
    ak = hw_account.access_key_id
    default = hw.add_certificate(ak, REGION, authority.issue(["d.test"]), domain="d.test")
    bare = hw.add_certificate(ak, REGION, authority.issue(["bare.test"]))
    first = hw.add_certificate(ak, REGION, authority.issue(["x.test"]), domain="x.test")
    second = hw.add_certificate(ak, REGION, authority.issue(["x.test"]), domain="x.test")
    listener = hw.add_listener(
        ak, REGION, hw.add_load_balancer(ak, REGION), default_certificate=default
    )
    elb = client.elb_api(hw_account, REGION)

    messages = []
    for refs in ([bare], [first, second]):
        body = UpdateListenerRequestBody(listener=UpdateListenerOption(sni_container_refs=refs))
        with pytest.raises(ClientRequestException) as caught:
            elb.update_listener(UpdateListenerRequest(listener_id=listener, body=body))
        assert caught.value.error_code == "ELB.8902"
        messages.append(caught.value.error_msg)

    assert "must have a domain" in messages[0] and "repeats a domain" in messages[1]


def test_private_keys_are_echoed_unless_the_project_switches_echo_off(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority
) -> None:
    ak = hw_account.access_key_id
    issued = authority.issue(["echo.test"])
    hw.add_certificate(ak, REGION, issued)
    elb = client.elb_api(hw_account, REGION)

    echoed = elb.list_certificates(ListCertificatesRequest()).certificates[0].private_key
    hw.set_private_key_echo(ak, REGION, False)
    masked = elb.list_certificates(ListCertificatesRequest()).certificates[0].private_key

    assert echoed == issued.key_pem and masked == "******"


def test_cdn_https_block_is_replaced_whole_so_unsent_fields_revert(
    hw: HuaweiEmulator, hw_account: Account, authority: Authority
) -> None:
    ak = hw_account.access_key_id
    issued = authority.issue(["whole.test"])
    hw.add_cdn_domain(ak, "whole.test", cert=issued, https_options={"http2_status": "on"})
    https = HttpPutBody(
        https_status="on",
        certificate_type="server",
        certificate_source=0,
        certificate_name="naive-client",
        certificate_value=issued.chain_pem,
        private_key=issued.key_pem,
    )

    client.cdn_api(hw_account).update_domain_full_config(
        UpdateDomainFullConfigRequest(
            domain_name="whole.test",
            body=ModifyDomainConfigRequestBody(configs=Configs(https=https)),
        )
    )

    assert hw.cdn_https(ak, "whole.test")["http2_status"] == "off"  # what HuaweiCdn avoids


def test_environment_proxies_are_ignored_for_the_loopback_emulator(
    hw: HuaweiEmulator, hw_account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    HuaweiCdn().check_credentials(hw_account)

    assert hw.calls[(hw_account.access_key_id, "ListDomains")] == 1
