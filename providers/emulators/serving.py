"""How every emulator serves: a socket server in a daemon thread, started and stopped by tests.

Tests start and stop emulators (and the TLS edge) many times a run, so each piece here is about
leaving nothing behind and staying quiet: daemon threads, idle keep-alive connections that
close, no request log lines, no tracebacks for clients that hang up mid-answer.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Callable, Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

A = TypeVar("A")


class StartStop:
    """``with`` support for anything with ``start()`` (returning itself) and ``stop()``."""

    def start(self) -> Self:
        """Begin serving; nothing when already serving."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving and release what :meth:`start` took."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ServerThread:
    """A socket server, built by :meth:`start` and served from a daemon thread until :meth:`stop`.

    ``along`` (the TLS edge an emulator made for itself) starts before the server and stops
    after it. ``poll_interval`` is how long :meth:`stop` may wait for the serving loop.
    """

    def __init__(
        self,
        build: Callable[[], socketserver.TCPServer],
        *,
        name: str,
        poll_interval: float = 0.1,
        along: Sequence[StartStop] = (),
    ) -> None:
        self._build = build
        self._name = name
        self._poll_interval = poll_interval
        self._along = tuple(along)
        self._server: socketserver.TCPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` the server listens on (the real port when 0 was asked for)."""
        if self._server is None:
            raise RuntimeError(f"{self._name} is not started")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Start serving (nothing when already serving)."""
        if self._server is not None:
            return
        for other in self._along:
            other.start()
        self._server = self._build()
        host, port = self.address
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": self._poll_interval},
            name=f"{self._name}-{host}:{port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close the socket and wait (briefly) for the thread."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for other in self._along:
            other.stop()


class HttpServer(ThreadingHTTPServer, Generic[A]):
    """One thread per connection; ``handler`` passes each request to ``answer``."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], answer: A
    ) -> None:
        self.answer = answer
        super().__init__(address, handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that time out and hang up before the answer are part of the tests; quiet."""


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, answers in one go, no log lines."""

    protocol_version = "HTTP/1.1"
    timeout = 10  # idle keep-alive connections close, so stopped emulators leave no threads
    # Headers and body leave in two writes; with Nagle on, the client's delayed ACK would hold
    # every answer on a kept-alive connection back ~40 ms.
    disable_nagle_algorithm = True

    def read_body(self) -> bytes:
        """The request body (``Content-Length`` bytes; none without the header)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_answer(self, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> None:
        """Status, ``headers``, ``Content-Length`` and the body (left out for HEAD)."""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines are noise in test output."""
