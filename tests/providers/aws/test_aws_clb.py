"""aws.clb: IAM uploads found by name, IAM propagation, the ACM option, refusals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from providers.aws.clb import AwsClassicElb, parse_native_id
from providers.base import Resource
from providers.emulators.aws import AwsEmulator
from providers.emulators.pki import Authority
from providers.errors import Permanent, Transient
from providers.secrets import Secret
from providers.verify import verify_served_certificate
from tests.contract.bundles import bundle_of
from tests.providers.aws.conftest import REGION, AwsAccount


def _listener(aws: AwsEmulator, acct: AwsAccount, authority: Authority, name: str) -> Resource:
    native_id = aws.add_classic_load_balancer(
        acct.account_id, region=REGION, hostnames=[name], serving=authority.issue([name])
    )
    return next(r for r in AwsClassicElb().discover(acct.account) if r.native_id == native_id)


def test_an_earlier_upload_is_found_by_name_so_a_retry_uploads_nothing(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    bundle = bundle_of(authority.issue(["once.clb.test"]))

    first = AwsClassicElb().ensure_certificate(acct.account, bundle, REGION)
    second = AwsClassicElb().ensure_certificate(acct.account, bundle, REGION)

    assert first == second and first.endswith(f"server-certificate/{bundle.alias}")
    assert aws.calls[(acct.account_id, "UploadServerCertificate")] == 1


def test_losing_an_upload_race_returns_the_winners_identical_certificate(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    bundle = bundle_of(authority.issue(["race.clb.test"]))
    winner = AwsClassicElb().ensure_certificate(acct.account, bundle, REGION)
    # Our first look misses it (IAM is eventually consistent), so we upload and collide.
    aws.inject(
        "GetServerCertificate",
        account=acct.account_id,
        error_code="NoSuchEntity",
        http_status=404,
    )

    assert AwsClassicElb().ensure_certificate(acct.account, bundle, REGION) == winner
    assert aws.calls[(acct.account_id, "UploadServerCertificate")] == 2  # the refused one


def test_a_different_certificate_under_our_name_is_a_permanent_error(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    bundle = bundle_of(authority.issue(["name.clb.test"]))
    other = authority.issue(["name.clb.test"])
    aws.backstage.client(acct.account_id, "iam").upload_server_certificate(
        ServerCertificateName=bundle.alias, CertificateBody=other.cert_pem, PrivateKey=other.key_pem
    )

    with pytest.raises(Permanent, match="different certificate"):
        AwsClassicElb().ensure_certificate(acct.account, bundle, REGION)
    assert aws.calls[(acct.account_id, "UploadServerCertificate")] == 0


def test_an_iam_certificate_elb_cannot_see_yet_is_transient(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    resource = _listener(aws, acct, authority, "iam.clb.test")
    adapter = AwsClassicElb()
    remote = adapter.ensure_certificate(
        acct.account, bundle_of(authority.issue(["iam.clb.test"])), REGION
    )
    aws.inject(
        "SetLoadBalancerListenerSSLCertificate",
        account=acct.account_id,
        target=resource.native_id,
        error_code="CertificateNotFound",
    )

    with pytest.raises(Transient, match="IAM"):
        adapter.bind(acct.account, resource, remote)
    assert adapter.bind(acct.account, resource, remote) is True  # the retry goes through


def test_a_certificate_that_does_not_exist_is_refused(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    resource = _listener(aws, acct, authority, "missing.clb.test")
    missing = f"arn:aws:acm:{REGION}:{acct.account_id}:certificate/00000000-0000-0000-0000-0"

    with pytest.raises(Permanent) as caught:
        AwsClassicElb().bind(acct.account, resource, missing)
    assert caught.value.vendor_code == "CertificateNotFound"


def test_accounts_may_keep_classic_certificates_in_acm(
    aws: AwsEmulator, make_account: Callable[..., AwsAccount], authority: Authority
) -> None:
    acct = make_account(options={"clb_certificate_store": "acm"})
    resource = _listener(aws, acct, authority, "acm.clb.test")
    adapter = AwsClassicElb()
    new = authority.issue(["acm.clb.test"])
    remote = adapter.ensure_certificate(acct.account, bundle_of(new), resource.region)

    assert remote.startswith(f"arn:aws:acm:{REGION}:")
    assert adapter.bind(acct.account, resource, remote) is True
    assert adapter.current(acct.account, resource).remote_id == remote
    verify_served_certificate(acct.account, resource, new.fingerprint)
    with pytest.raises(Permanent, match="clb_certificate_store"):
        bad = replace(acct.account, options={"clb_certificate_store": "s3"}, secret=Secret("x"))
        adapter.ensure_certificate(bad, bundle_of(new), REGION)


def test_listener_ids_round_trip() -> None:
    assert parse_native_id("eu-west-1/my-lb:8443") == ("eu-west-1", "my-lb", 8443)
    with pytest.raises(Permanent):
        parse_native_id("my-lb")
