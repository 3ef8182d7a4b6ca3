"""The reverse proxy in front of moto: what AWS's front door does that moto does not.

Each request goes through the steps AWS takes, in AWS's order: SigV4 signature against the
registered secret (InvalidClientTokenId / SignatureDoesNotMatch, or the JSON protocol's
UnrecognizedClientException / InvalidSignatureException), the per-(account, action) rate limit
(Throttling / ThrottlingException, HTTP 400), then any fault a test injected, then the service
corrections (see ``Correction``), and only then moto, in the caller's own moto account.

Admitted calls are counted per (account, action) and per (account, action, target), where the
target is what the call is about: a listener ARN, a distribution id, ``region/name:port`` of a
Classic ELB listener, or the leaf fingerprint of an import/upload. Tests assert "no double
upload, no double bind" on these counts.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from typing import Final

from cryptography import x509

from providers.emulators.aws import sigv4, wire
from providers.emulators.aws.accounts import Accounts
from providers.emulators.aws.calls import Call, Correction
from providers.emulators.aws.certificates import classic_target
from providers.emulators.aws.wire import ApiRequest, Reply
from providers.emulators.faults import CallCounts, Fault, FaultPlan, RateLimits
from providers.emulators.pki import fingerprint
from providers.emulators.serving import HttpServer, QuietHandler, ServerThread

_HOP_BY_HOP: Final = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding"}
    | {"upgrade", "content-length", "host", "x-moto-account-id"}
)
_REFUSALS: Final = {  # kind -> (query/XML code, JSON code, XML status)
    "token": ("InvalidClientTokenId", "UnrecognizedClientException", 403),
    "signature": ("SignatureDoesNotMatch", "InvalidSignatureException", 403),
    "incomplete": ("IncompleteSignature", "IncompleteSignatureException", 403),
}


class FaultProxy:
    """Authenticates, limits, breaks on demand, corrects and forwards calls to moto."""

    def __init__(
        self,
        moto: tuple[str, int],
        accounts: Accounts,
        corrections: Sequence[Correction],
        *,
        faults: FaultPlan | None = None,
    ) -> None:
        self.accounts = accounts
        self.limits = RateLimits()
        self.faults = faults or FaultPlan()
        self._moto = moto
        self._corrections = list(corrections)
        self._counts = CallCounts()
        self.failures: deque[str] = deque(maxlen=20)  # emulator bugs, for debugging tests
        self._serving: ServerThread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, host: str, port: int) -> None:
        self._serving = ServerThread(
            lambda: HttpServer((host, port), _ProxyHandler, self.handle), name="aws-fault-proxy"
        )
        self._serving.start()

    def stop(self) -> None:
        serving, self._serving = self._serving, None
        if serving is not None:
            serving.stop()

    @property
    def address(self) -> tuple[str, int]:
        if self._serving is None:
            raise RuntimeError("the proxy is not started")
        return self._serving.address

    @property
    def calls(self) -> Counter[tuple[str, ...]]:
        return self._counts.calls

    @property
    def throttled(self) -> Counter[tuple[str, str]]:
        return self._counts.throttled

    # -- one request -----------------------------------------------------------------------

    def handle(self, request: ApiRequest) -> Reply:
        try:
            return self._answer(request)
        except Exception as error:  # a bug in the emulator must look like AWS's 500
            self.failures.append(f"{request.method} {request.target}: {error!r}")
            return wire.status_error(request.service or "iam", 500)

    def _answer(self, request: ApiRequest) -> Reply:
        try:
            auth = sigv4.parse_authorization(request.headers.get("authorization", ""))
        except sigv4.SignatureRefused as refused:
            service = "acm" if "x-amz-target" in request.headers else "iam"
            return _refusal(service, refused)
        wire.classify(request, auth.service, auth.region)
        credential = self.accounts.credential(auth.access_key)
        try:
            if credential is None:
                raise sigv4.SignatureRefused(
                    "token", "The security token included in the request is invalid."
                )
            sigv4.verify(request, auth, credential.secret, session_token=credential.session_token)
        except sigv4.SignatureRefused as refused:
            return _refusal(request.service, refused)
        call = Call(request, credential.account, _target(request))
        refused_reply = self._admit(call)
        if refused_reply is not None:
            return refused_reply
        return self._through_moto(call)

    def _admit(self, call: Call) -> Reply | None:
        """Rate limit, count, then injected faults; a Reply when the call stops here."""
        action, service = call.request.action, call.request.service
        limit = self.limits.admit(call.account, action)
        if limit is not None:
            self._counts.refused(call.account, action)
            return wire.error_reply(service, wire.throttle_code(service), "Rate exceeded")
        self._counts.admitted(call.account, action, call.target)
        fault = self.faults.take(call.account, action, call.target)
        return _inject(fault, service) if fault is not None else None

    def _through_moto(self, call: Call) -> Reply:
        key = (call.request.service, call.request.action)
        applying = [c for c in self._corrections if key in c.actions]
        for correction in applying:
            early = correction.before(call)
            if early is not None:
                return early
        reply = self._forward(call)
        for correction in applying:
            reply = correction.after(call, reply)
        return reply

    def _forward(self, call: Call) -> Reply:
        request = call.request
        headers = {k: v for k, v in request.headers.items() if k not in _HOP_BY_HOP}
        headers["x-moto-account-id"] = call.account
        connection = http.client.HTTPConnection(*self._moto, timeout=60)
        try:
            connection.request(request.method, request.target, body=request.body, headers=headers)
            response = connection.getresponse()
            body = response.read()
            kept = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
            return Reply(response.status, kept, body)
        finally:
            connection.close()


def _inject(fault: Fault, service: str) -> Reply | None:
    if fault.latency:
        time.sleep(fault.latency)
    if fault.throttle:
        return wire.error_reply(service, wire.throttle_code(service), "Rate exceeded")
    if fault.error_code is not None:
        message = fault.message or "injected by the certfleet AWS emulator"
        return wire.error_reply(service, fault.error_code, message, fault.http_status or 400)
    if fault.http_status is not None:
        return wire.status_error(service, fault.http_status)
    return None


def _refusal(service: str, refused: sigv4.SignatureRefused) -> Reply:
    xml_code, json_code, xml_status = _REFUSALS[refused.kind]
    if service == "acm":
        return wire.error_reply(service, json_code, refused.message, 400)
    return wire.error_reply(service, xml_code, refused.message, xml_status)


def _target(request: ApiRequest) -> str:
    """What the call is about, for per-resource counts and targeted faults."""
    if request.path_id:
        return request.path_id
    if request.param("ListenerArn"):
        return request.param("ListenerArn")
    if request.action == "SetLoadBalancerListenerSSLCertificate":
        return classic_target(
            request.region, request.param("LoadBalancerName"), request.param("LoadBalancerPort")
        )
    if request.action == "UploadServerCertificate":
        return _leaf_fingerprint(request.param("CertificateBody"))
    if request.action == "ImportCertificate":
        encoded = request.document.get("Certificate")
        try:
            text = base64.b64decode(str(encoded or ""), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            text = ""
        # ACM is regional: the same certificate imported into two regions is two uploads of
        # different things (CloudFront needs us-east-1, a load balancer its own region).
        return f"{request.region}:{_leaf_fingerprint(text)}"
    return str(request.document.get("CertificateArn") or "")


def _leaf_fingerprint(pem: str) -> str:
    try:
        return fingerprint(x509.load_pem_x509_certificate(pem.encode()))
    except ValueError:
        return ""


class _ProxyHandler(QuietHandler):
    server: HttpServer[Callable[[ApiRequest], Reply]]

    def _relay(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.answer(ApiRequest(self.command, self.path, headers, self.read_body()))
        kept = [(k, v) for k, v in reply.headers.items() if k.lower() not in _HOP_BY_HOP]
        self.send_answer(reply.status, kept, reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay  # noqa: N815
