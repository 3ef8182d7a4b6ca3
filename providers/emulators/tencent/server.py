"""The Tencent Cloud emulator: an HTTP API that the real tencentcloud SDK can call.

Point a client at it with ``HttpProfile(protocol="http", endpoint=emulator.endpoint)``. Every
request goes through what Tencent's gateway does (TC3 signature, timestamp window, per-account
and per-action rate limits), then through any fault a test injected, then to the action.
Answers use the vendor's envelope and exactly ``Content-Type: application/json`` (the SDK
ignores errors under any other content type, see VENDOR-NOTES.md).

Test and demo set-up happens through plain methods (``add_account``, ``add_cdn_domain``,
``set_rate_limit``, ``inject``, and per product ``emulator.clb.*`` / ``emulator.waf.*``), never
over HTTP, so no admin surface needs securing.
"""

from __future__ import annotations

import json
import random
import string
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Final, Self

from providers.emulators.faults import CallCounts, Fault, FaultPlan, RateLimits
from providers.emulators.serving import HttpServer, ServerThread, StartStop
from providers.emulators.tencent import cdn_api, clb_api, errors, signature, ssl_api, waf_api
from providers.emulators.tencent.cdn_control import CdnControl
from providers.emulators.tencent.clb_control import ClbControl
from providers.emulators.tencent.context import Action, ActionContext, EmulatorSettings
from providers.emulators.tencent.errors import ApiError
from providers.emulators.tencent.state import AccountState
from providers.emulators.tencent.transport import (
    ApiHandler,
    Reply,
    error_reply,
    gateway_page,
    json_reply,
)
from providers.emulators.tencent.waf_control import WafControl
from providers.emulators.tls_edge import TlsEdge

_PRODUCTS: Final = (ssl_api, cdn_api, clb_api, waf_api)
_VERSIONS: Final = {product.SERVICE: product.VERSION for product in _PRODUCTS}
_ACTIONS: Final[dict[tuple[str, str], Action]] = {
    (product.SERVICE, name): action
    for product in _PRODUCTS
    for name, action in product.ACTIONS.items()
}
_TARGETED: Final = frozenset(
    {
        "UploadCertificate",
        "UpdateDomainConfig",
        "ModifyListener",
        "ModifyDomainAttributes",
        "ModifySpartaProtection",
    }
)
_ALNUM: Final = string.ascii_letters + string.digits


