"""Tencent Cloud SDK clients for an :class:`Account`: the one place that builds and calls them.

``account.api_endpoint`` (an emulator or a private endpoint, ``host:port``) is called over plain
HTTP as VENDOR-NOTES.md describes; otherwise the SDK's own HTTPS endpoint
(``ssl.tencentcloudapi.com``, ``cdn.…``, ``clb.…``, ``waf.…``) is used. Errors come back in
English (``language="en-US"``) because operators read them in certfleet's reports.

SSL, CDN and WAF are global services; CLB is regional, so its clients are built per region.

Clients are cached per thread: an SDK client owns a ``requests.Session`` that is not meant to
be shared across threads, and reusing one per thread keeps connections alive between calls.

The SDK logs every request *with its body* at DEBUG (``SendRequest: …`` — UploadCertificate's
body holds the private key), so its logger is capped at INFO here: turning on debug logging for
certfleet must never write keys to a log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import partial
from typing import Any, Final

from tencentcloud.cdn.v20180606 import cdn_client
from tencentcloud.clb.v20180317 import clb_client
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.ssl.v20191205 import ssl_client
from tencentcloud.waf.v20180125 import waf_client

from providers.base import Account, CallHooks
from providers.calls import run_call
from providers.endpoints import is_loopback, request_timeout
from providers.errors import Permanent
from providers.tencent.errors import SDK_FAILURES, classify

DEFAULT_TIMEOUT_SECONDS: Final = 20
_CACHE_LIMIT: Final = 64  # clients per thread; accounts beyond it are simply rebuilt
_local = threading.local()
_SDK_LOGGER: Final = "tencentcloud_sdk_common"
_FACTORIES: Final[dict[str, Any]] = {
    "ssl": ssl_client.SslClient,
    "cdn": cdn_client.CdnClient,
    "clb": clb_client.ClbClient,
    "waf": waf_client.WafClient,
}

logging.getLogger(_SDK_LOGGER).setLevel(logging.INFO)


def ssl_api(account: Account) -> Any:
    """An ``SslClient`` (2019-12-05) signed with the account's AccessKey."""
    return _client(account, "ssl", region_of(account))


def cdn_api(account: Account) -> Any:
    """A ``CdnClient`` (2018-06-06) signed with the account's AccessKey."""
    return _client(account, "cdn", region_of(account))


def clb_api(account: Account, region: str) -> Any:
    """A ``ClbClient`` (2018-03-17) for ``region``: CLB only sees that region's instances."""
    return _client(account, "clb", region)


def waf_api(account: Account) -> Any:
    """A ``WafClient`` (2018-01-25) signed with the account's AccessKey."""
    return _client(account, "waf", region_of(account))


def region_of(account: Account) -> str:
    """For the global services (SSL, CDN, WAF): the first configured region, else none."""
    return account.regions[0] if account.regions else ""


def call_action(
    hooks: CallHooks,
    account: Account,
    api: Any,
    action: str,
    params: dict[str, Any],
    *,
    family: str,
    permissions: Sequence[str],
) -> dict[str, Any]:
    """Call ``action`` under the hooks' ``family`` budget and classify any failure.

    Returns the answer's ``Response`` object.

    Actions are called by name with plain JSON (``call_json``) rather than through the SDK's
    models: the models ignore (with a warning) answer fields newer than the installed SDK, and
    read-modify-write calls such as UpdateDomainConfig must send back exactly what was read.
    """
    body = run_call(
        hooks,
        account,
        family,
        action,
        lambda: api.call_json(action, params),
        failures=SDK_FAILURES,
        classify=partial(classify, permissions=permissions),
    )
    response = body.get("Response") if isinstance(body, dict) else None
    if not isinstance(response, dict):
        raise Permanent(f"{action} answered without a Response object")
    return response


def _client(account: Account, service: str, region: str) -> Any:
    cache: dict[tuple[object, ...], Any] | None = getattr(_local, "clients", None)
    if cache is None:
        cache = _local.clients = {}
    # The Secret itself is part of the key (it hashes its value) so a rotated key gets a new
    # client; the key never leaves this dict.
    key = (
        service,
        account.key,
        account.access_key_id,
        account.secret,
        account.api_endpoint,
        region,
        account.options.get("request_timeout"),
    )
    client = cache.get(key)
    if client is None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        client = cache[key] = _build(account, service, region)
    return client


def _build(account: Account, service: str, region: str) -> Any:
    timeout = request_timeout(account, DEFAULT_TIMEOUT_SECONDS)
    if account.api_endpoint:
        http = HttpProfile(protocol="http", endpoint=account.api_endpoint, reqTimeout=timeout)
    else:
        http = HttpProfile(reqTimeout=timeout)
    profile = ClientProfile(httpProfile=http, language="en-US")
    cred = credential.Credential(account.access_key_id, account.secret.reveal())
    client = _FACTORIES[service](cred, region, profile)
    if account.api_endpoint and is_loopback(account.api_endpoint):
        _ignore_environment_proxies(client)
    return client


def _ignore_environment_proxies(client: Any) -> None:
    """Keep ``HTTP_PROXY`` away from a loopback endpoint.

    The SDK's plain-HTTP connection takes ``HTTP_PROXY`` from the environment and ``requests``
    adds its own environment proxies on top; a local emulator must never be reached through a
    proxy (it would fail, or worse, leak signed requests). These are SDK internals, so each
    step is guarded: if the SDK changes shape we fall back to its default behaviour.
    """
    connection = getattr(getattr(client, "request", None), "conn", None)
    if connection is None:
        return
    if hasattr(connection, "proxy"):
        connection.proxy = None
    session = getattr(connection, "_session", None)
    if session is not None and hasattr(session, "trust_env"):
        session.trust_env = False
