"""providers.verify: real handshakes, exact leaf comparison, clear reasons."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providers.base import Account, Resource
from providers.emulators.pki import Authority
from providers.emulators.tls_edge import TlsEdge
from providers.errors import Permanent, VerificationFailed
from providers.secrets import Secret
from providers.verify import parse_host_port, probe_name, verify_served_certificate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8443", ("127.0.0.1", 8443)),
        ("edge.example.com", ("edge.example.com", 443)),
        ("[::1]:9443", ("::1", 9443)),
        ("[2001:db8::1]", ("2001:db8::1", 443)),
        ("2001:db8::1", ("2001:db8::1", 443)),
        (" host:1 ", ("host", 1)),
    ],
)
def test_parse_host_port(text: str, expected: tuple[str, int]) -> None:
    assert parse_host_port(text) == expected


@pytest.mark.parametrize("text", ["", ":443", "host:0", "host:70000", "host:x", "[::1", "[::1]x"])
def test_parse_host_port_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_host_port(text)


@given(
    host=st.from_regex(
        r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}", fullmatch=True
    ),
    port=st.integers(min_value=1, max_value=65535),
)
def test_parse_host_port_round_trips(host: str, port: int) -> None:
    assert parse_host_port(f"{host}:{port}") == (host, port)
    assert parse_host_port(f"[{host}]:{port}") == (host, port)


def test_wildcard_hostnames_are_probed_one_label_below() -> None:
    assert probe_name("*.A.com.") == "certfleet-verify.a.com"
    assert probe_name("www.a.com") == "www.a.com"


@pytest.fixture
def edge() -> Iterator[TlsEdge]:
    with TlsEdge() as running:
        yield running


def _account(tls_edge: str | None) -> Account:
    return Account("tencent:v", "tencent", "AKIDverify", Secret("x"), tls_edge=tls_edge)


def _resource(*hostnames: str) -> Resource:
    return Resource("tencent", "tencent.cdn", hostnames[0] if hostnames else "none", hostnames)


def test_passes_when_every_hostname_serves_the_expected_leaf(
    edge: TlsEdge, authority: Authority
) -> None:
    cert = authority.issue(["a.com", "*.a.com"])
    edge.bind("a.com", cert.chain_pem, cert.key_pem)
    edge.bind("*.a.com", cert.chain_pem, cert.key_pem)

    verify_served_certificate(
        _account(edge.address), _resource("a.com", "*.a.com"), cert.fingerprint.upper()
    )


def test_names_the_hostname_and_both_fingerprints_on_mismatch(
    edge: TlsEdge, authority: Authority
) -> None:
    served, wanted = authority.issue(["www.a.com"]), authority.issue(["www.a.com"])
    edge.bind("www.a.com", served.chain_pem, served.key_pem)

    with pytest.raises(VerificationFailed) as caught:
        verify_served_certificate(
            _account(edge.address), _resource("www.a.com"), wanted.fingerprint
        )

    assert str(caught.value) == (
        f"www.a.com still serves certificate {served.fingerprint[:16]}…, "
        f"expected {wanted.fingerprint[:16]}… (stale: the vendor reports the new binding but "
        "the endpoint has not switched, or a hop in front of it serves its own certificate)"
    )


def test_a_name_served_by_several_endpoints_must_be_right_on_all(
    edge: TlsEdge, authority: Authority
) -> None:
    old, new = authority.issue(["www.a.com"]), authority.issue(["www.a.com"])
    with TlsEdge() as second:
        edge.bind("www.a.com", new.chain_pem, new.key_pem)
        second.bind("www.a.com", old.chain_pem, old.key_pem)
        both = f"{edge.address},{second.address}"
        with pytest.raises(VerificationFailed) as caught:
            verify_served_certificate(_account(both), _resource("www.a.com"), new.fingerprint)
        assert str(caught.value) == (
            f"www.a.com resolves to 2 endpoints and 1 of them do not serve the new "
            f"certificate ({second.address}); update every server behind the name"
        )
        second.bind("www.a.com", new.chain_pem, new.key_pem)
        verify_served_certificate(_account(both), _resource("www.a.com"), new.fingerprint)


def test_unreachable_endpoint_is_a_verification_failure_naming_it() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(
        VerificationFailed, match=rf"could not reach www\.a\.com at 127\.0\.0\.1:{port}"
    ):
        verify_served_certificate(
            _account(f"127.0.0.1:{port}"), _resource("www.a.com"), "00" * 32, timeout=2
        )


def test_a_resource_without_hostnames_cannot_be_verified() -> None:
    with pytest.raises(Permanent, match="no hostname"):
        verify_served_certificate(_account("127.0.0.1:1"), _resource(), "00" * 32)
