"""What the API gateway does to a call before a service sees it.

Order as at Huawei: route (404 APIGW.0101) → AK/SK signature and clock (401 APIGW.0301, with
the five-strikes lockout) → the caller's project or account scope → per-user, per-API rate
limit (429 APIGW.0308) → injected faults.

Huawei's gateway counts calls per user and API and answers HTTP 429 ``APIGW.0308`` beyond the
limit ("policy user over ratelimit,limit:XX,time:1 second"); it locks an AK for five minutes
after five failed signature checks in a row; and like any gateway it sometimes answers 5xx or
is slow. Tests turn these on to prove certfleet backs off, retries, and never applies a change
twice. Everything here is thread-safe; time comes from the emulator's clock so tests can skew it.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote

from providers.emulators.huawei import errors, signature
from providers.emulators.huawei.context import Route
from providers.emulators.huawei.errors import ApiError
from providers.emulators.huawei.state import AccountState, Project
from providers.emulators.huawei.transport import Request

LOCK_AFTER_FAILURES: Final = 5
LOCK_SECONDS: Final = 5 * 60
_IAM: Final = "Incorrect IAM authentication information"


class CallRateLimits:
    """Token buckets per (access key, operation): ``rate`` per second, burst ``max(1, rate)``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rates: dict[str | None, float] = {}  # operation (None = any other) -> calls/s
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # -> (tokens, stamp)

    def set(self, operation: str | None, per_second: float | None) -> None:
        """Limit ``operation`` (None: every operation without its own limit); None lifts it."""
        if per_second is not None and per_second <= 0:
            raise ValueError("per_second must be positive")
        with self._lock:
            if per_second is None:
                self._rates.pop(operation, None)
            else:
                self._rates[operation] = per_second
            self._buckets.clear()  # a new limit starts with full buckets

    def admit(self, access_key: str, operation: str) -> float | None:
        """None if the call may go ahead, else the limit (calls/s) it ran into."""
        with self._lock:
            rate = self._rates.get(operation, self._rates.get(None))
            if rate is None:
                return None
            capacity = max(1.0, rate)
            now = self._clock()
            tokens, stamp = self._buckets.get((access_key, operation), (capacity, now))
            tokens = min(capacity, tokens + max(0.0, now - stamp) * rate)
            admitted = tokens >= 1.0
            self._buckets[(access_key, operation)] = (tokens - 1.0 if admitted else tokens, now)
            return None if admitted else rate


@dataclass
class Fault:
    """A rule for matching calls: slow them by ``latency``, then fail them (or not).

    ``error_code`` answers that vendor code in the service's error shape with ``http_status``
    (400 unless given); ``http_status`` alone answers a bare gateway page (no JSON). ``times``
    matching calls are affected (None: until cleared), each with ``probability`` (None: always).
    """

    operation: str | None
    access_key: str | None
    target: str | None
    error_code: str | None
    message: str | None
    http_status: int | None
    latency: float
    times: int | None
    probability: float | None


class FaultPlan:
    """Faults waiting for calls, matched first-come first-served."""

    def __init__(self, rng: random.Random) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._rng = rng

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, access_key: str, operation: str, target: str | None) -> Fault | None:
        """The fault for this call, if one matches (spending one of its ``times``)."""
        with self._lock:
            for fault in self._faults:
                if not _matches(fault, access_key, operation, target):
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None


def _matches(fault: Fault, access_key: str, operation: str, target: str | None) -> bool:
    return (
        fault.operation in (None, operation)
        and fault.access_key in (None, access_key)
        and fault.target in (None, target)
    )


class SignatureLockout:
    """The gateway's "AK access failed to reach the limit": five bad signatures lock an AK."""

    def __init__(self, clock: Callable[[], float], threshold: int = LOCK_AFTER_FAILURES) -> None:
        self._clock = clock
        self.threshold = threshold
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}

    def locked(self, access_key: str) -> bool:
        with self._lock:
            return self._locked_until.get(access_key, 0.0) > self._clock()

    def failed(self, access_key: str) -> None:
        with self._lock:
            count = self._failures.get(access_key, 0) + 1
            self._failures[access_key] = count
            if self.threshold and count >= self.threshold:
                self._locked_until[access_key] = self._clock() + LOCK_SECONDS
                self._failures[access_key] = 0

    def succeeded(self, access_key: str) -> None:
        with self._lock:
            self._failures.pop(access_key, None)


@dataclass(frozen=True)
class Routed:
    route: Route
    path: dict[str, str]


def find_route(routes: Iterable[Route], request: Request) -> Routed:
    """The operation for this method and path, or the gateway's 404 APIGW.0101."""
    path_known = False
    for candidate in routes:
        match = candidate.pattern.match(request.raw_path)
        if match is None:
            continue
        path_known = True
        if candidate.method == request.method:
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            return Routed(candidate, params)
    message = (
        "The API does not exist."
        if path_known
        else "The API does not exist or has not been published in the environment."
    )
    raise ApiError(404, errors.API_NOT_FOUND, message, gateway=True)


def authenticate(
    request: Request,
    accounts: Mapping[str, AccountState],
    lockout: SignatureLockout,
    now: float,
) -> AccountState:
    """The account whose AK signed this request, checked the way the gateway checks it."""
    try:
        auth = signature.parse_authorization(request.headers.get("authorization", ""))
    except ValueError as error:
        raise ApiError(401, errors.IAM_AUTH_FAILED, f"{_IAM}: {error}", gateway=True) from None
    if lockout.locked(auth.access_key):
        raise ApiError(
            401,
            errors.IAM_AUTH_FAILED,
            f"{_IAM}: AK access failed to reach the limit,forbidden.",
            gateway=True,
        )
    signature.check_date(request.headers.get("x-sdk-date"), now)
    account = accounts.get(auth.access_key)
    if account is None:
        raise ApiError(
            401, errors.IAM_AUTH_FAILED, f"{_IAM}: ak {auth.access_key} not exist", gateway=True
        )
    try:
        signature.verify(
            auth,
            account.secret_key,
            method=request.method,
            raw_path=request.raw_path,
            raw_query=request.raw_query,
            headers=request.headers,
            body=request.body,
        )
    except ApiError:
        lockout.failed(auth.access_key)
        raise
    lockout.succeeded(auth.access_key)
    return account


def scope(account: AccountState, routed: Routed, request: Request) -> Project | None:
    """The project an ELB call works in; for CDN, check the account (domain) id."""
    if routed.route.service == "cdn":
        sent = request.headers.get("x-domain-id")
        if sent is not None and sent != account.domain_id:
            raise _foreign("the domain id in X-Domain-Id is not the AK's account")
        return None
    project_id = routed.path.get("project_id", "")
    sent = request.headers.get("x-project-id")
    project = account.projects.get(project_id)
    if project is None or (sent is not None and sent != project_id):
        raise _foreign(f"project {project_id} does not belong to the AK's account")
    return project


def throttle(limits: CallRateLimits, access_key: str, operation: str) -> None:
    """429 APIGW.0308 when the caller is over its rate for this operation."""
    limit = limits.admit(access_key, operation)
    if limit is not None:
        raise ApiError(
            429,
            errors.THROTTLED,
            "The throttling threshold has been reached: policy user over ratelimit,"
            f"limit:{limit:g},time:1 second",
            gateway=True,
        )


def _foreign(detail: str) -> ApiError:
    return ApiError(401, errors.IAM_AUTH_FAILED, f"{_IAM}: {detail}", gateway=True)
