"""API families (the buckets of ``CallHooks.acquire``) and AWS's per-account rates for them.

Rates are requests per second per account. Where AWS publishes a rate it is used as is; where
it does not, the value is a conservative default that keeps bulk runs clear of throttling and
lets the fleet's adaptive buckets speed up from there. AWS applies ACM and ELB limits per
region; certfleet's buckets are per account, which is stricter, never looser.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

ACM_IMPORT: Final = "acm.import"
ACM_LIST: Final = "acm.list"
ACM_READ: Final = "acm.read"
IAM_READ: Final = "iam.read"
IAM_WRITE: Final = "iam.write"
CLOUDFRONT_READ: Final = "cloudfront.read"
CLOUDFRONT_WRITE: Final = "cloudfront.write"
ELBV2_READ: Final = "elbv2.read"
ELBV2_WRITE: Final = "elbv2.write"
ELB_READ: Final = "elb.read"
ELB_WRITE: Final = "elb.write"

RATES: Final[Mapping[str, float]] = MappingProxyType(
    {
        # ACM quotas page, "API rate quotas": ImportCertificate 1, ListCertificates 1 (8 in
        # newer regions), DescribeCertificate/GetCertificate/ListTagsForCertificate 10.
        ACM_IMPORT: 1.0,
        ACM_LIST: 1.0,
        ACM_READ: 10.0,
        # IAM publishes no per-API rates; conservative defaults.
        IAM_READ: 5.0,
        IAM_WRITE: 1.0,
        # CloudFront publishes no control-plane rates; a distribution change is a global
        # deployment, so one per second is plenty.
        CLOUDFRONT_READ: 5.0,
        CLOUDFRONT_WRITE: 1.0,
        # ELB API throttling page: non-mutating actions refill 10/s (bucket 40), mutating
        # actions 3/s (bucket 20); ELBv2 and Classic ELB have separate buckets.
        ELBV2_READ: 10.0,
        ELBV2_WRITE: 3.0,
        ELB_READ: 10.0,
        ELB_WRITE: 3.0,
    }
)


def rates(*families: str) -> Mapping[str, float]:
    """The rates of ``families``, for a product's ``ProductInfo.rate_limits``."""
    return MappingProxyType({family: RATES[family] for family in families})
