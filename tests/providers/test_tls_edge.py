"""The TLS edge serves, per SNI name, exactly what was bound there, and survives rude clients."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from providers.emulators.pki import Authority
from providers.emulators.tls_edge import TlsEdge
from providers.verify import parse_host_port, served_fingerprint


@pytest.fixture
def edge() -> Iterator[TlsEdge]:
    with TlsEdge() as running:
        yield running


def fingerprint_at(edge: TlsEdge, name: str) -> str:
    return served_fingerprint(parse_host_port(edge.address), name, timeout=5)


def test_serves_the_certificate_bound_to_the_sni_name(edge: TlsEdge, authority: Authority) -> None:
    cert = authority.issue(["www.a.com"])
    edge.bind("www.a.com", cert.chain_pem, cert.key_pem)

    assert fingerprint_at(edge, "www.a.com") == cert.fingerprint
    assert fingerprint_at(edge, "WWW.A.COM") == cert.fingerprint


def test_wildcard_binding_serves_one_label_below_and_exact_binding_wins(
    edge: TlsEdge, authority: Authority
) -> None:
    wildcard = authority.issue(["*.a.com"])
    exact = authority.issue(["api.a.com"])
    edge.bind("*.a.com", wildcard.chain_pem, wildcard.key_pem)
    edge.bind("api.a.com", exact.chain_pem, exact.key_pem)

    assert fingerprint_at(edge, "x.a.com") == wildcard.fingerprint
    assert fingerprint_at(edge, "api.a.com") == exact.fingerprint
    assert fingerprint_at(edge, "x.y.a.com") not in (wildcard.fingerprint, exact.fingerprint)
    assert fingerprint_at(edge, "a.com") not in (wildcard.fingerprint, exact.fingerprint)


def test_unknown_name_gets_the_default_certificate_not_a_hang(
    edge: TlsEdge, authority: Authority
) -> None:
    cert = authority.issue(["www.a.com"])
    edge.bind("www.a.com", cert.chain_pem, cert.key_pem)

    assert fingerprint_at(edge, "unknown.example") != cert.fingerprint


def test_unbind_and_rebind_take_effect_on_the_next_handshake(
    edge: TlsEdge, authority: Authority
) -> None:
    old, new = authority.issue(["www.a.com"]), authority.issue(["www.a.com"])
    edge.bind("www.a.com", old.chain_pem, old.key_pem)
    assert fingerprint_at(edge, "www.a.com") == old.fingerprint

    edge.bind("www.a.com", new.chain_pem, new.key_pem)
    assert fingerprint_at(edge, "www.a.com") == new.fingerprint

    edge.unbind("www.a.com")
    assert fingerprint_at(edge, "www.a.com") not in (old.fingerprint, new.fingerprint)


def test_thousands_of_hostnames_share_one_context_per_certificate(
    edge: TlsEdge, authority: Authority
) -> None:
    shared = authority.issue(["*.many.test"])
    for i in range(2000):
        edge.bind(f"h{i}.many.test", shared.chain_pem, shared.key_pem)

    for i in (0, 999, 1999):
        assert fingerprint_at(edge, f"h{i}.many.test") == shared.fingerprint
    assert edge.context_count == 1

    for i in range(2000):
        edge.unbind(f"h{i}.many.test")
    assert edge.context_count == 0


def test_many_concurrent_handshakes_each_get_their_own_certificate(
    edge: TlsEdge, authority: Authority
) -> None:
    certs = {f"c{i}.a.com": authority.issue([f"c{i}.a.com"]) for i in range(8)}
    for name, cert in certs.items():
        edge.bind(name, cert.chain_pem, cert.key_pem)
    names = [name for name in certs for _ in range(8)]

    with ThreadPoolExecutor(max_workers=32) as pool:
        served = list(pool.map(lambda n: (n, fingerprint_at(edge, n)), names))

    assert all(fp == certs[name].fingerprint for name, fp in served)


def test_rude_clients_do_not_disturb_the_edge(edge: TlsEdge, authority: Authority) -> None:
    cert = authority.issue(["www.a.com"])
    edge.bind("www.a.com", cert.chain_pem, cert.key_pem)
    address = parse_host_port(edge.address)

    for payload in (b"", b"GET / HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x00\xff garbage"):
        with socket.create_connection(address, timeout=5) as rude:
            rude.sendall(payload)  # then hang up mid-handshake

    assert fingerprint_at(edge, "www.a.com") == cert.fingerprint
