"""The AWS emulator answers as AWS does where moto does not (checked with plain boto3)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from providers.aws import client
from providers.base import Account
from providers.emulators.aws import AwsEmulator
from providers.emulators.pki import Authority, IssuedCertificate
from providers.secrets import Secret
from providers.verify import parse_host_port, served_fingerprint
from tests.providers.aws.conftest import REGION, AwsAccount


def _code(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response: dict[str, Any] = error.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _import(acm: Any, cert: IssuedCertificate, **extra: Any) -> str:
    chain = cert.chain_pem[len(cert.cert_pem) :]
    return str(
        acm.import_certificate(
            Certificate=cert.cert_pem, PrivateKey=cert.key_pem, CertificateChain=chain, **extra
        )["CertificateArn"]
    )


def _served(aws: AwsEmulator, hostname: str) -> str:
    return served_fingerprint(parse_host_port(aws.tls_edge), hostname, 5.0)


def test_cloudfront_etags_change_with_every_update_and_if_match_is_compared(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    distribution = aws.add_distribution(
        acct.account_id, ["etag.emu.test"], authority.issue(["etag.emu.test"])
    )
    cloudfront = client.client(acct.account, "cloudfront")
    read = cloudfront.get_distribution_config(Id=distribution)
    config = read["DistributionConfig"]

    with pytest.raises(ClientError) as stale:
        cloudfront.update_distribution(Id=distribution, IfMatch="E0", DistributionConfig=config)
    updated = cloudfront.update_distribution(
        Id=distribution, IfMatch=read["ETag"], DistributionConfig=config
    )
    with pytest.raises(ClientError) as again:
        cloudfront.update_distribution(
            Id=distribution, IfMatch=read["ETag"], DistributionConfig=config
        )

    assert _code(stale) == ("PreconditionFailed", 412) == _code(again)
    assert updated["ETag"] != read["ETag"]
    assert cloudfront.get_distribution(Id=distribution)["ETag"] == updated["ETag"]


def test_naming_a_certificate_turns_the_default_certificate_off(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    distribution = aws.add_distribution(acct.account_id, ["viewer.emu.test"], None)
    cloudfront = client.client(acct.account, "cloudfront")
    new = authority.issue(["viewer.emu.test"])
    arn = _import(client.client(acct.account, "acm", "us-east-1"), new)
    read = cloudfront.get_distribution_config(Id=distribution)
    config = read["DistributionConfig"]
    config["ViewerCertificate"] = {"ACMCertificateArn": arn, "SSLSupportMethod": "sni-only"}

    cloudfront.update_distribution(Id=distribution, IfMatch=read["ETag"], DistributionConfig=config)

    viewer = cloudfront.get_distribution_config(Id=distribution)["DistributionConfig"][
        "ViewerCertificate"
    ]
    assert (viewer["ACMCertificateArn"], viewer["CloudFrontDefaultCertificate"]) == (arn, False)
    assert _served(aws, "viewer.emu.test") == new.fingerprint


def test_listeners_report_certificates_as_aws_does(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    listener = aws.add_load_balancer(
        acct.account_id,
        kind="network",
        region=REGION,
        hostnames=["nlb.emu.test"],
        serving=authority.issue(["nlb.emu.test"]),
        sni=[authority.issue(["sni.emu.test"])],
    )
    elb = client.client(acct.account, "elbv2", REGION)
    held = aws.listener_certificates(acct.account_id, listener)
    shown = elb.describe_listeners(ListenerArns=[listener])["Listeners"][0]["Certificates"]
    missing = held.default.replace("certificate/", "certificate/0")

    with pytest.raises(ClientError) as unknown:
        elb.add_listener_certificates(
            ListenerArn=listener, Certificates=[{"CertificateArn": missing}]
        )
    with pytest.raises(ClientError) as default:
        elb.remove_listener_certificates(
            ListenerArn=listener, Certificates=[{"CertificateArn": held.default}]
        )

    assert shown == [{"CertificateArn": held.default}]  # the default only, not the SNI list
    assert _code(unknown) == ("CertificateNotFound", 400)
    assert _code(default) == ("OperationNotPermitted", 400)


def test_acm_lists_rsa_only_unless_asked_and_pages_by_max_items(
    acct: AwsAccount, authority: Authority
) -> None:
    acm = client.client(acct.account, "acm", "ap-south-1")
    rsa = _import(acm, authority.issue(["rsa.emu.test"], key_type="rsa"))
    for index in range(3):
        _import(acm, authority.issue([f"ec{index}.emu.test"]))

    default = acm.list_certificates()["CertificateSummaryList"]
    every = {"keyTypes": ["RSA_2048", "EC_prime256v1"]}
    first = acm.list_certificates(Includes=every, MaxItems=3)
    rest = acm.list_certificates(Includes=every, MaxItems=3, NextToken=first["NextToken"])

    assert [s["CertificateArn"] for s in default] == [rsa]
    assert len(first["CertificateSummaryList"]) == 3 and "NextToken" not in rest
    assert len(rest["CertificateSummaryList"]) == 1


def test_iam_refuses_a_server_certificate_name_taken(
    acct: AwsAccount, authority: Authority
) -> None:
    iam = client.client(acct.account, "iam")
    cert = authority.issue(["iam.emu.test"])
    iam.upload_server_certificate(
        ServerCertificateName="taken", CertificateBody=cert.cert_pem, PrivateKey=cert.key_pem
    )
    with pytest.raises(ClientError) as caught:
        iam.upload_server_certificate(
            ServerCertificateName="taken", CertificateBody=cert.cert_pem, PrivateKey=cert.key_pem
        )
    assert _code(caught) == ("EntityAlreadyExists", 409)


def test_a_re_import_in_place_renews_every_listener_using_the_arn(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    old, new = authority.issue(["renew.emu.test"]), authority.issue(["renew.emu.test"])
    aws.add_load_balancer(
        acct.account_id,
        kind="application",
        region=REGION,
        hostnames=["renew.emu.test"],
        serving=old,
    )
    arn = aws.import_certificate(acct.account_id, old, REGION)
    assert _served(aws, "renew.emu.test") == old.fingerprint

    _import(client.client(acct.account, "acm", REGION), new, CertificateArn=arn)

    assert _served(aws, "renew.emu.test") == new.fingerprint


def test_a_second_access_key_reaches_the_same_account(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    aws.add_load_balancer(
        acct.account_id,
        kind="network",
        region=REGION,
        hostnames=["rotated.emu.test"],
        serving=authority.issue(["rotated.emu.test"]),
    )
    aws.add_access_key(acct.account_id, "AKIAEMULATORROTATED1", "rotated-secret")
    rotated = replace(
        acct.account, access_key_id="AKIAEMULATORROTATED1", secret=Secret("rotated-secret")
    )

    def names(account: Account) -> list[str]:
        elbv2 = client.client(account, "elbv2", REGION)
        return [b["LoadBalancerName"] for b in elbv2.describe_load_balancers()["LoadBalancers"]]

    assert names(rotated) == names(acct.account) != []


def test_set_up_calls_are_not_counted_and_accounts_are_separate(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    other = aws.add_account("AKIAEMULATOROTHER001", "other-secret")
    aws.add_load_balancer(
        other,
        kind="application",
        region=REGION,
        hostnames=["count.emu.test"],
        serving=authority.issue(["count.emu.test"]),
    )

    mine = client.client(acct.account, "elbv2", REGION).describe_load_balancers()

    assert mine["LoadBalancers"] == []
    assert not [key for key in aws.calls if key[0] == other]
    assert aws.failures == []
