"""``aws.cloudfront``: certificates on CloudFront distributions.

A resource is one distribution (``native_id`` = its id) and its hostnames are all its aliases
(CNAMEs): CloudFront serves one viewer certificate for all of them, so they change together.
Distributions without aliases serve only ``*.cloudfront.net`` under CloudFront's own
certificate and are not listed.

CloudFront only accepts ACM certificates from us-east-1 (whatever region the content is
served from), so certificates are imported there and any other region is refused before a call
is made. A change is GetDistributionConfig → UpdateDistribution with ``IfMatch`` = the ETag just
read, sending the whole configuration back with only the viewer certificate changed (AWS
replaces the configuration, it does not merge); a 412 PreconditionFailed means someone changed
the distribution in between, so we re-read and try again. Changes then deploy worldwide for
minutes: :meth:`AwsCloudFront.bind` waits, bounded, until the distribution reads ``Deployed``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from providers.aws import limits
from providers.aws.api import AwsApi
from providers.aws.certificates import (
    ACM_PERMISSIONS,
    CertificateFacts,
    CertificateStore,
    region_of_arn,
)
from providers.aws.client import GLOBAL_REGION
from providers.base import (
    Account,
    CallHooks,
    CertificateBundle,
    NoHooks,
    ProductInfo,
    Resource,
    ServedCert,
)
from providers.errors import Permanent, Transient

NAME: Final = "aws.cloudfront"
PERMISSIONS: Final = (
    "cloudfront:ListDistributions",
    "cloudfront:GetDistribution",
    "cloudfront:GetDistributionConfig",
    "cloudfront:UpdateDistribution",
    *ACM_PERMISSIONS,
)
PAGE_SIZE: Final = 100  # ListDistributions' default MaxItems
IF_MATCH_ATTEMPTS: Final = 3  # re-reads after 412 before handing the retry to the worker
DEPLOY_TIMEOUT_SECONDS: Final = 20 * 60.0
POLL_SECONDS: Final = 15.0
_MODERN_TLS: Final = "TLSv1.2_2021"  # AWS's recommended minimum for SNI certificates
_OUTDATED_TLS: Final = frozenset({"", "SSLv3"})  # not allowed with SNI certificates
_DEPRECATED_VIEWER_FIELDS: Final = ("Certificate", "CertificateSource")


class AwsCloudFront:
    """The adapter; see ARCHITECTURE.md for the contract.

    ``deploy_timeout`` bounds the wait for ``Deployed`` after a change (``poll_interval``
    between reads); tests shrink both, and ``sleep``/``clock`` can be replaced.
    """

    name = NAME

    def __init__(
        self,
        hooks: CallHooks | None = None,
        *,
        page_size: int = PAGE_SIZE,
        deploy_timeout: float = DEPLOY_TIMEOUT_SECONDS,
        poll_interval: float = POLL_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= page_size <= 1000:
            raise ValueError("ListDistributions takes MaxItems from 1 to 1000")
        self._api = AwsApi(hooks or NoHooks(), PERMISSIONS)
        self._certificates = CertificateStore(self._api)
        self._page_size = page_size
        self._deploy_timeout = deploy_timeout
        self._poll_interval = poll_interval
        self._sleep = sleep
        self._clock = clock

    def check_credentials(self, account: Account) -> None:
        """One read of CloudFront and one of ACM us-east-1."""
        self._cloudfront(account, limits.CLOUDFRONT_READ, "ListDistributions", MaxItems="1")
        self._api(account, "acm", GLOBAL_REGION, limits.ACM_LIST, "ListCertificates", MaxItems=1)

    def discover(self, account: Account) -> Iterator[Resource]:
        """Every distribution with aliases, ``page_size`` per ListDistributions call."""
        facts: dict[str, CertificateFacts | None] = {}
        marker = ""
        while True:
            paging = {"Marker": marker} if marker else {}
            page = self._cloudfront(
                account,
                limits.CLOUDFRONT_READ,
                "ListDistributions",
                MaxItems=str(self._page_size),
                **paging,
            ).get("DistributionList", {})
            for summary in page.get("Items") or []:
                if (summary.get("Aliases") or {}).get("Items"):
                    yield self._resource(account, summary, facts)
            marker = str(page.get("NextMarker") or "")
            if not page.get("IsTruncated") or not marker:
                return

    def ensure_certificate(
        self, account: Account, cert: CertificateBundle, region: str | None
    ) -> str:
        """Our ACM us-east-1 import of ``cert``, importing it once if absent."""
        if region not in (None, "", GLOBAL_REGION):
            raise Permanent(
                f"CloudFront only uses ACM certificates from {GLOBAL_REGION}, not {region}"
            )
        return self._certificates.ensure_acm(account, cert, GLOBAL_REGION)

    def bind(self, account: Account, resource: Resource, remote_cert_id: str) -> bool:
        """Serve ``remote_cert_id`` on the distribution; False (no change) if it already does.

        Returns once the distribution reads ``Deployed``; raises Transient if that takes
        longer than ``deploy_timeout`` (the change stays; a retry finds it and only waits).
        """
        if remote_cert_id.startswith("arn:") and region_of_arn(remote_cert_id) != GLOBAL_REGION:
            raise Permanent(
                f"CloudFront only uses ACM certificates from {GLOBAL_REGION}; "
                f"{remote_cert_id} is in {region_of_arn(remote_cert_id)}"
            )
        with self._api.hooks.exclusive(account, f"cloudfront:{resource.native_id}"):
            changed = self._change(account, resource.native_id, remote_cert_id)
        self._wait_deployed(account, resource.native_id)
        return changed

    def current(self, account: Account, resource: Resource) -> ServedCert:
        """The viewer certificate the distribution's configuration names now."""
        config = self._cloudfront(
            account, limits.CLOUDFRONT_READ, "GetDistributionConfig", Id=resource.native_id
        )["DistributionConfig"]
        return ServedCert(remote_id=_viewer_certificate(config.get("ViewerCertificate") or {}))

    # -- helpers ---------------------------------------------------------------------------

    def _change(self, account: Account, distribution_id: str, remote_cert_id: str) -> bool:
        for _ in range(IF_MATCH_ATTEMPTS):
            answer = self._cloudfront(
                account, limits.CLOUDFRONT_READ, "GetDistributionConfig", Id=distribution_id
            )
            config: dict[str, Any] = answer["DistributionConfig"]
            if _viewer_certificate(config.get("ViewerCertificate") or {}) == remote_cert_id:
                return False
            config["ViewerCertificate"] = _with_certificate(
                config.get("ViewerCertificate") or {}, remote_cert_id
            )
            try:
                self._cloudfront(
                    account,
                    limits.CLOUDFRONT_WRITE,
                    "UpdateDistribution",
                    Id=distribution_id,
                    IfMatch=answer["ETag"],
                    DistributionConfig=config,
                )
            except Transient as failure:
                if failure.vendor_code != "PreconditionFailed":
                    raise
                continue  # changed by someone else since we read it: read it again
            return True
        raise Transient(
            f"distribution {distribution_id} changed under us {IF_MATCH_ATTEMPTS} times "
            "(PreconditionFailed); will try again",
            vendor_code="PreconditionFailed",
        )

    def _wait_deployed(self, account: Account, distribution_id: str) -> None:
        deadline = self._clock() + self._deploy_timeout
        while True:
            status = self._cloudfront(
                account, limits.CLOUDFRONT_READ, "GetDistribution", Id=distribution_id
            )["Distribution"].get("Status")
            if status == "Deployed":
                return
            if self._clock() >= deadline:
                raise Transient(
                    f"distribution {distribution_id} is still {status} after "
                    f"{self._deploy_timeout:g}s; the change is saved and will be checked again"
                )
            self._sleep(self._poll_interval)

    def _resource(
        self,
        account: Account,
        summary: Mapping[str, Any],
        facts: dict[str, CertificateFacts | None],
    ) -> Resource:
        remote = _viewer_certificate(summary.get("ViewerCertificate") or {})
        served = None
        if remote is not None:
            if remote.startswith("arn:") and remote not in facts:
                facts[remote] = self._certificates.facts(account, remote)
            known = facts.get(remote)
            served = known.served(remote) if known else ServedCert(remote_id=remote)
        aliases = tuple(str(a).lower() for a in summary["Aliases"]["Items"])
        return Resource(
            provider="aws",
            product=NAME,
            native_id=str(summary["Id"]),
            hostnames=aliases,
            served=served,
            region=GLOBAL_REGION,
            https_endpoint=bool(summary.get("Enabled")),
            attributes={
                "arn": str(summary.get("ARN") or ""),
                "domain_name": str(summary.get("DomainName") or ""),
                "status": str(summary.get("Status") or ""),
            },
        )

    def _cloudfront(
        self, account: Account, family: str, action: str, **params: Any
    ) -> dict[str, Any]:
        return self._api(account, "cloudfront", GLOBAL_REGION, family, action, **params)


