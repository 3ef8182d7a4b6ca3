"""What the AWS APIs certfleet uses look like on the wire: requests, answers, error bodies.

The proxy must answer errors exactly as AWS does, per protocol, or botocore would parse them
into something no real account ever sees: query APIs (ELB, ELBv2, IAM, STS) and CloudFront's
REST-XML send ``<ErrorResponse><Error><Code>``; ACM's JSON 1.1 sends ``{"__type", "message"}``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

# botocore names ELBv2 and Classic ELB alike in the signature scope; the API version tells.
_ELB_VERSIONS: Final = {"2015-12-01": "elbv2", "2012-06-01": "elb"}
NAMESPACES: Final = {
    "elbv2": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
    "elb": "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "cloudfront": "http://cloudfront.amazonaws.com/doc/2020-05-31/",
}
_JSON_SERVICES: Final = frozenset({"acm"})
_DISTRIBUTIONS: Final = "/2020-05-31/distribution"
_CLOUDFRONT_ROUTES: Final = (
    ("GET", re.compile(rf"^{_DISTRIBUTIONS}$"), "ListDistributions"),
    ("POST", re.compile(rf"^{_DISTRIBUTIONS}$"), "CreateDistribution"),
    ("GET", re.compile(rf"^{_DISTRIBUTIONS}/(?P<id>[^/]+)$"), "GetDistribution"),
    ("DELETE", re.compile(rf"^{_DISTRIBUTIONS}/(?P<id>[^/]+)$"), "DeleteDistribution"),
    ("GET", re.compile(rf"^{_DISTRIBUTIONS}/(?P<id>[^/]+)/config$"), "GetDistributionConfig"),
    ("PUT", re.compile(rf"^{_DISTRIBUTIONS}/(?P<id>[^/]+)/config$"), "UpdateDistribution"),
)
_STATUS_CODES: Final = {500: "InternalFailure", 502: "BadGateway", 503: "ServiceUnavailable"}


@dataclass
class ApiRequest:
    """One signed API call as received; ``service`` is ours (``elbv2``, ``elb``, ``acm``, …)."""

    method: str
    target: str  # path and query exactly as sent (signatures cover the raw form)
    headers: dict[str, str]  # lower-case names
    body: bytes
    service: str = ""
    region: str = ""
    action: str = ""
    params: dict[str, str] = field(default_factory=dict)  # query/form parameters, flattened
    document: dict[str, Any] = field(default_factory=dict)  # JSON body (ACM)
    path_id: str = ""  # CloudFront's resource id from the path

    def param(self, name: str) -> str:
        """A query/form parameter, or ``""``."""
        return self.params.get(name, "")

    def members(self, name: str, member_field: str = "") -> list[str]:
        """Values of a query-protocol list, in order: ``members("Certificates", "CertificateArn")``
        reads ``Certificates.member.N.CertificateArn``."""
        suffix = rf"\.{re.escape(member_field)}" if member_field else ""
        pattern = re.compile(rf"{re.escape(name)}\.member\.(\d+){suffix}$")
        found = [
            (int(match.group(1)), value)
            for key, value in self.params.items()
            if (match := pattern.match(key))
        ]
        return [value for _, value in sorted(found)]


@dataclass
class Reply:
    """An HTTP answer; header names as AWS spells them."""

    status: int
    headers: dict[str, str]
    body: bytes

    def set_header(self, name: str, value: str) -> None:
        for key in [k for k in self.headers if k.lower() == name.lower()]:
            del self.headers[key]
        self.headers[name] = value


def classify(request: ApiRequest, signing_service: str, region: str) -> None:
    """Fill in ``service``, ``region``, ``action`` and parameters from the raw request."""
    request.region = region
    parts = urlsplit(request.target)
    form: dict[str, str] = dict(parse_qsl(parts.query, keep_blank_values=True))
    content_type = request.headers.get("content-type", "")
    if "x-www-form-urlencoded" in content_type and request.body:
        form.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    request.params = form
    if signing_service == "elasticloadbalancing":
        request.service = _ELB_VERSIONS.get(form.get("Version", ""), "elbv2")
    else:
        request.service = signing_service
    if request.service in _JSON_SERVICES:
        request.action = request.headers.get("x-amz-target", "").rpartition(".")[2]
        try:
            document = json.loads(request.body or b"{}")
        except ValueError:
            document = {}
        request.document = document if isinstance(document, dict) else {}
    elif request.service == "cloudfront":
        request.action = f"{request.method} {parts.path}"
        for method, route, action in _CLOUDFRONT_ROUTES:
            match = route.match(parts.path)
            if method == request.method and match:
                request.action = action
                request.path_id = match.groupdict().get("id") or ""
                break
    else:
        request.action = form.get("Action", "")


def new_request_id() -> str:
    return str(uuid.uuid4())


def error_reply(service: str, code: str, message: str, status: int = 400) -> Reply:
    """``code`` as ``service`` answers it (JSON for ACM, ``ErrorResponse`` XML otherwise)."""
    request_id = new_request_id()
    if service in _JSON_SERVICES:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "x-amzn-RequestId": request_id,
            "x-amzn-ErrorType": code,
        }
        return Reply(status, headers, body)
    kind = "Receiver" if status >= 500 else "Sender"
    namespace = NAMESPACES.get(service, NAMESPACES["iam"])
    text = (
        f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    headers = {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
    return Reply(status, headers, text.encode())


def status_error(service: str, status: int) -> Reply:
    """A bare server failure (500, 502, 503 …) in the service's error format."""
    code = _STATUS_CODES.get(status, "InternalFailure")
    return error_reply(service, code, "We encountered an internal error. Please try again.", status)


def throttle_code(service: str) -> str:
    """AWS's rate refusal code: ``ThrottlingException`` for JSON APIs, ``Throttling`` else."""
    return "ThrottlingException" if service in _JSON_SERVICES else "Throttling"


def json_reply(document: Mapping[str, Any], reply: Reply) -> Reply:
    """``reply`` with its JSON body replaced by ``document``."""
    body = json.dumps(document).encode()
    headers = dict(reply.headers)
    return Reply(reply.status, headers, body)


def xml_reply(service: str, action: str, result: str) -> Reply:
    """A query-protocol success: ``<{action}Response><{action}Result>…`` plus a RequestId."""
    namespace = NAMESPACES[service]
    request_id = new_request_id()
    text = (
        f'<{action}Response xmlns="{namespace}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
    return Reply(200, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, text.encode())


def parse_xml(body: bytes) -> ElementTree.Element:
    """Parse an XML body from moto or a local SDK client (both trusted: loopback only)."""
    return ElementTree.fromstring(body)  # noqa: S314


def namespace_of(root: ElementTree.Element) -> str:
    """``{uri}`` of the root's tag, for ``find`` paths (``""`` when it has none)."""
    return root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""


def serialise(root: ElementTree.Element) -> bytes:
    """XML text with the root's namespace as the default one, as AWS writes it."""
    namespace = namespace_of(root)[1:-1]
    if not namespace:
        return ElementTree.tostring(root)
    return ElementTree.tostring(root, default_namespace=namespace)


def text_of(parent: ElementTree.Element, namespace: str, name: str) -> str:
    return (parent.findtext(f"{namespace}{name}") or "").strip()
