"""``aws.nlb``: certificates on Network Load Balancer TLS listeners (default and SNI).

See :mod:`providers.aws.elbv2` for resources, hostnames and how a bind keeps SNI certificates.
"""

from __future__ import annotations

from typing import Final

from providers.aws.elbv2 import PAGE_SIZE, ElbV2Listeners, Flavour, product_info

NAME: Final = "aws.nlb"
__all__ = ["INFO", "NAME", "PAGE_SIZE", "AwsNlb"]


class AwsNlb(ElbV2Listeners):
    """TLS listeners of Network Load Balancers."""

    flavour = Flavour(product=NAME, balancer_type="network", protocol="TLS")


INFO: Final = product_info(AwsNlb, "AWS Network Load Balancer (TLS listeners)")
