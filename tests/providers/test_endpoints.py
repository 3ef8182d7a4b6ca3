"""An account's endpoint override and timeout, read the same way for every vendor."""

from __future__ import annotations

import pytest

from providers.base import Account
from providers.endpoints import is_loopback, request_timeout, with_scheme
from providers.errors import Permanent
from providers.secrets import Secret


@pytest.mark.parametrize(
    ("endpoint", "loopback"),
    [
        ("127.0.0.1:8080", True),
        ("localhost", True),
        ("[::1]:443", True),
        ("::1", True),
        ("http://127.0.0.1:9000/path", True),
        ("https://localhost", True),
        ("cdn.example.com:443", False),
        ("https://elb.cn-north-4.myhuaweicloud.com", False),
        ("10.0.0.1:80", False),
        ("127.0.0.1:99999", False),  # not an address at all
    ],
)
def test_loopback_endpoints_are_recognised_as_urls_or_host_port(
    endpoint: str, loopback: bool
) -> None:
    assert is_loopback(endpoint) is loopback


def test_host_port_gets_plain_http_only_on_loopback() -> None:
    assert with_scheme("127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert with_scheme("api.example.com:8443") == "https://api.example.com:8443"
    assert with_scheme("http://api.example.com") == "http://api.example.com"


def test_request_timeout_is_whole_seconds_with_a_default() -> None:
    def account(**options: str) -> Account:
        return Account("a", "tencent", "AK", Secret("s"), options=options)

    assert request_timeout(account(), 20) == 20
    assert request_timeout(account(request_timeout="5"), 20) == 5
    with pytest.raises(Permanent, match="whole seconds"):
        request_timeout(account(request_timeout="1.5"), 20)
