"""The HTTP endpoint every fleet process serves on its metrics port.

* ``/metrics`` — Prometheus text exposition of the process's registry;
* ``/healthz`` — liveness: 200 while the process does its job, 503 when it should be restarted;
* ``/readyz`` — readiness: liveness plus the dependencies it needs (database, broker).

Health answers are small JSON documents naming each check, so ``curl`` tells an operator which
dependency is missing. Check failures are reported by exception type and a scrubbed message only.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from workers.observability.logs import Redactor

log = logging.getLogger("certfleet.metrics")

Check = Callable[[], str | None]
"""A health check: None when healthy, else a one-line reason."""

PATHS = ("/metrics", "/healthz", "/readyz")


@dataclass(frozen=True)
class Endpoint:
    """What one process exposes: its metrics and its health checks."""

    registry: CollectorRegistry
    liveness: Mapping[str, Check] = field(default_factory=dict)
    readiness: Mapping[str, Check] = field(default_factory=dict)


def cached(check: Check, seconds: float, clock: Callable[[], float] = time.monotonic) -> Check:
    """``check``, run at most once per ``seconds`` however often probes and scrapes ask."""
    lock = threading.Lock()
    last: list[tuple[float, str | None]] = []

    def run() -> str | None:
        with lock:
            now = clock()
            if not last or now - last[0][0] >= seconds:
                last[:] = [(now, check())]
            return last[0][1]

    return run


def _run_checks(checks: Mapping[str, Check], redact: Redactor) -> dict[str, str]:
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            problem = check()
        except Exception as error:  # a probe must answer, whatever the dependency does
            problem = f"{type(error).__name__}: {error}"
        results[name] = "ok" if problem is None else redact(problem)[:300]
    return results


class EndpointServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its :class:`Endpoint`."""

    daemon_threads = True

    def __init__(self, endpoint: Endpoint, host: str, port: int) -> None:
        self.endpoint = endpoint
        self.redactor = Redactor()
        super().__init__((host, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: EndpointServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        endpoint = self.server.endpoint
        if path == "/metrics":
            self._send(200, CONTENT_TYPE_LATEST, generate_latest(endpoint.registry))
        elif path in ("/healthz", "/readyz"):
            checks = dict(endpoint.liveness)
            if path == "/readyz":
                checks.update(endpoint.readiness)
            results = _run_checks(checks, self.server.redactor)
            healthy = all(v == "ok" for v in results.values())
            body = {"status": "ok" if healthy else "failing", "checks": results}
            self._send(200 if healthy else 503, "application/json", json.dumps(body).encode())
        else:
            self._send(404, "text/plain; charset=utf-8", b"try /metrics, /healthz or /readyz\n")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)


def bind(endpoint: Endpoint, host: str, port: int) -> EndpointServer:
    """Listen on ``host:port`` (port 0 picks a free one: see ``server_address``)."""
    return EndpointServer(endpoint, host, port)


def start(endpoint: Endpoint, host: str, port: int) -> EndpointServer:
    """Serve ``endpoint`` from a daemon thread; call ``shutdown()`` on the result to stop."""
    server = bind(endpoint, host, port)
    thread = threading.Thread(target=server.serve_forever, name="metrics-endpoint", daemon=True)
    thread.start()
    log.info("serving /metrics, /healthz and /readyz on %s:%s", host, server.server_address[1])
    return server
