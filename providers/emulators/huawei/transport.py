"""HTTP plumbing of the Huawei emulator: its request handler and the vendor's answer shapes.

Huawei's APIs are REST (GET/POST/PUT/DELETE on resource paths); every answer carries an
``X-Request-Id`` header, which the SDK copies into its exceptions' ``request_id``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final

from providers.emulators.huawei.errors import ApiError, Shape
from providers.emulators.serving import HttpServer, QuietHandler

JSON: Final = "application/json;charset=UTF-8"
_GATEWAY_PAGE: Final = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>api gateway</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class Request:
    """One request as the gateway sees it; header names are lower-case."""

    method: str
    raw_path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    request_id: str


Handle = Callable[[Request], Reply]


def json_reply(status: int, payload: Mapping[str, Any], request_id: str) -> Reply:
    return Reply(status, JSON, json.dumps(payload, ensure_ascii=False).encode(), request_id)


def error_reply(error: ApiError, shape: Shape, request_id: str) -> Reply:
    """An error in the service's shape; gateway errors are always flat."""
    if shape == "nested" and not error.gateway:
        payload: dict[str, Any] = {"error": {"error_code": error.code, "error_msg": error.message}}
    else:
        payload = {"error_msg": error.message, "error_code": error.code, "request_id": request_id}
    return json_reply(error.status, payload, request_id)


def gateway_page(status: int, request_id: str) -> Reply:
    """What a failing gateway node sends: an HTML page, no JSON (the SDK keeps it as text)."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    page = _GATEWAY_PAGE.format(status=status, reason=reason)
    return Reply(status, "text/html", page.encode(), request_id)


class ApiHandler(QuietHandler):
    """Every method the SDK uses, on any path."""

    server: HttpServer[Handle]

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        headers = {name.lower(): _as_sent(value) for name, value in self.headers.items()}
        request = Request(self.command, path, query, headers, self.read_body())
        reply = self.server.answer(request)
        self.send_answer(
            reply.status,
            [("Content-Type", reply.content_type), ("X-Request-Id", reply.request_id)],
            reply.body,
        )

    do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server's naming


def _as_sent(value: str) -> str:
    """Undo http.server's ISO-8859-1 decoding of header bytes the SDK sent as UTF-8."""
    try:
        return value.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value
