"""``aws.alb``: certificates on Application Load Balancer HTTPS listeners (default and SNI).

See :mod:`providers.aws.elbv2` for resources, hostnames and how a bind keeps SNI certificates.
"""

from __future__ import annotations

from typing import Final

from providers.aws.elbv2 import PAGE_SIZE, ElbV2Listeners, Flavour, product_info

NAME: Final = "aws.alb"
__all__ = ["INFO", "NAME", "PAGE_SIZE", "AwsAlb"]


class AwsAlb(ElbV2Listeners):
    """HTTPS listeners of Application Load Balancers."""

    flavour = Flavour(product=NAME, balancer_type="application", protocol="HTTPS")


INFO: Final = product_info(AwsAlb, "AWS Application Load Balancer (HTTPS listeners)")
