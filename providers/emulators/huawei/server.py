"""The Huawei Cloud emulator: CDN v2 and ELB v3 behind an API gateway the real SDK can call.

Point clients at :attr:`HuaweiEmulator.endpoint` (``http://127.0.0.1:PORT``): CDN with
``GlobalCredentials(ak, sk, domain_id).with_endpoints([endpoint])``, ELB with
``BasicCredentials(ak, sk, project_id)`` and ``Region(region, endpoint)``. Every request goes
through what the gateway does (:mod:`.gateway`), then through any fault a test injected, then
to the operation. Test and demo set-up happens through plain methods (:mod:`.setup`), never
over HTTP, so there is no admin surface to secure.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final, Self

from providers.emulators.faults import Fault
from providers.emulators.huawei import (
    cdn_api,
    elb_api,
    elb_certificates,
    errors,
    gateway,
    signature,
)
from providers.emulators.huawei.context import CallContext, Route
from providers.emulators.huawei.errors import ApiError
from providers.emulators.huawei.gateway import Routed
from providers.emulators.huawei.setup import EmulatorSetup
from providers.emulators.huawei.state import AccountState, Project
from providers.emulators.huawei.transport import (
    ApiHandler,
    Reply,
    Request,
    error_reply,
    gateway_page,
    json_reply,
)
from providers.emulators.serving import HttpServer, ServerThread, StartStop
from providers.emulators.tls_edge import TlsEdge

ROUTES: Final[tuple[Route, ...]] = (
    *cdn_api.ROUTES,
    *elb_api.ROUTES,
    *elb_certificates.ROUTES,
)
_DEFAULT_STATUS: Final = {errors.THROTTLED: 429, errors.IAM_AUTH_FAILED: 401}


class HuaweiEmulator(EmulatorSetup, StartStop):
    """CDN v2 and ELB v3 of many accounts, plus a TLS edge serving what they bind."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        edge: TlsEdge | None = None,
        clock: Callable[[], float] = time.time,
        seed: int | None = None,
    ) -> None:
        super().__init__(edge or TlsEdge(host), clock=clock, seed=seed)
        self._serving = ServerThread(
            lambda: HttpServer((host, port), ApiHandler, self.handle),
            name="huawei-emulator",
            along=[self.edge] if edge is None else [],
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Serve in a daemon thread (and start the TLS edge if this emulator owns it)."""
        self._serving.start()
        return self

    def stop(self) -> None:
        self._serving.stop()

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:PORT``, for ``with_endpoints([...])`` and ``Region(id, ...)``."""
        host, port = self._serving.address
        return f"http://{host}:{port}"

    @property
    def tls_edge(self) -> str:
        """``host:port`` of the TLS edge serving every bound hostname (an Account's tls_edge)."""
        return self.edge.address

    # -- request handling ------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        """Answer one API request the way Huawei's gateway and services would."""
        request_id = uuid.uuid4().hex
        shape: errors.Shape = "flat"
        try:
            routed = gateway.find_route(ROUTES, request)
            shape = routed.route.shape
            return self._answer(request, routed, request_id)
        except ApiError as error:
            return error_reply(error, shape, request_id)
        except Exception as error:  # a bug in the emulator must look like the vendor's 500
            bug = ApiError(500, "EMULATOR.BUG", f"emulator error: {error!r}")
            return error_reply(bug, shape, request_id)

    def _answer(self, request: Request, routed: Routed, request_id: str) -> Reply:
        operation, target = routed.route.operation, None
        if routed.route.target is not None:
            target = routed.path.get(routed.route.target)
        account = gateway.authenticate(request, self._accounts_view(), self.lockout, self.clock())
        project = gateway.scope(account, routed, request)
        try:
            gateway.throttle(self.limits, account.access_key, operation)
        except ApiError:
            self._counts.refused(account.access_key, operation)
            raise
        self._counts.admitted(account.access_key, operation, target)
        fault = self.faults.take(account.access_key, operation, target)
        if fault is not None:
            failure = self._apply(fault, request_id)
            if failure is not None:
                return failure
        body = _json_object(request.body, routed.route)
        with self._lock:
            status, payload = routed.route.handler(
                self._context(account, project, routed, request, body)
            )
        if status == 204:
            return Reply(204, "application/json", b"", request_id)
        if routed.route.service == "elb":
            payload = {**payload, "request_id": request_id}
        return json_reply(status, payload, request_id)

    def _apply(self, fault: Fault, request_id: str) -> Reply | None:
        if fault.latency:
            time.sleep(fault.latency)
        if fault.error_code is not None:
            status = fault.http_status or _DEFAULT_STATUS.get(fault.error_code, 400)
            message = fault.message or "injected by the emulator"
            raise ApiError(
                status, fault.error_code, message, gateway=fault.error_code.startswith("APIGW.")
            )
        if fault.http_status is not None:
            return gateway_page(fault.http_status, request_id)
        return None

    def _context(
        self,
        account: AccountState,
        project: Project | None,
        routed: Routed,
        request: Request,
        body: dict[str, Any],
    ) -> CallContext:
        def count_upload(leaf_fingerprint: str) -> None:
            self._uploads[(account.access_key, leaf_fingerprint)] += 1

        return CallContext(
            account=account,
            project=project,
            now=datetime.fromtimestamp(self.clock(), UTC),
            path=routed.path,
            query=signature.query_pairs(request.raw_query),
            body=body,
            new_id=self._new_id,
            count_upload=count_upload,
            bind_edge=self.edge.bind,
            unbind_edge=self.edge.unbind,
            sync_listener=self._sync_listener,
            domain_owner=self._domain_owner,
        )

    def _domain_owner(self, domain: str) -> str | None:
        for account in self._accounts.values():
            if domain in account.cdn_domains:
                return account.access_key
        return None

    def _accounts_view(self) -> dict[str, AccountState]:
        with self._lock:
            return dict(self._accounts)


def _json_object(body: bytes, route: Route) -> dict[str, Any]:
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        code = errors.CDN_PARAM_ERROR if route.service == "cdn" else errors.ELB_INVALID
        raise ApiError(400, code, "The request body must be a JSON object.")
    return parsed
