"""HTTP plumbing of the Tencent emulator: a threaded server and the vendor's answer shapes.

Answers carry exactly ``Content-Type: application/json``: the SDK only parses errors under that
content type (``; charset=utf-8`` would make it drop them, see VENDOR-NOTES.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

Reply = tuple[int, str, bytes]  # HTTP status, Content-Type, body
Handle = Callable[[str, Mapping[str, str], bytes], Reply]  # method, lower-case headers, body

_JSON: Final = "application/json"
_GATEWAY_PAGE: Final = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def json_reply(response: Mapping[str, Any]) -> Reply:
    """A success: ``{"Response": {...}}``."""
    return 200, _JSON, json.dumps({"Response": response}, ensure_ascii=False).encode()


def error_reply(code: str, message: str, request_id: str) -> Reply:
    """An API error as Tencent sends it: HTTP 200 with ``Response.Error``."""
    error = {"Error": {"Code": code, "Message": message}, "RequestId": request_id}
    return json_reply(error)


def gateway_page(status: int) -> Reply:
    """What a failing gateway in front of the API sends: an HTML page, no JSON."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    return status, "text/html", _GATEWAY_PAGE.format(status=status, reason=reason).encode()


class ApiServer(ThreadingHTTPServer):
    """Serves POST / by passing each request to ``handle``; one thread per connection."""

    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that time out and hang up before the answer are part of the tests; quiet."""

    def __init__(self, address: tuple[str, int], handle: Handle) -> None:
        self.answer = handle
        super().__init__(address, _ApiHandler)


class _ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # idle keep-alive connections close, so stopped emulators leave no threads
    # Headers and body leave in two writes; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms) on every kept-alive request.
    disable_nagle_algorithm = True
    server: ApiServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, content_type, payload = self.server.answer("POST", headers, body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines are noise in test output."""
