"""A webhook receiver for the demo: the contacts' end of a notification, on 127.0.0.1.

It checks each delivery's HMAC signature the way a real receiver should, so the demo shows
notifications arriving signed, once per finished task.
"""

from __future__ import annotations

import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from scheduler.notifications.webhook import SIGNATURE_HEADER, sign


class WebhookInbox:
    """Context manager: serves ``url`` and keeps every correctly signed delivery."""

    def __init__(self, secret: str) -> None:
        self.deliveries: list[dict[str, Any]] = []
        self.rejected = 0
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signature = self.headers.get(SIGNATURE_HEADER, "")
                if hmac.compare_digest(signature, sign(secret.encode(), body)):
                    inbox.deliveries.append(json.loads(body))
                    self.send_response(204)
                else:
                    inbox.rejected += 1
                    self.send_response(401)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                """Quiet: the demo reports deliveries itself."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/certfleet"

    def __enter__(self) -> WebhookInbox:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
