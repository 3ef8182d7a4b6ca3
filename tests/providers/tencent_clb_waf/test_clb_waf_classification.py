"""CLB and WAF codes through the one Tencent classifier, and the products' published metadata."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from providers.base import Account, NoHooks, ProductAdapter, ProductInfo, SupportsCredentialCheck
from providers.emulators.tencent import TencentEmulator
from providers.errors import AuthFailed, Permanent, ProviderError, Transient
from providers.secrets import Secret
from providers.tencent import clb, waf
from providers.tencent.errors import classify

ACCOUNT = Account("tencent:1", "tencent", "AKIDexample1234", Secret("the-secret-key"))


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("FailedOperation.ResourceInOperating", Transient),  # another change runs on the LB
        ("FailedOperation.InvalidLBStatus", Permanent),
        ("InvalidParameter.LBIdNotFound", Permanent),
        ("InvalidParameter.ListenerIdNotFound", Permanent),
        ("InvalidParameter", Permanent),
        ("InternalError.AsynchronousCallFailed", Transient),
        ("InvalidParameter.QueryCertBySSLIDFailed", Permanent),
        ("InvalidParameter.CertificationParameterErr", Permanent),
        ("OperationDenied", Permanent),
        ("UnauthorizedOperation", AuthFailed),
        ("AuthFailure.ErrCodeNoPurchased", AuthFailed),
    ],
)
def test_clb_and_waf_codes_map_to_one_outcome(code: str, kind: type[ProviderError]) -> None:
    error = TencentCloudSDKException(code, "vendor says no", "req-1")

    failure = classify(error, account=ACCOUNT, action="ModifyListener", permissions=())

    assert type(failure) is kind
    assert failure.vendor_code == code


@pytest.mark.parametrize("info", [clb.INFO, waf.INFO], ids=lambda info: info.name)
def test_each_product_publishes_what_operators_need(info: ProductInfo) -> None:
    adapter = info.factory(NoHooks())

    assert info.display_name and info.api_docs.startswith("https://cloud.tencent.com/")
    assert info.permissions[0] == "QcloudSSLFullAccess" and len(info.permissions) == 2
    assert info.rate_limits["ssl"] == 10.0 and all(r > 0 for r in info.rate_limits.values())
    assert isinstance(adapter, ProductAdapter) and adapter.name == info.name
    assert isinstance(adapter, SupportsCredentialCheck)


@pytest.mark.parametrize("info", [clb.INFO, waf.INFO], ids=lambda info: info.name)
def test_credential_check_reads_both_services_and_rejects_a_wrong_key(
    info: ProductInfo, account: Account, emulator: TencentEmulator
) -> None:
    adapter = info.factory(NoHooks())
    assert isinstance(adapter, SupportsCredentialCheck)

    adapter.check_credentials(account)
    with pytest.raises(AuthFailed):
        adapter.check_credentials(replace(account, secret=Secret("wrong")))

    assert emulator.calls[(account.access_key_id, "DescribeCertificates")] == 1
