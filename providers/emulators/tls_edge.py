"""A local TLS edge: serves, per SNI hostname, whatever certificate an emulator bound there.

Emulated clouds "deploy" a certificate by binding it here, so certfleet's verifier can do a
real TLS handshake and compare the exact leaf it receives, the same way it checks a real CDN
node. Bindings are cheap (a dict entry); an ``ssl.SSLContext`` is built lazily, once per
distinct (chain, key) pair, and shared by every hostname bound to that pair, so thousands of
domains sharing a few certificates cost a few contexts.

Hostnames the edge does not know get a throwaway default certificate: the verifier then sees
a mismatch at once instead of waiting for a timeout.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import socketserver
import ssl
import tempfile
import threading
from collections import Counter
from typing import Final, Self

from providers.emulators.pki import Authority
from providers.emulators.serving import ServerThread, StartStop

DEFAULT_HOSTNAME: Final = "certfleet-default.invalid"
_RESPONSE: Final = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
    b"Connection: close\r\n\r\nok\n"
)


class TlsEdge(StartStop):
    """A threaded TLS server on ``host`` choosing its certificate by SNI.

    Use as a context manager, or call :meth:`start` / :meth:`stop`. ``bind`` and ``unbind``
    are thread-safe and take effect for the next handshake.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, io_timeout: float = 5.0) -> None:
        self._io_timeout = io_timeout
        self._lock = threading.Lock()
        self._bindings: dict[str, str] = {}  # hostname -> pair key
        self._pairs: dict[str, tuple[str, str]] = {}  # pair key -> (chain, key) PEM
        self._users: Counter[str] = Counter()  # pair key -> hostnames bound to it
        self._contexts: dict[str, ssl.SSLContext] = {}  # pair key -> built context
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._serving = ServerThread(
            lambda: _EdgeServer((host, port), _EdgeHandler, self), name="tls-edge"
        )
        self._default: ssl.SSLContext | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Listen and serve in a daemon thread; returns self for chaining."""
        if self._serving.running:
            return self
        self._tmpdir = tempfile.TemporaryDirectory(prefix="certfleet-edge-")
        issued = Authority("certfleet edge default").issue([DEFAULT_HOSTNAME])
        self._default = self._build_context(issued.chain_pem, issued.key_pem)
        self._default.sni_callback = self._choose_context
        self._serving.start()
        return self

    def stop(self) -> None:
        """Stop accepting connections and forget every built context."""
        self._serving.stop()
        with self._lock:
            self._contexts.clear()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    @property
    def address(self) -> str:
        """``host:port`` where the edge listens (the real port once started)."""
        host, port = self._serving.address
        return f"{host}:{port}"

    # -- bindings --------------------------------------------------------------------------

    def bind(self, hostname: str, chain_pem: str, key_pem: str) -> None:
        """Serve ``chain_pem`` (leaf first) with ``key_pem`` for ``hostname`` (``*.a.com`` ok)."""
        name = _normalise(hostname)
        pair = hashlib.sha256(f"{chain_pem}\0{key_pem}".encode()).hexdigest()
        with self._lock:
            previous = self._bindings.get(name)
            if previous == pair:
                return
            self._bindings[name] = pair
            self._pairs[pair] = (chain_pem, key_pem)
            self._users[pair] += 1
            if previous is not None:
                self._release(previous)

    def unbind(self, hostname: str) -> None:
        """Stop serving a specific certificate for ``hostname``; it gets the default again."""
        with self._lock:
            previous = self._bindings.pop(_normalise(hostname), None)
            if previous is not None:
                self._release(previous)

    def bound(self, hostname: str) -> bool:
        """Whether ``hostname`` has its own binding (wildcards are not expanded here)."""
        with self._lock:
            return _normalise(hostname) in self._bindings

    @property
    def context_count(self) -> int:
        """How many per-certificate contexts are built now (lets tests check the sharing)."""
        with self._lock:
            return len(self._contexts)

    def _release(self, pair: str) -> None:
        # Caller holds the lock. Drop a pair nobody uses so memory follows live bindings.
        self._users[pair] -= 1
        if self._users[pair] <= 0:
            del self._users[pair]
            self._pairs.pop(pair, None)
            self._contexts.pop(pair, None)

    # -- handshakes ------------------------------------------------------------------------

    def _choose_context(
        self, sock: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, _: ssl.SSLContext
    ) -> int | None:
        """SNI callback: switch the connection to the context bound for ``server_name``."""
        if server_name:
            context = self._context_for(_normalise(server_name))
            if context is not None:
                sock.context = context
        return None

    def _context_for(self, name: str) -> ssl.SSLContext | None:
        with self._lock:
            pair = self._bindings.get(name)
            if pair is None and "." in name:
                pair = self._bindings.get("*." + name.split(".", 1)[1])
            if pair is None:
                return None
            context = self._contexts.get(pair)
            pems = self._pairs.get(pair)
        if context is not None or pems is None:
            return context
        try:
            # Built outside the lock: loading a key takes a millisecond, bindings must not wait.
            context = self._build_context(*pems)
        except (OSError, ValueError, ssl.SSLError):
            return None  # unusable PEM: serve the default so the verifier reports a mismatch
        with self._lock:
            if pair in self._pairs:
                context = self._contexts.setdefault(pair, context)
        return context

    def _build_context(self, chain_pem: str, key_pem: str) -> ssl.SSLContext:
        # The ssl module only loads certificates from files: write a private file, load, delete.
        if self._tmpdir is None:
            raise RuntimeError("TlsEdge is not started")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        fd, path = tempfile.mkstemp(dir=self._tmpdir.name, suffix=".pem")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(chain_pem if chain_pem.endswith("\n") else chain_pem + "\n")
                handle.write(key_pem)
            context.load_cert_chain(path)
        finally:
            os.unlink(path)
        return context

    def _serve(self, raw: socket.socket) -> None:
        """One connection: handshake, answer a minimal HTTP 200, close. Never raises."""
        if self._default is None:
            return
        raw.settimeout(self._io_timeout)
        try:
            with self._default.wrap_socket(raw, server_side=True) as tls:
                tls.settimeout(0.5)
                # Read the request if the client sends one; verifiers hang up right away.
                with contextlib.suppress(OSError):
                    tls.recv(65536)
                tls.settimeout(self._io_timeout)
                tls.sendall(_RESPONSE)
        except OSError:
            pass  # ssl.SSLError, resets, timeouts: a broken client must not disturb the edge


class _EdgeServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512  # bulk verification opens many connections at once

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[socketserver.BaseRequestHandler],
        edge: TlsEdge,
    ) -> None:
        self.edge = edge
        super().__init__(address, handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that vanish mid-handshake are expected; keep stderr quiet."""


class _EdgeHandler(socketserver.BaseRequestHandler):
    server: _EdgeServer

    def handle(self) -> None:
        request = self.request
        if isinstance(request, socket.socket):
            self.server.edge._serve(request)


def _normalise(hostname: str) -> str:
    return hostname.strip().rstrip(".").lower()
