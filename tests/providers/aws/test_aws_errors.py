"""One classifier for AWS: throttles, credentials, permissions, outages; secrets never shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from providers.aws.alb import AwsAlb
from providers.aws.clb import AwsClassicElb
from providers.aws.cloudfront import AwsCloudFront
from providers.aws.errors import classify
from providers.aws.nlb import AwsNlb
from providers.base import Account, SupportsCredentialCheck
from providers.emulators.aws import AwsEmulator
from providers.emulators.aws.accounts import Credential
from providers.emulators.pki import Authority
from providers.errors import AuthFailed, Permanent, ProviderError, Throttled, Transient
from providers.secrets import Secret
from tests.contract.bundles import bundle_of
from tests.providers.aws.conftest import REGION, SECRET, AwsAccount
from tests.providers.conftest import RecordingHooks

ADAPTERS: list[Callable[..., Any]] = [AwsCloudFront, AwsAlb, AwsNlb, AwsClassicElb]


def _client_error(code: str, message: str, status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": status},
        },
        "AnyOperation",
    )


def test_a_throttle_is_reported_with_a_wait_and_slows_the_bucket(
    aws: AwsEmulator, acct: AwsAccount
) -> None:
    hooks = RecordingHooks()
    aws.set_rate_limit("DescribeLoadBalancers", 0.5)
    try:
        list(AwsAlb(hooks).discover(acct.account))  # spends the one token
        with pytest.raises(Throttled) as caught:
            list(AwsAlb(hooks).discover(acct.account))
    finally:
        aws.set_rate_limit("DescribeLoadBalancers", None)

    assert caught.value.retry_after > 0
    assert caught.value.vendor_code == "Throttling"
    assert hooks.throttles == [("elbv2.read", caught.value.retry_after)]
    assert ("DescribeLoadBalancers", "throttled") in hooks.records
    assert aws.throttled[(acct.account_id, "DescribeLoadBalancers")] == 1


def test_acm_throttles_arrive_in_json_and_are_throttles_too(
    aws: AwsEmulator, acct: AwsAccount, authority: Authority
) -> None:
    aws.inject("ListCertificates", account=acct.account_id, throttle=True)

    with pytest.raises(Throttled) as caught:
        AwsAlb().ensure_certificate(acct.account, bundle_of(authority.issue(["t.test"])), REGION)

    assert caught.value.vendor_code == "ThrottlingException"


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.__name__)
def test_a_wrong_secret_is_an_auth_failure_that_names_the_key_not_the_secret(
    adapter: Callable[..., Any], acct: AwsAccount
) -> None:
    wrong = replace(acct.account, secret=Secret("wrong-" + SECRET))
    product = adapter()
    assert isinstance(product, SupportsCredentialCheck)

    with pytest.raises(AuthFailed) as caught:
        product.check_credentials(wrong)
    product.check_credentials(acct.account)

    assert caught.value.vendor_code == "SignatureDoesNotMatch"
    assert acct.account.access_key_id[:8] in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


def test_acm_answers_signature_errors_in_its_own_words(
    acct: AwsAccount, authority: Authority
) -> None:
    wrong = replace(acct.account, secret=Secret("wrong"))
    with pytest.raises(AuthFailed) as caught:
        AwsAlb().ensure_certificate(wrong, bundle_of(authority.issue(["s.test"])), REGION)
    assert caught.value.vendor_code == "InvalidSignatureException"


def test_an_unknown_access_key_is_an_auth_failure(acct: AwsAccount) -> None:
    stranger = replace(acct.account, access_key_id="AKIANOBODYKNOWSTHIS")
    with pytest.raises(AuthFailed, match="does not know access key") as caught:
        list(AwsNlb().discover(stranger))
    assert caught.value.vendor_code == "InvalidClientTokenId"


def test_a_missing_permission_names_what_to_grant(aws: AwsEmulator, acct: AwsAccount) -> None:
    aws.inject(
        "DescribeLoadBalancers",
        account=acct.account_id,
        error_code="AccessDenied",
        http_status=403,
        message="User: arn:aws:iam::1:user/x is not authorized to perform: "
        "elasticloadbalancing:DescribeLoadBalancers",
    )
    with pytest.raises(AuthFailed) as caught:
        list(AwsClassicElb().discover(acct.account))
    assert "grant elasticloadbalancing:DescribeLoadBalancers" in str(caught.value)
    assert "elasticloadbalancing:SetLoadBalancerListenerSSLCertificate" in str(caught.value)


def test_server_failures_and_timeouts_are_transient(
    aws: AwsEmulator, make_account: Callable[..., AwsAccount]
) -> None:
    acct = make_account(options={"request_timeout": "1"})
    aws.inject("ListDistributions", account=acct.account_id, http_status=503)
    with pytest.raises(Transient) as caught:
        list(AwsCloudFront().discover(acct.account))
    assert caught.value.vendor_code == "ServiceUnavailable"

    aws.inject("ListDistributions", account=acct.account_id, latency=1.3)
    with pytest.raises(Transient, match="Read timeout"):
        list(AwsCloudFront().discover(acct.account))


def test_an_unreachable_endpoint_is_transient(acct: AwsAccount) -> None:
    nowhere = replace(acct.account, api_endpoint="http://127.0.0.1:9")
    with pytest.raises(Transient):
        list(AwsAlb().discover(nowhere))


def test_an_assumed_role_acts_in_the_role_account(
    aws: AwsEmulator, make_account: Callable[..., AwsAccount], authority: Authority
) -> None:
    target = make_account()
    listener = aws.add_load_balancer(
        target.account_id,
        kind="network",
        region=REGION,
        hostnames=["role.test"],
        serving=authority.issue(["role.test"]),
    )
    role = f"arn:aws:iam::{target.account_id}:role/certfleet"
    caller = make_account(options={"role_arn": role, "external_id": "fleet"})

    assert listener in {r.native_id for r in AwsNlb().discover(caller.account)}

    stranger = make_account(options={"role_arn": "arn:aws:iam::999999999999:role/certfleet"})
    with pytest.raises(AuthFailed, match="sts:AssumeRole"):
        list(AwsNlb().discover(stranger.account))


def test_classified_messages_never_carry_secrets_or_keys(acct: AwsAccount) -> None:
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----"
    error = _client_error("ValidationException", f"bad input {SECRET} near {key}")

    failure = classify(error, account=acct.account, action="ImportCertificate", permissions=())

    assert isinstance(failure, Permanent) and not isinstance(failure, AuthFailed)
    assert SECRET not in str(failure) and "MIIEvQ" not in str(failure)
    assert "[private key removed]" in str(failure) and "req-1" in str(failure)
    refused = classify(
        ParamValidationError(report=f"Invalid type for parameter PrivateKey, value: {key}"),
        account=acct.account,
        action="ImportCertificate",
        permissions=(),
    )
    assert isinstance(refused, Permanent) and "MIIEvQ" not in str(refused)


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("Throttling", 400, Throttled),
        ("RequestLimitExceeded", 400, Throttled),
        ("SomethingNew", 429, Throttled),
        ("PreconditionFailed", 412, Transient),
        ("InternalFailure", 500, Transient),
        ("Unknown", 502, Transient),
        ("ExpiredToken", 403, AuthFailed),
        ("UnauthorizedOperation", 403, AuthFailed),
        ("ListenerNotFound", 400, Permanent),
        ("InvalidViewerCertificate", 400, Permanent),
    ],
)
def test_codes_map_to_the_four_outcomes(
    acct: AwsAccount, code: str, status: int, kind: type[ProviderError]
) -> None:
    failure = classify(
        _client_error(code, "m", status), account=acct.account, action="A", permissions=()
    )
    assert type(failure) is kind
    assert failure.vendor_code == code


def test_reprs_never_show_secrets(aws: AwsEmulator, acct: AwsAccount) -> None:
    account: Account = acct.account
    assert SECRET not in repr(account) and SECRET not in str(account)
    assert SECRET not in repr(Credential(SECRET, acct.account_id))
    assert SECRET not in repr(aws.accounts.credential(account.access_key_id))
