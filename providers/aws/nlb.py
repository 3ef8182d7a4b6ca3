"""``aws.nlb``: certificates on Network Load Balancer TLS listeners (default and SNI).

See :mod:`providers.aws.elbv2` for resources, hostnames and how a bind keeps SNI certificates.
"""

from __future__ import annotations

from typing import Final

from providers.aws import limits
from providers.aws.elbv2 import ELBV2_PERMISSIONS, PAGE_SIZE, ElbV2Listeners, Flavour
from providers.base import ProductInfo

NAME: Final = "aws.nlb"
__all__ = ["INFO", "NAME", "PAGE_SIZE", "AwsNlb"]


class AwsNlb(ElbV2Listeners):
    """TLS listeners of Network Load Balancers."""

    flavour = Flavour(product=NAME, balancer_type="network", protocol="TLS")


INFO: Final = ProductInfo(
    name=NAME,
    display_name="AWS Network Load Balancer (TLS listeners)",
    api_docs="https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyListener.html",
    permissions=ELBV2_PERMISSIONS,
    rate_limits=limits.rates(
        limits.ELBV2_READ, limits.ELBV2_WRITE, limits.ACM_IMPORT, limits.ACM_LIST, limits.ACM_READ
    ),
    factory=AwsNlb,
)
