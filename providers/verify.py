"""Check, with a real TLS handshake, that a resource serves exactly the certificate we bound.

Vendors report "success" while nothing is served (peers' most common complaint), so a
deployment only counts once the served leaf is the one we uploaded. We compare the SHA-256 of
the leaf's DER and deliberately skip chain validation: private CAs are legitimate, and the
question is "is it our certificate", not "would a browser trust it".
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import ssl
from typing import Final

from providers.base import Account, Resource
from providers.errors import Permanent, VerificationFailed

WILDCARD_PROBE_LABEL: Final = "certfleet-verify"
_SHOWN: Final = 16  # fingerprint characters in messages; our upload aliases carry the same 16


def parse_host_port(value: str, default_port: int = 443) -> tuple[str, int]:
    """Split ``host:port`` (``[v6]:port`` and bare hosts too) into ``(host, port)``.

    Raises ValueError for an empty host or a port outside 1-65535.
    """
    text = value.strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"unclosed '[' in address {value!r}")
        host, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError(f"unexpected text after ']' in address {value!r}")
        port_text = rest[1:] if rest else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:  # a bare name, or a bare IPv6 address (several colons, no brackets)
        host, port_text = text, ""
    if not host:
        raise ValueError(f"no host in address {value!r}")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"bad port in address {value!r}")
    return host, int(port_text)


def probe_name(hostname: str) -> str:
    """The SNI name to ask for: ``*.a.com`` is probed as ``certfleet-verify.a.com``."""
    name = hostname.strip().rstrip(".").lower()
    if name.startswith("*."):
        return f"{WILDCARD_PROBE_LABEL}.{name[2:]}"
    return name


def served_fingerprint(address: tuple[str, int], server_name: str, timeout: float) -> str:
    """Handshake with ``address`` asking for ``server_name``; SHA-256 hex of the leaf's DER."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # We compare the exact leaf ourselves; trust-store validation would reject private CAs.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sni = None if _is_ip(server_name) else server_name
    with (
        socket.create_connection(address, timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=sni) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if not der:
        raise ssl.SSLError("the server sent no certificate")
    return hashlib.sha256(der).hexdigest()


def verify_served_certificate(
    account: Account, resource: Resource, expected_fingerprint: str, timeout: float = 5.0
) -> None:
    """Raise unless every hostname of ``resource`` serves the leaf ``expected_fingerprint``.

    Connects to ``account.tls_edge`` when set (emulators, hostnames that do not resolve here),
    otherwise to each hostname on port 443. Raises :class:`VerificationFailed` naming every
    hostname that serves something else or cannot be reached. Callers skip resources whose
    ``https_endpoint`` is False (nothing answers TLS there).
    """
    if not resource.hostnames:
        raise Permanent(f"{resource.product} {resource.native_id} has no hostname to verify")
    expected = expected_fingerprint.replace(":", "").strip().lower()
    edge = parse_host_port(account.tls_edge) if account.tls_edge else None
    problems: list[str] = []
    for hostname in resource.hostnames:
        sni = probe_name(hostname)
        shown = hostname if sni == hostname else f"{hostname} (probed as {sni})"
        address = edge or (sni, 443)
        try:
            served = served_fingerprint(address, sni, timeout)
        except (OSError, ValueError) as error:  # ssl.SSLError and timeouts are OSErrors
            problems.append(f"could not reach {shown} at {_format(address)}: {error}")
            continue
        if served != expected:
            problems.append(
                f"{shown} still serves certificate {served[:_SHOWN]}…, "
                f"expected {expected[:_SHOWN]}…"
            )
    if problems:
        raise VerificationFailed("; ".join(problems))


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _format(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
