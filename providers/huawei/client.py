"""Huawei Cloud SDK clients for an :class:`Account`: the one place that builds and calls them.

CDN is a global service signed with ``GlobalCredentials(ak, sk, domain_id)``; ELB is regional,
signed with ``BasicCredentials(ak, sk, project_id)`` for one region's project. Both ids come
from the account's options (``domain_id``; ``project_id.<region>`` or, for a one-region
account, ``project_id``) and are required: without them the SDK silently calls IAM first to
look them up — an extra service, an extra permission, and in tests a call to the real cloud.
For the same reason an empty AK or SK is refused here: the SDK would then ask the ECS metadata
service for temporary credentials.

``account.api_endpoint`` (an emulator or a private endpoint) replaces the public endpoints
(``https://cdn.myhuaweicloud.com``, ``https://elb.<region>.myhuaweicloud.com``); IAM is aimed
at it too, so nothing can leak to the real cloud. Timeouts are short and the SDK's own retries
stay off (``retry_times=0``): retrying is the workers' job, with the fleet's rate limits.

Clients are cached per thread: an SDK client owns a ``requests.Session`` and a signing thread
pool that are not meant to be shared, and reuse keeps connections alive between calls.

Logging: the SDK logs nothing sensitive (its loggers have no handlers and do not propagate;
request lines, never bodies or headers), but its request and response *objects* print every
field — private keys included (``sensitive_list`` is empty) — so adapters never log them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Final

from huaweicloudsdkcdn.v2 import CdnClient
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkelb.v3 import ElbClient

from providers.base import Account, CallHooks
from providers.calls import run_call
from providers.endpoints import is_loopback, request_timeout, with_scheme
from providers.errors import AuthFailed, Permanent
from providers.huawei.errors import SDK_FAILURES, classify

CDN_ENDPOINT: Final = "https://cdn.myhuaweicloud.com"
DEFAULT_READ_TIMEOUT: Final = 20
CONNECT_TIMEOUT: Final = 5
_CACHE_LIMIT: Final = 64  # clients per thread; accounts beyond it are rebuilt
_local = threading.local()


def cdn_api(account: Account) -> Any:
    """A CDN v2 ``CdnClient`` signed with the account's AK/SK and domain id."""
    return _cached(("cdn", _identity(account)), lambda: _build_cdn(account))


def elb_api(account: Account, region: str) -> Any:
    """An ELB v3 ``ElbClient`` for ``region``, signed with that region's project id."""
    return _cached(("elb", region, _identity(account)), lambda: _build_elb(account, region))


def call_action(
    hooks: CallHooks,
    account: Account,
    family: str,
    action: str,
    send: Callable[[], Any],
    *,
    permissions: Sequence[str],
) -> dict[str, Any]:
    """Run ``send`` (one SDK request) under the hooks' ``family`` budget; the answer's JSON.

    Failures are classified (``permissions`` are the IAM policies a refusal names).
    """
    response = run_call(
        hooks,
        account,
        family,
        action,
        send,
        failures=SDK_FAILURES,
        classify=partial(classify, permissions=permissions),
    )
    answer = response.to_json_object() if hasattr(response, "to_json_object") else None
    if not isinstance(answer, dict):
        raise Permanent(f"{action} answered something that is not an object")
    return answer


def regions(account: Account) -> tuple[str, ...]:
    """The regions to work in (ELB is regional); an account must name at least one."""
    if not account.regions:
        raise Permanent(f"account {account.key}: name the Huawei Cloud regions to use")
    return account.regions


def domain_id(account: Account) -> str:
    found = account.options.get("domain_id", "").strip()
    if not found:
        raise Permanent(
            f"account {account.key}: set option domain_id (the account ID shown under "
            "My Credentials); without it the SDK would have to ask IAM for it"
        )
    return found