def _viewer_certificate(viewer: Mapping[str, Any]) -> str | None:
    """The ACM ARN or IAM certificate id a viewer configuration serves (None: CloudFront's)."""
    if viewer.get("CloudFrontDefaultCertificate") is True:
        return None
    return str(viewer.get("ACMCertificateArn") or viewer.get("IAMCertificateId") or "") or None


def _with_certificate(viewer: Mapping[str, Any], remote_cert_id: str) -> dict[str, Any]:
    """``viewer`` serving ``remote_cert_id``, every other setting kept where AWS allows it.

    A dedicated-IP distribution (``vip``) stays one (switching would change its billing and
    its non-SNI clients); the TLS floor forced by CloudFront's default certificate is raised
    to AWS's recommendation, any floor set for a custom certificate is kept.
    """
    was_default = viewer.get("CloudFrontDefaultCertificate") is True
    updated = {
        k: v
        for k, v in viewer.items()
        if k not in ("ACMCertificateArn", "IAMCertificateId", *_DEPRECATED_VIEWER_FIELDS)
    }
    if remote_cert_id.startswith("arn:"):
        updated["ACMCertificateArn"] = remote_cert_id
    else:
        updated["IAMCertificateId"] = remote_cert_id
    updated["CloudFrontDefaultCertificate"] = False
    if updated.get("SSLSupportMethod") not in ("vip", "static-ip"):
        updated["SSLSupportMethod"] = "sni-only"
    if was_default or str(updated.get("MinimumProtocolVersion") or "") in _OUTDATED_TLS:
        updated["MinimumProtocolVersion"] = _MODERN_TLS
    return updated


INFO: Final = ProductInfo(
    name=NAME,
    display_name="Amazon CloudFront (distributions)",
    api_docs="https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDistribution.html",
    permissions=PERMISSIONS,
    rate_limits=limits.rates(
        limits.CLOUDFRONT_READ,
        limits.CLOUDFRONT_WRITE,
        limits.ACM_IMPORT,
        limits.ACM_LIST,
        limits.ACM_READ,
    ),
    factory=AwsCloudFront,
)
