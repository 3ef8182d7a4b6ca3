"""CloudFront as AWS runs it, over moto's distributions.

moto 5.2.5 (VENDOR-NOTES.md) never changes a distribution's ETag and never compares IfMatch,
reports ``Deployed`` from the first read on, reads a viewer certificate back as CloudFront's
default unless ``CloudFrontDefaultCertificate=false`` was sent, and checks neither the
certificate's region nor that it covers the aliases. AWS does all of these, and certfleet's
optimistic-concurrency loop and deployment wait are only tested if they happen.

The proxy keeps, per distribution, the authoritative ETag and the moment its last change is
deployed: it answers 412 PreconditionFailed to a stale IfMatch, hands out a new ETag after each
change, shows ``InProgress`` for ``deploy_seconds`` after a change, refuses certificates that
are not in ACM us-east-1 or do not cover every alias (InvalidViewerCertificate), and adds the
``CloudFrontDefaultCertificate=false`` AWS implies when a certificate is named. The rest of the
configuration lives in moto.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import Final
from xml.etree import ElementTree

from providers.emulators.aws.backstage import Backstage
from providers.emulators.aws.calls import Call
from providers.emulators.aws.edge_sync import EdgeSync
from providers.emulators.aws.wire import (
    Reply,
    error_reply,
    namespace_of,
    parse_xml,
    serialise,
    text_of,
)
from providers.emulators.pki import covers

_SERVICE: Final = "cloudfront"
_CERTIFICATE_REGION: Final = "us-east-1"
_BAD_CERTIFICATE: Final = (
    "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, "
    "or doesn't include a valid certificate chain."
)
_NOT_COVERED: Final = (
    "The certificate that is attached to your distribution doesn't cover the alternate domain "
    "name (CNAME) that you're trying to add. {alias}"
)
_NEEDS_CERTIFICATE: Final = (
    "To add an alternate domain name (CNAME) to a CloudFront distribution, you must attach a "
    "trusted certificate that validates your authorization to use the domain name."
)
_CHANGES: Final = frozenset({"CreateDistribution", "UpdateDistribution"})
_etags = itertools.count(1)


@dataclass
class _Distribution:
    etag: str
    deployed_at: float  # monotonic time from which Status reads Deployed


def distribution_key(account: str, distribution_id: str) -> str:
    """The edge-sync key of a distribution."""
    return f"distribution|{account}|{distribution_id}"


class CloudFrontCorrections:
    """ETag/IfMatch, deployment status and viewer-certificate rules; see the module docstring."""

    actions = frozenset(
        (_SERVICE, action)
        for action in (
            "ListDistributions",
            "GetDistribution",
            "GetDistributionConfig",
            "DeleteDistribution",
            *_CHANGES,
        )
    )

    def __init__(self, backstage: Backstage, edge: EdgeSync, deploy_seconds: float = 0.0) -> None:
        self.deploy_seconds = deploy_seconds
        self._backstage = backstage
        self._edge = edge
        self._lock = threading.Lock()
        self._state: dict[tuple[str, str], _Distribution] = {}

    def touch(self, account: str, distribution_id: str) -> str:
        """Someone else changed the distribution: a new ETag (so ours goes stale)."""
        with self._lock:
            return self._changed(account, distribution_id).etag

    def before(self, call: Call) -> Reply | None:
        action = call.request.action
        if action in _CHANGES:
            refused = self._check_viewer_certificate(call)
            if refused is not None:
                return refused
        if action in ("UpdateDistribution", "DeleteDistribution"):
            return self._claim_if_match(call)
        return None

    def after(self, call: Call, reply: Reply) -> Reply:
        if reply.status >= 300:
            return reply
        request, action = call.request, call.request.action
        if action == "DeleteDistribution":
            with self._lock:
                self._state.pop((call.account, request.path_id), None)
            return reply
        root = parse_xml(reply.body) if reply.body else None
        distribution_id = request.path_id
        if action == "CreateDistribution" and root is not None:
            distribution_id = text_of(root, namespace_of(root), "Id")
        if distribution_id:
            with self._lock:
                state = (  # an update's new ETag was taken when its IfMatch was checked
                    self._changed(call.account, distribution_id)
                    if action == "CreateDistribution"
                    else self._known(call.account, distribution_id)
                )
            reply.set_header("ETag", state.etag)
        if action in _CHANGES and distribution_id:
            self.sync(call.account, distribution_id)
        if root is not None and action in ("ListDistributions", "GetDistribution", *_CHANGES):
            self._show_status(call.account, root)
            return Reply(reply.status, reply.headers, serialise(root))
        return reply

    def sync(self, account: str, distribution_id: str) -> None:
        """Serve the distribution's certificate on its aliases (nothing else answers there)."""
        config = self._backstage.distribution_config(account, distribution_id)
        if config is None:
            return
        aliases = config.get("Aliases", {}).get("Items") or []
        viewer = config.get("ViewerCertificate") or {}
        certificate = viewer.get("ACMCertificateArn") or viewer.get("IAMCertificateId") or ""
        if str(viewer.get("CloudFrontDefaultCertificate")).lower() == "true":
            certificate = ""
        self._edge.sync(
            distribution_key(account, distribution_id),
            [certificate],
            hostnames=aliases,
        )

    # -- helpers ----------------------------------------------------------------------------

    def _known(self, account: str, distribution_id: str) -> _Distribution:
        # Caller holds the lock. A distribution we never saw change starts deployed.
        state = self._state.get((account, distribution_id))
        if state is None:
            state = self._state[(account, distribution_id)] = _Distribution(_new_etag(), 0.0)
        return state

    def _changed(self, account: str, distribution_id: str) -> _Distribution:
        state = self._known(account, distribution_id)
        state.etag = _new_etag()
        state.deployed_at = time.monotonic() + self.deploy_seconds
        return state

    def _claim_if_match(self, call: Call) -> Reply | None:
        """Refuse a missing or stale IfMatch; else take the new ETag at once, so that of two
        updates sent with the same ETag only the first gets through, as on AWS."""
        sent = call.request.headers.get("if-match", "")
        if not sent:
            return error_reply(
                _SERVICE,
                "InvalidIfMatchVersion",
                "The If-Match version is missing or not valid for the resource.",
            )
        with self._lock:
            current = self._known(call.account, call.request.path_id).etag
            if sent == current and call.request.action == "UpdateDistribution":
                self._changed(call.account, call.request.path_id)
        if sent != current:
            return error_reply(
                _SERVICE,
                "PreconditionFailed",
                "The precondition given in one or more of the request-header fields "
                "evaluated to false.",
                412,
            )
        return None

    def _check_viewer_certificate(self, call: Call) -> Reply | None:
        root = parse_xml(call.request.body)
        ns = namespace_of(root)
        if root.tag != f"{ns}DistributionConfig":
            return None
        config = root
        aliases = [
            (item.text or "").strip().lower()
            for item in config.findall(f"{ns}Aliases/{ns}Items/{ns}CNAME")
        ]
        viewer = config.find(f"{ns}ViewerCertificate")
        acm = text_of(viewer, ns, "ACMCertificateArn") if viewer is not None else ""
        iam = text_of(viewer, ns, "IAMCertificateId") if viewer is not None else ""
        refusal = self._refuse_certificate(call.account, acm, iam, aliases)
        if refusal is not None:
            return error_reply(_SERVICE, "InvalidViewerCertificate", refusal)
        if viewer is not None and (acm or iam):
            flag = viewer.find(f"{ns}CloudFrontDefaultCertificate")
            if flag is None:
                flag = ElementTree.SubElement(viewer, f"{ns}CloudFrontDefaultCertificate")
            flag.text = "false"
            call.request.body = serialise(root)
        return None

    def _refuse_certificate(
        self, account: str, acm: str, iam: str, aliases: list[str]
    ) -> str | None:
        """Why AWS would refuse this viewer certificate for these aliases, or None."""
        if not acm:
            return _NEEDS_CERTIFICATE if aliases and not iam else None
        if acm.split(":")[3:4] != [_CERTIFICATE_REGION]:
            return _BAD_CERTIFICATE
        names = self._backstage.acm_names(account, acm)
        if names is None:
            return _BAD_CERTIFICATE
        for alias in aliases:
            if not covers(names, alias):
                return _NOT_COVERED.format(alias=alias)
        return None

    def _show_status(self, account: str, root: ElementTree.Element) -> None:
        ns = namespace_of(root)
        now = time.monotonic()
        for node in [root, *root.iter(f"{ns}DistributionSummary")]:
            status = node.find(f"{ns}Status")
            distribution_id = text_of(node, ns, "Id")
            if status is None or not distribution_id:
                continue
            with self._lock:
                deployed_at = self._known(account, distribution_id).deployed_at
            status.text = "Deployed" if now >= deployed_at else "InProgress"


def _new_etag() -> str:
    return f"E{next(_etags):012X}"
