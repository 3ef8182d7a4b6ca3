"""The emulator's CLB and WAF as the real SDK sees them: the vendor rules adapters must meet."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from providers.base import Account
from providers.emulators.pki import Authority
from providers.emulators.tencent import TencentEmulator
from providers.tencent import client
from providers.verify import parse_host_port, served_fingerprint
from tests.providers.tencent_clb_waf.conftest import REGION


def sdk_error(call: Callable[[], Any]) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as caught:
        call()
    return caught.value


def upload(account: Account, authority: Authority, *names: str) -> str:
    cert = authority.issue(list(names))
    answer = client.ssl_api(account).call_json(
        "UploadCertificate",
        {"CertificatePublicKey": cert.chain_pem, "CertificatePrivateKey": cert.key_pem},
    )
    return str(answer["Response"]["CertificateId"])


def change(lb: str, listener: str, cert_id: str, **extra: str) -> dict[str, Any]:
    certificate = {"SSLMode": "UNIDIRECTIONAL", "CertId": cert_id}
    return {"LoadBalancerId": lb, "ListenerId": listener, "Certificate": certificate, **extra}


def status(account: Account, task_id: str) -> dict[str, Any]:
    answer = client.clb_api(account, REGION).call_json("DescribeTaskStatus", {"TaskId": task_id})
    return dict(answer["Response"])


def listener_of(account: Account, lb: str, listener: str) -> dict[str, Any]:
    answer = client.clb_api(account, REGION).call_json(
        "DescribeListeners", {"LoadBalancerId": lb, "ListenerIds": [listener]}
    )
    return dict(answer["Response"]["Listeners"][0])


def test_a_change_is_a_task_that_runs_then_succeeds_and_only_then_shows(
    account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    sid = account.access_key_id
    lb = emulator.clb.add_load_balancer(sid)
    listener = emulator.clb.add_listener(sid, lb, domains=["a.task.test"])
    cert_id = upload(account, authority, "a.task.test")
    emulator.clb.set_task_seconds(0.3)
    clb = client.clb_api(account, REGION)

    task_id = clb.call_json("ModifyListener", change(lb, listener, cert_id))["Response"][
        "RequestId"
    ]
    running, shown_while_running = status(account, task_id), listener_of(account, lb, listener)
    refused = sdk_error(lambda: clb.call_json("ModifyListener", change(lb, listener, cert_id)))
    time.sleep(0.35)

    assert running["Status"] == 2 and running["LoadBalancerIds"] == [lb]
    assert shown_while_running["Certificate"] is None
    assert refused.code == "FailedOperation.ResourceInOperating"
    assert "maybe some tasks are being processed" in refused.message
    assert status(account, task_id)["Status"] == 0
    assert listener_of(account, lb, listener)["Certificate"]["CertId"] == cert_id


def test_a_domain_certificate_on_a_listener_without_sni_succeeds_and_changes_nothing(
    account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    """The behaviour behind peers' "success while nothing was bound" (certd issue 115)."""
    sid = account.access_key_id
    old = authority.issue(["n.nosni.test"])
    lb = emulator.clb.add_load_balancer(sid)
    listener = emulator.clb.add_listener(sid, lb, domains=["n.nosni.test"], cert=old)
    cert_id = upload(account, authority, "n.nosni.test")
    emulator.clb.set_task_seconds(0)

    answer = client.clb_api(account, REGION).call_json(
        "ModifyDomainAttributes", change(lb, listener, cert_id, Domain="n.nosni.test")
    )

    assert status(account, answer["Response"]["RequestId"])["Status"] == 0
    assert listener_of(account, lb, listener)["Certificate"]["CertId"] != cert_id
    edge = parse_host_port(emulator.tls_edge)
    assert served_fingerprint(edge, "n.nosni.test", 5) == old.fingerprint


def test_a_listener_certificate_on_an_sni_listener_is_refused(
    account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    sid = account.access_key_id
    lb = emulator.clb.add_load_balancer(sid)
    listener = emulator.clb.add_listener(sid, lb, domains=["s.sni.test"], sni=True)
    cert_id = upload(account, authority, "s.sni.test")

    error = sdk_error(
        lambda: client.clb_api(account, REGION).call_json(
            "ModifyListener", change(lb, listener, cert_id)
        )
    )

    assert error.code == "InvalidParameter"
    assert "SNI" in error.message


def test_clb_is_regional_and_pages_at_most_100(account: Account, emulator: TencentEmulator) -> None:
    lb = emulator.clb.add_load_balancer(account.access_key_id, region="ap-shanghai")
    here = client.clb_api(account, REGION)

    missing = sdk_error(lambda: here.call_json("DescribeListeners", {"LoadBalancerId": lb}))
    too_many = sdk_error(lambda: here.call_json("DescribeLoadBalancers", {"Limit": 101}))
    nowhere = sdk_error(
        lambda: client.clb_api(account, "mars-north-1").call_json("DescribeLoadBalancers", {})
    )

    assert missing.code == "InvalidParameter.LBIdNotFound"
    assert too_many.code == "InvalidParameterValue.Range"
    assert nowhere.code == "InvalidParameter.RegionNotFound"
    listed = client.clb_api(account, "ap-shanghai").call_json("DescribeLoadBalancers", {})
    assert [x["LoadBalancerId"] for x in listed["Response"]["LoadBalancerSet"]] == [lb]


def test_waf_describe_domains_offset_is_a_page_number(
    account: Account, emulator: TencentEmulator
) -> None:
    for i in range(5):
        emulator.waf.add_domain(account.access_key_id, f"p{i}.page.test")
    waf = client.waf_api(account)

    def page(offset: int) -> list[str]:
        answer = waf.call_json("DescribeDomains", {"Offset": offset, "Limit": 2})
        return [d["Domain"] for d in answer["Response"]["Domains"]]

    assert page(0) == page(1) == ["p0.page.test", "p1.page.test"]
    assert page(2) == ["p2.page.test", "p3.page.test"]
    assert page(3) == ["p4.page.test"]


def test_waf_modify_keeps_what_it_is_not_sent(
    account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    ref = emulator.waf.add_domain(account.access_key_id, "k.keep.test")
    waf = client.waf_api(account)
    ids = {"Domain": ref.domain, "DomainId": ref.domain_id, "InstanceID": ref.instance_id}
    waf.call_json("ModifySpartaProtection", {**ids, "IsHttp2": 1})

    waf.call_json(
        "ModifySpartaProtection",
        {**ids, "CertType": 2, "SSLId": upload(account, authority, "k.keep.test")},
    )

    assert emulator.waf.domain_config(account.access_key_id, ref.domain_id)["IsHttp2"] == 1
