"""HTTP plumbing of the Tencent emulator: its request handler and the vendor's answer shapes.

Answers carry exactly ``Content-Type: application/json``: the SDK only parses errors under that
content type (``; charset=utf-8`` would make it drop them, see VENDOR-NOTES.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, Final

from providers.emulators.serving import HttpServer, QuietHandler

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


class ApiHandler(QuietHandler):
    """POST / only, as the SDK sends every action."""

    server: HttpServer[Handle]

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, content_type, payload = self.server.answer("POST", headers, self.read_body())
        self.send_answer(status, [("Content-Type", content_type)], payload)
