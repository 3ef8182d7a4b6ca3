"""What operators see for the AWS products before adding an account (ProductInfo)."""

from __future__ import annotations

import pytest

from providers.aws import alb, clb, cloudfront, nlb
from providers.base import NoHooks, ProductAdapter, ProductInfo, SupportsCredentialCheck

INFOS = [cloudfront.INFO, alb.INFO, nlb.INFO, clb.INFO]


@pytest.mark.parametrize("info", INFOS, ids=lambda info: info.name)
def test_every_aws_product_carries_what_operators_need(info: ProductInfo) -> None:
    adapter = info.factory(NoHooks())

    assert info.name.startswith("aws.") and adapter.name == info.name
    assert info.display_name and info.api_docs.startswith("https://docs.aws.amazon.com/")
    assert info.permissions and all(":" in permission for permission in info.permissions)
    assert info.rate_limits and all(rate > 0 for rate in info.rate_limits.values())
    assert isinstance(adapter, ProductAdapter) and isinstance(adapter, SupportsCredentialCheck)


def test_permissions_name_the_exact_change_actions() -> None:
    assert "cloudfront:UpdateDistribution" in cloudfront.INFO.permissions
    assert "elasticloadbalancing:ModifyListener" in alb.INFO.permissions
    assert "elasticloadbalancing:RemoveListenerCertificates" in nlb.INFO.permissions
    assert "elasticloadbalancing:SetLoadBalancerListenerSSLCertificate" in clb.INFO.permissions
    assert "acm:ImportCertificate" in cloudfront.INFO.permissions
    assert "iam:UploadServerCertificate" in clb.INFO.permissions
