"""aws.cloudfront: ETag races, the us-east-1 rule, the deployment wait, settings kept."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import pytest
from botocore.exceptions import ClientError

from providers.aws import client
from providers.aws.cloudfront import AwsCloudFront
from providers.base import Account, NoHooks
from providers.emulators.aws import AwsEmulator
from providers.emulators.pki import Authority
from providers.errors import Permanent, Transient
from providers.verify import verify_served_certificate
from tests.contract.bundles import bundle_of
from tests.providers.aws.conftest import AwsAccount


def _adapter(hooks: object = None, **options: float) -> AwsCloudFront:
    settings = {"deploy_timeout": 5.0, "poll_interval": 0.02, **options}
    return AwsCloudFront(hooks or NoHooks(), **settings)  # type: ignore[arg-type]


def _distribution(aws: AwsEmulator, acct: AwsAccount, authority: Authority, name: str) -> str:
    return aws.add_distribution(acct.account_id, [name], authority.issue([name], days=10))


class _ChangesBehindOurBack(NoHooks):
    """Hooks that let someone else change the distribution just before our update is sent."""

    def __init__(self, aws: AwsEmulator, account_id: str, distribution_id: str) -> None:
        self.aws, self.account_id, self.distribution_id = aws, account_id, distribution_id
        self.races = 1

    def acquire(self, account: Account, family: str, action: str) -> None:
        if family == "cloudfront.write" and self.races:
            self.races -= 1
            self.aws.touch_distribution(self.account_id, self.distribution_id)

    def exclusive(self, account: Account, scope: str) -> AbstractContextManager[None]:
        return nullcontext()


def test_a_stale_etag_is_re_read_and_the_update_succeeds(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    distribution = _distribution(aws, acct, authority, "race.cf.test")
    adapter = _adapter(_ChangesBehindOurBack(aws, acct.account_id, distribution))
    resource = next(r for r in adapter.discover(acct.account) if r.native_id == distribution)
    new = authority.issue(["race.cf.test"])
    remote = adapter.ensure_certificate(acct.account, bundle_of(new), resource.region)

    assert adapter.bind(acct.account, resource, remote) is True

    calls = aws.calls
    assert calls[(acct.account_id, "UpdateDistribution", distribution)] == 2  # 412, then ok
    assert calls[(acct.account_id, "GetDistributionConfig", distribution)] == 2
    assert adapter.current(acct.account, resource).remote_id == remote
    verify_served_certificate(acct.account, resource, new.fingerprint)


def test_repeated_precondition_failures_end_as_transient(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    distribution = _distribution(aws, acct, authority, "busy.cf.test")
    aws.inject(
        "UpdateDistribution",
        account=acct.account_id,
        error_code="PreconditionFailed",
        http_status=412,
        times=3,
    )
    adapter = _adapter()
    resource = next(r for r in adapter.discover(acct.account) if r.native_id == distribution)
    remote = adapter.ensure_certificate(
        acct.account, bundle_of(authority.issue(["busy.cf.test"])), None
    )

    with pytest.raises(Transient) as caught:
        adapter.bind(acct.account, resource, remote)

    assert caught.value.vendor_code == "PreconditionFailed"


def test_certificates_outside_us_east_1_are_refused_before_any_call(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    distribution = _distribution(aws, acct, authority, "region.cf.test")
    adapter = _adapter()
    resource = next(r for r in adapter.discover(acct.account) if r.native_id == distribution)
    elsewhere = aws.import_certificate(
        acct.account_id, authority.issue(["region.cf.test"]), "eu-west-1"
    )
    before = aws.calls

    with pytest.raises(Permanent, match="us-east-1"):
        adapter.ensure_certificate(
            acct.account, bundle_of(authority.issue(["region.cf.test"])), "eu-west-1"
        )
    with pytest.raises(Permanent, match="us-east-1"):
        adapter.bind(acct.account, resource, elsewhere)

    assert aws.calls == before


def test_the_emulator_refuses_what_cloudfront_refuses(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    """Without the adapter's own check, AWS's answer is still InvalidViewerCertificate."""
    distribution = _distribution(aws, acct, authority, "direct.cf.test")
    cloudfront = client.client(acct.account, "cloudfront")
    elsewhere = aws.import_certificate(
        acct.account_id, authority.issue(["direct.cf.test"]), "eu-west-1"
    )
    uncovering = aws.import_certificate(
        acct.account_id, authority.issue(["other.cf.test"]), "us-east-1"
    )
    for certificate in (elsewhere, uncovering):
        answer = cloudfront.get_distribution_config(Id=distribution)
        config = answer["DistributionConfig"]
        config["ViewerCertificate"] = {"ACMCertificateArn": certificate}
        with pytest.raises(ClientError) as caught:
            cloudfront.update_distribution(
                Id=distribution, IfMatch=answer["ETag"], DistributionConfig=config
            )
        assert caught.value.response["Error"]["Code"] == "InvalidViewerCertificate"


def test_bind_waits_until_the_change_is_deployed(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    distribution = _distribution(aws, acct, authority, "slow.cf.test")
    adapter = _adapter()
    resource = next(r for r in adapter.discover(acct.account) if r.native_id == distribution)
    remote = adapter.ensure_certificate(
        acct.account, bundle_of(authority.issue(["slow.cf.test"])), None
    )
    aws.set_deploy_seconds(0.3)
    try:
        assert adapter.bind(acct.account, resource, remote) is True
    finally:
        aws.set_deploy_seconds(0.0)

    assert aws.calls[(acct.account_id, "GetDistribution", distribution)] >= 3


def test_a_deployment_slower_than_the_bound_is_transient_and_not_redone(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    distribution = _distribution(aws, acct, authority, "slower.cf.test")
    impatient = _adapter(deploy_timeout=0.05)
    resource = next(r for r in impatient.discover(acct.account) if r.native_id == distribution)
    remote = impatient.ensure_certificate(
        acct.account, bundle_of(authority.issue(["slower.cf.test"])), None
    )
    aws.set_deploy_seconds(0.4)
    try:
        with pytest.raises(Transient, match="InProgress"):
            impatient.bind(acct.account, resource, remote)
        assert _adapter().bind(acct.account, resource, remote) is False  # only waits
    finally:
        aws.set_deploy_seconds(0.0)
    assert aws.calls[(acct.account_id, "UpdateDistribution", distribution)] == 1


def test_bind_keeps_every_other_setting_and_leaves_the_default_certificate(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    distribution = aws.add_distribution(acct.account_id, ["keep.cf.test"], serving=None)
    adapter = _adapter()
    before = aws.backstage.distribution_config(acct.account_id, distribution)
    resource = next(r for r in adapter.discover(acct.account) if r.native_id == distribution)
    assert resource.served is None  # CloudFront's own *.cloudfront.net certificate
    remote = adapter.ensure_certificate(
        acct.account, bundle_of(authority.issue(["keep.cf.test"])), None
    )

    adapter.bind(acct.account, resource, remote)

    after = aws.backstage.distribution_config(acct.account_id, distribution)
    assert before is not None and after is not None
    viewer = after.pop("ViewerCertificate")
    before.pop("ViewerCertificate")
    assert after == before
    assert viewer["ACMCertificateArn"] == remote
    assert viewer["CloudFrontDefaultCertificate"] is False
    assert viewer["SSLSupportMethod"] == "sni-only"
    assert viewer["MinimumProtocolVersion"] == "TLSv1.2_2021"