class TencentEmulator(StartStop):
    """SSL, CDN, CLB and WAF of many accounts, plus a TLS edge serving what they bind.

    ``cdn``, ``clb`` and ``waf`` set up and inspect those products (see their controls).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        edge: TlsEdge | None = None,
        clock: Callable[[], float] = time.time,
        seed: int | None = None,
    ) -> None:
        self.clock = clock  # replace to simulate a skewed client or server clock
        self.edge = edge or TlsEdge(host)
        self._lock = threading.RLock()
        self._accounts: dict[str, AccountState] = {}
        self._counts = CallCounts()
        self._errors: Counter[tuple[str, str, str]] = Counter()
        self._limits = RateLimits()
        self._rng = random.Random(seed)
        self._faults = FaultPlan(random.Random(seed))
        self._propagation_delay = 0.0
        self._edge_generation: Counter[str] = Counter()
        self._serving = ServerThread(
            lambda: HttpServer((host, port), ApiHandler, self.handle),
            name="tencent-emulator",
            poll_interval=0.02,  # stop() waits up to this long
            along=[self.edge] if edge is None else [],
        )
        self.settings = EmulatorSettings()
        self.cdn = CdnControl(self)
        self.clb = ClbControl(self, self.settings)
        self.waf = WafControl(self)
        # The CDN set-up predates the per-product controls; its names stay for callers.
        self.add_cdn_domain = self.cdn.add_domain
        self.set_locked = self.cdn.set_locked
        self.https_config = self.cdn.https_config

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Serve in a daemon thread (and start the TLS edge if this emulator owns it)."""
        self._serving.start()
        return self

    def stop(self) -> None:
        self._serving.stop()

    @property
    def endpoint(self) -> str:
        """``127.0.0.1:PORT``, for ``HttpProfile(protocol="http", endpoint=...)``."""
        host, port = self._serving.address
        return f"{host}:{port}"

    @property
    def tls_edge(self) -> str:
        """``host:port`` of the TLS edge serving every bound domain (an Account's tls_edge)."""
        return self.edge.address

    # -- set-up for tests and demos --------------------------------------------------------

    def add_account(self, secret_id: str, secret_key: str) -> None:
        """Create an account reachable with this AccessKey pair."""
        with self._lock:
            if secret_id in self._accounts:
                raise ValueError(f"account {secret_id} already exists")
            app_id = self._rng.randrange(1_250_000_000, 1_259_999_999)
            self._accounts[secret_id] = AccountState(secret_id, secret_key, app_id)

    def certificate_ids(self, secret_id: str) -> list[str]:
        """Ids of the account's uploads, oldest first."""
        with self._lock:
            return list(self._account(secret_id).certificates)

    def set_rate_limit(self, action: str | None, per_second: float | None) -> None:
        """Per-account token bucket for ``action``, or for every action when it is None.

        Calls beyond it answer ``RequestLimitExceeded`` and are counted in :attr:`throttled`.
        ``per_second=None`` removes the limit.
        """
        self._limits.set(action, per_second)

    def inject(
        self,
        action: str | None,
        *,
        error_code: str | None = None,
        message: str | None = None,
        http_status: int | None = None,
        latency: float = 0.0,
        times: int | None = 1,
        probability: float | None = None,
        secret_id: str | None = None,
    ) -> None:
        """Make the next ``times`` matching calls (None: all, until :meth:`clear_faults`) slow
        by ``latency`` seconds and/or fail: ``error_code`` answers the vendor's error JSON,
        ``http_status`` answers a gateway page (e.g. 502) that the SDK reports as
        ``ServerNetworkError``. ``probability`` applies the fault to that share of calls.
        """
        self._faults.add(
            Fault(
                action,
                secret_id,
                error_code=error_code,
                message=message,
                http_status=http_status,
                latency=latency,
                remaining=times,
                probability=probability,
            )
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    def set_propagation_delay(self, seconds: float) -> None:
        """Make binds reach the TLS edge only after ``seconds``, like a CDN rolling out."""
        self._propagation_delay = seconds

    @property
    def calls(self) -> Counter[tuple[str, ...]]:
        """Snapshot: admitted calls per ``(secret_id, action)`` and, for UploadCertificate and
        UpdateDomainConfig, per ``(secret_id, action, target)`` (leaf fingerprint / domain)."""
        return self._counts.calls

    @property
    def throttled(self) -> Counter[tuple[str, str]]:
        """Snapshot: calls refused with RequestLimitExceeded per ``(secret_id, action)``."""
        return self._counts.throttled

    @property
    def errors(self) -> Counter[tuple[str, str, str]]:
        """Snapshot: error answers per ``(secret_id, action, code)`` (throttles included)."""
        with self._lock:
            return Counter(self._errors)

    # -- what the product controls use ---------------------------------------------------

    @property
    def lock(self) -> threading.RLock:
        """The lock every action and every set-up change runs under."""
        return self._lock

    def setup_context(self, secret_id: str) -> ActionContext:
        """An action context for set-up outside any request (caller holds :attr:`lock`).

        Set-up is not a vendor change: its edge bindings apply at once, whatever the
        propagation delay.
        """
        return replace(
            self._context(self._account(secret_id), "", request_id=""),
            bind_edge=self.edge.bind,
            unbind_edge=self.edge.unbind,
        )

    def cdn_domain_taken(self, name: str) -> bool:
        """Whether any account already has the acceleration domain ``name`` (names are global)."""
        with self._lock:
            return any(name in account.domains for account in self._accounts.values())

    # -- request handling ------------------------------------------------------------------

    def handle(self, method: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one API request; ``headers`` are keyed by lower-case name."""
        request_id = str(uuid.uuid4())
        try:
            return self._answer(method, headers, body, request_id)
        except ApiError as error:
            return error_reply(error.code, error.message, request_id)
        except Exception as error:  # a bug in the emulator must look like the vendor's 500
            return error_reply(errors.INTERNAL_ERROR, f"emulator error: {error!r}", request_id)

    def _answer(self, method: str, headers: Mapping[str, str], body: bytes, rid: str) -> Reply:
        account, service, action = self._authenticate(method, headers, body)
        try:
            return self._dispatch(account, service, action, headers=headers, body=body, rid=rid)
        except ApiError as error:
            with self._lock:
                self._errors[(account.secret_id, action, error.code)] += 1
            raise

    def _dispatch(
        self,
        account: AccountState,
        service: str,
        action: str,
        *,
        headers: Mapping[str, str],
        body: bytes,
        rid: str,
    ) -> Reply:
        handler = _ACTIONS.get((service, action))
        if handler is None:
            raise ApiError(errors.INVALID_ACTION, f"The action {service}:{action} is not found.")
        if headers.get("x-tc-version") != _VERSIONS[service]:
            raise ApiError(errors.NO_SUCH_VERSION, f"{service} has no version of that name.")
        limit = self._limits.admit(account.secret_id, action)
        if limit is not None:
            self._counts.refused(account.secret_id, action)
            raise ApiError(
                errors.REQUEST_LIMIT_EXCEEDED,
                f"Your current request times exceeds the frequency limit `{limit:g}` for a "
                "second. Please reduce the frequency of calls.",
            )
        self._counts.admitted(account.secret_id, action)
        fault = self._faults.take(account.secret_id, action)
        if fault is not None:
            if fault.latency:
                time.sleep(fault.latency)
            if fault.http_status is not None:
                return gateway_page(fault.http_status)
            if fault.error_code is not None:
                raise ApiError(fault.error_code, fault.message or "injected by the emulator")
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = None
        if not isinstance(params, dict):
            raise ApiError(errors.INVALID_PARAMETER, "The request body must be a JSON object.")
        with self._lock:
            context = self._context(
                account, action, request_id=rid, region=headers.get("x-tc-region", "")
            )
            result = handler(context, params)
        return json_reply({**result, "RequestId": rid})

    def _authenticate(
        self, method: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[AccountState, str, str]:
        try:
            auth = signature.parse_authorization(headers.get("authorization", ""))
        except ValueError as error:
            raise ApiError(
                errors.INVALID_AUTHORIZATION, f"The Authorization header is not valid: {error}."
            ) from error
        timestamp = headers.get("x-tc-timestamp", "")
        signature.check_timestamp(timestamp, self.clock())
        with self._lock:
            account = self._accounts.get(auth.secret_id)
        if account is None:
            raise ApiError(
                errors.SECRET_ID_NOT_FOUND,
                "The SecretId is not found, please ensure that your SecretId is correct.",
            )
        signature.verify(
            auth, account.secret_key, method=method, headers=headers, body=body, timestamp=timestamp
        )
        action = headers.get("x-tc-action", "")
        if not action or auth.service not in _VERSIONS:
            raise ApiError(errors.INVALID_ACTION, "The requested action or service is unknown.")
        return account, auth.service, action

    def _context(
        self, account: AccountState, action: str, *, request_id: str, region: str = ""
    ) -> ActionContext:
        def count_target(target: str) -> None:
            if action in _TARGETED:
                self._counts.targeted(account.secret_id, action, target)

        return ActionContext(
            account=account,
            now=self._now(),
            new_id=self._new_id,
            count_target=count_target,
            bind_edge=lambda host, chain, key: self._change_edge(
                host, lambda: self.edge.bind(host, chain, key)
            ),
            unbind_edge=lambda host: self._change_edge(host, lambda: self.edge.unbind(host)),
            request_id=request_id,
            region=region,
            settings=self.settings,
            schedule=self._schedule,
        )

    def _schedule(self, delay: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` under the lock after ``delay`` seconds (CLB tasks completing)."""

        def locked() -> None:
            with self._lock:
                callback()

        timer = threading.Timer(delay, locked)
        timer.daemon = True
        timer.start()

    def _change_edge(self, hostname: str, change: Callable[[], None]) -> None:
        """Apply a bind now, or after the propagation delay unless a newer change came."""
        with self._lock:
            self._edge_generation[hostname] += 1
            generation = self._edge_generation[hostname]
        if self._propagation_delay <= 0:
            change()
            return

        def later() -> None:
            with self._lock:
                if self._edge_generation[hostname] == generation:
                    change()

        timer = threading.Timer(self._propagation_delay, later)
        timer.daemon = True
        timer.start()

    def _account(self, secret_id: str) -> AccountState:
        try:
            return self._accounts[secret_id]
        except KeyError:
            raise KeyError(f"no emulated account {secret_id}; call add_account first") from None

    def _new_id(self, length: int) -> str:
        with self._lock:
            return "".join(self._rng.choices(_ALNUM, k=length))

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)
