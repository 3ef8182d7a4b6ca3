"""Where and how long every vendor client calls: an account's endpoint override and timeout.

``account.api_endpoint`` replaces a vendor's public endpoint (an emulator, a private endpoint).
Written as ``host:port``, it is called over plain HTTP when it is this machine (an emulator)
and over HTTPS otherwise; loopback endpoints are also kept away from environment proxies by
each vendor's client builder.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from providers.base import Account
from providers.errors import Permanent
from providers.verify import parse_host_port


def is_loopback(endpoint: str) -> bool:
    """Whether ``endpoint`` (a URL or ``host:port``) names this machine."""
    if "://" in endpoint:
        host = urlsplit(endpoint).hostname or ""
    else:
        try:
            host, _ = parse_host_port(endpoint, 80)
        except ValueError:
            return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def with_scheme(endpoint: str) -> str:
    """``endpoint`` as a URL: ``host:port`` gets ``http://`` on loopback, else ``https://``."""
    if "://" in endpoint:
        return endpoint
    return ("http://" if is_loopback(endpoint) else "https://") + endpoint


def request_timeout(account: Account, default: int) -> int:
    """Seconds to wait for an answer: the account's ``request_timeout`` option, or ``default``."""
    text = account.options.get("request_timeout", str(default))
    if not text.isdigit() or int(text) < 1:
        raise Permanent(f"account {account.key}: option request_timeout must be whole seconds")
    return int(text)
