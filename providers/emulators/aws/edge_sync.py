"""What each emulated resource serves over TLS, kept in step with the API's state.

moto stores certificates but never serves them, and never sees how a private key would be used.
The proxy therefore keeps the PEM chain and key of every certificate that passes through it
(ImportCertificate, UploadServerCertificate; keyed by the ARN in the answer) and, after each
successful change of a resource, re-binds that resource's hostnames on the local TLS edge.

A resource's hostnames are the names DNS would point at it (registered by the test helpers)
plus every name on the certificates it holds, so a verifier probing a certificate's names
reaches the resource, as it would through real DNS. Each name gets the certificate a load
balancer would pick by SNI: an exact name first, then a wildcard, else the default certificate.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from providers.emulators.pki import covers, fingerprint
from providers.emulators.tls_edge import TlsEdge


@dataclass(frozen=True)
class KeyPair:
    """A certificate as a server needs it: chain (leaf first), key, and the leaf's names."""

    chain_pem: str
    key_pem: str
    names: tuple[str, ...]
    fingerprint: str


def key_pair(chain_pem: str, key_pem: str) -> KeyPair:
    """Parse the leaf of ``chain_pem`` for its names (SANs, else the CN) and fingerprint."""
    leaf = x509.load_pem_x509_certificates(chain_pem.encode())[0]
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = [str(n) for n in san.value.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        names = [str(a.value) for a in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    unique = tuple(dict.fromkeys(n.lower().rstrip(".") for n in names))
    return KeyPair(chain_pem, key_pem, unique, fingerprint(leaf))


class EdgeSync:
    """Captured key pairs by ARN, resources' DNS names, and the TLS edge they are served on."""

    def __init__(self, edge: TlsEdge) -> None:
        self.edge = edge
        self._lock = threading.Lock()
        self._pairs: dict[str, KeyPair] = {}  # certificate ARN (or IAM id) -> key pair
        self._dns: defaultdict[str, set[str]] = defaultdict(set)  # resource key -> names
        self._bound: defaultdict[str, set[str]] = defaultdict(set)  # resource key -> names

    def remember(self, arn: str, chain_pem: str, key_pem: str) -> KeyPair:
        """Keep the key pair of a certificate that went through the API."""
        pair = key_pair(chain_pem, key_pem)
        with self._lock:
            self._pairs[arn] = pair
        return pair

    def point_dns(self, resource: str, hostnames: Iterable[str]) -> None:
        """Let ``hostnames`` resolve to ``resource`` (as a CNAME/alias record would)."""
        with self._lock:
            self._dns[resource].update(h.lower().rstrip(".") for h in hostnames)

    def sync(
        self,
        resource: str,
        certificates: Sequence[str],
        *,
        hostnames: Iterable[str] | None = None,
    ) -> None:
        """Serve ``certificates`` (default first, then SNI) for every name of ``resource``.

        ``hostnames`` given: the resource answers exactly these names (a CloudFront
        distribution answers its aliases only) and names it no longer has are unbound.
        Otherwise (a load balancer answers any name) the names are its DNS names plus the
        names of its certificates. A name whose certificate has no captured key (imported
        outside the emulator, or none at all) is unbound too, so a verifier sees the edge's
        default certificate and reports a mismatch instead of a stale success.
        """
        with self._lock:
            pairs = [self._pairs.get(arn) for arn in certificates if arn]
            previous = self._bound[resource]
            if hostnames is not None:
                names = {h.lower().rstrip(".") for h in hostnames}
                dropped = previous - names
            else:
                names = set(self._dns[resource]) | previous
                names.update(n for pair in pairs if pair is not None for n in pair.names)
                dropped = set()
            self._bound[resource] = names
        for name in sorted(dropped):
            self.edge.unbind(name)
        for name in sorted(names):
            chosen = _choose(name, pairs)
            if chosen is None:
                self.edge.unbind(name)
            else:
                self.edge.bind(name, chosen.chain_pem, chosen.key_pem)

    def resources(self, prefix: str) -> list[str]:
        """Keys of resources with DNS names or bindings, starting with ``prefix``."""
        with self._lock:
            return sorted(k for k in {*self._dns, *self._bound} if k.startswith(prefix))


def _choose(hostname: str, pairs: Sequence[KeyPair | None]) -> KeyPair | None:
    """What an SNI-capable load balancer serves for ``hostname`` (None: nothing servable)."""
    if not pairs:
        return None
    for exact in (True, False):
        for pair in pairs:
            if pair is None:
                continue
            for name in pair.names:
                if (name == hostname) if exact else covers((name,), hostname):
                    return pair
    return pairs[0]
