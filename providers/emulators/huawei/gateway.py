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

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote

from providers.emulators.faults import RateLimits
from providers.emulators.huawei import errors, signature
from providers.emulators.huawei.context import Route
from providers.emulators.huawei.errors import ApiError
from providers.emulators.huawei.state import AccountState, Project
from providers.emulators.huawei.transport import Request

LOCK_AFTER_FAILURES: Final = 5
LOCK_SECONDS: Final = 5 * 60
_IAM: Final = "Incorrect IAM authentication information"


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


def throttle(limits: RateLimits, access_key: str, operation: str) -> None:
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
