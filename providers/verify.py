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


def endpoints(account: Account, hostname: str) -> list[tuple[str, int]]:
    """Every address that answers for ``hostname``: the account's TLS edge(s) when set
    (comma-separated ``host:port`` list), else each address the name resolves to, port 443.

    A name served by several machines (DNS round robin, anycast POPs we can see) must be right
    on all of them: a browser may land on any.
    """
    if account.tls_edge:
        return [parse_host_port(edge) for edge in account.tls_edge.split(",") if edge.strip()]
    try:
        infos = socket.getaddrinfo(hostname, 443, type=socket.SOCK_STREAM)
    except OSError:
        return [(hostname, 443)]  # let the handshake report the resolution failure
    return list(dict.fromkeys((str(info[4][0]), 443) for info in infos))


def verify_served_certificate(
    account: Account, resource: Resource, expected_fingerprint: str, timeout: float = 5.0
) -> None:
    """Raise unless every hostname of ``resource``, on every endpoint, serves the leaf
    ``expected_fingerprint``.

    Raises :class:`VerificationFailed` naming each hostname that serves something else (stale,
    or only some of its endpoints updated) or cannot be reached. Callers skip resources whose
    ``https_endpoint`` is False (nothing answers TLS there).
    """
    if not resource.hostnames:
        raise Permanent(f"{resource.product} {resource.native_id} has no hostname to verify")
    expected = expected_fingerprint.replace(":", "").strip().lower()
    problems: list[str] = []
    for hostname in resource.hostnames:
        sni = probe_name(hostname)
        shown = hostname if sni == hostname else f"{hostname} (probed as {sni})"
        problem = _check_hostname(account, sni, shown, expected, timeout)
        if problem:
            problems.append(problem)
    if problems:
        raise VerificationFailed("; ".join(problems))


def _check_hostname(
    account: Account, sni: str, shown: str, expected: str, timeout: float
) -> str | None:
    """One sentence about what is wrong with this hostname, or None when all is well."""
    addresses = endpoints(account, sni)
    wrong: list[str] = []
    unreachable: list[str] = []
    served_other = ""
    for address in addresses:
        try:
            served = served_fingerprint(address, sni, timeout)
        except (OSError, ValueError) as error:  # ssl.SSLError and timeouts are OSErrors
            unreachable.append(f"{_format(address)} ({error})")
            continue
        if served != expected:
            wrong.append(_format(address))
            served_other = served
    if not wrong and not unreachable:
        return None
    if unreachable and not wrong and len(unreachable) == len(addresses):
        return f"could not reach {shown} at {', '.join(unreachable)}"
    if len(wrong) == len(addresses):
        return (
            f"{shown} still serves certificate {served_other[:_SHOWN]}…, expected "
            f"{expected[:_SHOWN]}… (stale: the vendor reports the new binding but the "
            "endpoint has not switched, or a hop in front of it serves its own certificate)"
        )
    bad = wrong + unreachable
    return (
        f"{shown} resolves to {len(addresses)} endpoints and {len(bad)} of them do not serve "
        f"the new certificate ({', '.join(bad)}); update every server behind the name"
    )


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _format(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