def project_id(account: Account, region: str) -> str:
    found = account.options.get(f"project_id.{region}", "").strip()
    if not found and account.regions == (region,):
        found = account.options.get("project_id", "").strip()
    if not found:
        raise Permanent(
            f"account {account.key}: set option project_id.{region} (the project ID of "
            f"{region} under My Credentials); without it the SDK would have to ask IAM"
        )
    return found


def _identity(account: Account) -> tuple[object, ...]:
    # The Secret is part of the key (it hashes its value) so a rotated key gets a new client;
    # the key never leaves this cache.
    return (
        account.key,
        account.access_key_id,
        account.secret,
        account.api_endpoint,
        tuple(sorted(account.options.items())),
    )


def _cached(key: tuple[object, ...], build: Callable[[], Any]) -> Any:
    cache: dict[tuple[object, ...], Any] | None = getattr(_local, "clients", None)
    if cache is None:
        cache = _local.clients = {}
    client = cache.get(key)
    if client is None:
        if len(cache) >= _CACHE_LIMIT:
            for old in cache.values():
                _close(old)
            cache.clear()
        client = cache[key] = build()
    return client


def _credentials(account: Account) -> tuple[str, str]:
    access_key, secret = account.access_key_id.strip(), account.secret.reveal()
    if not access_key or not secret:
        raise AuthFailed(f"account {account.key}: the stored AK or SK is empty; re-enter the key")
    return access_key, secret


def _build_cdn(account: Account) -> Any:
    access_key, secret = _credentials(account)
    endpoint = _endpoint(account, CDN_ENDPOINT)
    credentials = GlobalCredentials(access_key, secret, domain_id(account))
    if account.api_endpoint:
        credentials.with_iam_endpoint(endpoint)
    client = (
        CdnClient.new_builder()
        .with_http_config(_http_config(account))
        .with_credentials(credentials)
        .with_endpoints([endpoint])
        .build()
    )
    return _without_proxies_for_loopback(client, endpoint)


def _build_elb(account: Account, region: str) -> Any:
    access_key, secret = _credentials(account)
    endpoint = _endpoint(account, f"https://elb.{region}.myhuaweicloud.com")
    credentials = BasicCredentials(access_key, secret, project_id(account, region))
    if account.api_endpoint:
        credentials.with_iam_endpoint(endpoint)
    client = (
        ElbClient.new_builder()
        .with_http_config(_http_config(account))
        .with_credentials(credentials)
        .with_region(Region(region, endpoint))
        .build()
    )
    return _without_proxies_for_loopback(client, endpoint)


def _http_config(account: Account) -> Any:
    read = request_timeout(account, DEFAULT_READ_TIMEOUT)
    return HttpConfig(timeout=(min(CONNECT_TIMEOUT, read), read), retry_times=0)


def _endpoint(account: Account, public: str) -> str:
    """``account.api_endpoint`` with a scheme (plain HTTP for loopback ``host:port``)."""
    given = (account.api_endpoint or "").strip().rstrip("/")
    return with_scheme(given) if given else public


def _without_proxies_for_loopback(client: Any, endpoint: str) -> Any:
    """Keep ``HTTP_PROXY`` and friends away from a loopback endpoint.

    ``requests`` adds proxies from the environment to every call; a local emulator must never
    be reached through one (it would fail, or leak signed requests). This touches the SDK's
    session, an internal, so each step is guarded: if the SDK changes shape, its default holds.
    """
    if not is_loopback(endpoint):
        return client
    http_client = client.get_http_client() if hasattr(client, "get_http_client") else None
    session = getattr(http_client, "_session", None)
    if session is not None and hasattr(session, "trust_env"):
        session.trust_env = False
    return client


def _close(client: Any) -> None:
    """Release a client's connections and its signing threads (best effort)."""
    http_client = client.get_http_client() if hasattr(client, "get_http_client") else None
    if http_client is None:
        return
    http_client.close()
    executor = getattr(http_client, "executor", None)
    if executor is not None:
        executor.shutdown(wait=False)
