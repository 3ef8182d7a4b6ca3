"""ACM, IAM server certificates and Classic ELB listeners: capture keys, act like AWS.

Corrections over moto 5.2.5, each something AWS does that certfleet relies on:

- ACM ListCertificates returns only RSA_1024/RSA_2048 certificates unless ``Includes.keyTypes``
  asks for others (AWS's default filter; moto returns every key type), and honours
  ``MaxItems`` with a ``NextToken`` (moto ignores MaxItems).
- IAM UploadServerCertificate refuses a name already taken (EntityAlreadyExists, 409); moto
  silently overwrites it, which would hide a double upload.
- Classic ELB SetLoadBalancerListenerSSLCertificate refuses a certificate that does not exist
  (CertificateNotFound); moto stores any string.

And what the TLS edge needs: the PEM and key of every certificate imported or uploaded through
the proxy, keyed by the ARN in the answer; a re-import into an existing ARN re-syncs every
resource of the account, because on AWS every user of that ARN follows (in-place renewal).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, Final

from providers.emulators.aws.backstage import Backstage
from providers.emulators.aws.calls import Call
from providers.emulators.aws.edge_sync import EdgeSync
from providers.emulators.aws.wire import Reply, error_reply, json_reply, namespace_of, parse_xml

DEFAULT_KEY_TYPES: Final = frozenset({"RSA_1024", "RSA_2048"})
_PAGE_MARK: Final = "certfleet-emulator:"  # our NextToken: the next offset


def classic_key(account: str, region: str, name: str, port: int | str) -> str:
    """The edge-sync key (and call-count target) of a Classic ELB listener."""
    return f"classic|{account}|{classic_target(region, name, port)}"


def classic_target(region: str, name: str, port: int | str) -> str:
    return f"{region}/{name}:{port}"


class CertificateCorrections:
    """See the module docstring."""

    actions = frozenset(
        {
            ("acm", "ImportCertificate"),
            ("acm", "ListCertificates"),
            ("iam", "UploadServerCertificate"),
            ("elb", "SetLoadBalancerListenerSSLCertificate"),
        }
    )

    def __init__(
        self, backstage: Backstage, edge: EdgeSync, resync_account: Callable[[str], None]
    ) -> None:
        self._backstage = backstage
        self._edge = edge
        self._resync_account = resync_account

    def before(self, call: Call) -> Reply | None:
        request = call.request
        if request.action == "UploadServerCertificate":
            name = request.param("ServerCertificateName")
            if self._backstage.iam_name_taken(call.account, name):
                return error_reply(
                    "iam",
                    "EntityAlreadyExists",
                    f"The Server Certificate with name {name} already exists.",
                    409,
                )
        if request.action == "SetLoadBalancerListenerSSLCertificate":
            arn = request.param("SSLCertificateId")
            if not self._backstage.certificate_exists(call.account, arn, request.region):
                return error_reply(
                    "elb",
                    "CertificateNotFound",
                    "The specified SSL ID does not refer to a valid SSL certificate in AWS "
                    "Identity and Access Management (IAM) or AWS Certificate Manager (ACM).",
                )
        return None

    def after(self, call: Call, reply: Reply) -> Reply:
        if reply.status != 200:
            return reply
        action = call.request.action
        if action == "ImportCertificate":
            self._capture_import(call, reply)
        elif action == "UploadServerCertificate":
            self._capture_upload(call, reply)
        elif action == "ListCertificates":
            return _filter_and_page(call.request.document, reply)
        elif action == "SetLoadBalancerListenerSSLCertificate":
            request = call.request
            self.sync_classic(
                call.account,
                request.region,
                request.param("LoadBalancerName"),
                int(request.param("LoadBalancerPort") or 0),
            )
        return reply

    def sync_classic(self, account: str, region: str, name: str, port: int) -> None:
        certificate = self._backstage.classic_certificate(account, region, name, port)
        self._edge.sync(classic_key(account, region, name, port), [certificate])

    def _capture_import(self, call: Call, reply: Reply) -> None:
        document = call.request.document
        arn = str(json.loads(reply.body).get("CertificateArn") or "")
        leaf, key = _blob(document, "Certificate"), _blob(document, "PrivateKey")
        if not (arn and leaf and key):
            return
        self._edge.remember(arn, _chain(leaf, _blob(document, "CertificateChain")), key)
        if document.get("CertificateArn"):
            self._resync_account(call.account)

    def _capture_upload(self, call: Call, reply: Reply) -> None:
        root = parse_xml(reply.body)
        ns = namespace_of(root)
        arn = (root.findtext(f".//{ns}ServerCertificateMetadata/{ns}Arn") or "").strip()
        request = call.request
        leaf, key = request.param("CertificateBody"), request.param("PrivateKey")
        if arn and leaf and key:
            self._edge.remember(arn, _chain(leaf, request.param("CertificateChain")), key)


def _blob(document: dict[str, Any], name: str) -> str:
    """A JSON blob field as text (botocore base64-encodes blobs in JSON protocols)."""
    value = document.get(name)
    if not isinstance(value, str) or not value:
        return ""
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return value


def _chain(leaf: str, rest: str) -> str:
    leaf = leaf.strip() + "\n"
    return leaf + (rest.strip() + "\n" if rest.strip() else "")


def _filter_and_page(request: dict[str, Any], reply: Reply) -> Reply:
    """Apply AWS's default key-type filter and MaxItems/NextToken paging to moto's list."""
    answer = json.loads(reply.body)
    includes = request.get("Includes") or {}
    wanted = set(includes.get("keyTypes") or DEFAULT_KEY_TYPES)
    listed = [
        item
        for item in answer.get("CertificateSummaryList") or []
        if _key_type(item.get("KeyAlgorithm", "")) in wanted
    ]
    token = str(request.get("NextToken") or "")
    start = int(token[len(_PAGE_MARK) :]) if token.startswith(_PAGE_MARK) else 0
    size = int(request.get("MaxItems") or 1000)
    page = listed[start : start + size]
    document: dict[str, Any] = {"CertificateSummaryList": page}
    if start + size < len(listed):
        document["NextToken"] = f"{_PAGE_MARK}{start + size}"
    return json_reply(document, reply)


def _key_type(algorithm: str) -> str:
    """moto reports KeyAlgorithm as ``RSA-2048``/``EC-prime256v1`` or with underscores."""
    return algorithm.replace("-", "_")
