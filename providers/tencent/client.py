"""Tencent Cloud SDK clients for an :class:`Account`: the one place that builds them.

``account.api_endpoint`` (an emulator or a private endpoint, ``host:port``) is called over plain
HTTP as VENDOR-NOTES.md describes; otherwise the SDK's own HTTPS endpoint
(``ssl.tencentcloudapi.com``, ``cdn.tencentcloudapi.com``) is used. Errors come back in English
(``language="en-US"``) because operators read them in certfleet's reports.

Clients are cached per thread: an SDK client owns a ``requests.Session`` that is not meant to
be shared across threads, and reusing one per thread keeps connections alive between calls.

The SDK logs every request *with its body* at DEBUG (``SendRequest: …`` — UploadCertificate's
body holds the private key), so its logger is capped at INFO here: turning on debug logging for
certfleet must never write keys to a log.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from typing import Any, Final

from tencentcloud.cdn.v20180606 import cdn_client
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.ssl.v20191205 import ssl_client

from providers.base import Account
from providers.errors import Permanent
from providers.verify import parse_host_port

DEFAULT_TIMEOUT_SECONDS: Final = 20
_CACHE_LIMIT: Final = 64  # clients per thread; accounts beyond it are simply rebuilt
_local = threading.local()
_SDK_LOGGER: Final = "tencentcloud_sdk_common"

logging.getLogger(_SDK_LOGGER).setLevel(logging.INFO)


def ssl_api(account: Account) -> Any:
    """An ``SslClient`` (2019-12-05) signed with the account's AccessKey."""
    return _client(account, "ssl")


def cdn_api(account: Account) -> Any:
    """A ``CdnClient`` (2018-06-06) signed with the account's AccessKey."""
    return _client(account, "cdn")


def region_of(account: Account) -> str:
    """SSL and CDN are global services: the first configured region, else none."""
    return account.regions[0] if account.regions else ""


def _client(account: Account, service: str) -> Any:
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
        region_of(account),
        account.options.get("request_timeout"),
    )
    client = cache.get(key)
    if client is None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        client = cache[key] = _build(account, service)
    return client


def _build(account: Account, service: str) -> Any:
    timeout_text = account.options.get("request_timeout", str(DEFAULT_TIMEOUT_SECONDS))
    if not timeout_text.isdigit() or int(timeout_text) < 1:
        raise Permanent(f"account {account.key}: option request_timeout must be whole seconds")
    timeout = int(timeout_text)
    if account.api_endpoint:
        http = HttpProfile(protocol="http", endpoint=account.api_endpoint, reqTimeout=timeout)
    else:
        http = HttpProfile(reqTimeout=timeout)
    profile = ClientProfile(httpProfile=http, language="en-US")
    cred = credential.Credential(account.access_key_id, account.secret.reveal())
    factory = ssl_client.SslClient if service == "ssl" else cdn_client.CdnClient
    client = factory(cred, region_of(account), profile)
    if account.api_endpoint and _is_loopback(account.api_endpoint):
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


def _is_loopback(endpoint: str) -> bool:
    try:
        host, _ = parse_host_port(endpoint, 80)
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
