"""Contacts hear once per finished task, by e-mail (a real local SMTP server) and by signed
webhook (a real local HTTP receiver); failures to notify never change an outcome."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from ledger import notifications
from ledger.models import Task
from scheduler.bench.lab import free_port
from scheduler.notifications.dispatch import Dispatcher
from scheduler.notifications.email import parse_smtp_url
from scheduler.notifications.webhook import DELIVERY_HEADER, SIGNATURE_HEADER
from tests.workers.conftest import World

SECRET = "webhook-shared-secret"


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[object] = []

    def handle_message(self, message: object) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, str]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, f"smtp://127.0.0.1:{port}?from=certfleet@example.com"
    controller.stop()


class Receiver:
    """A local webhook endpoint that can be told to fail its first N deliveries."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(503)
                else:
                    receiver.received.append((dict(self.headers), body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def _set_contacts(world: World, task_id: int, contacts: list[str]) -> None:
    with world.database.unit_of_work() as session:
        session.get(Task, task_id).contacts = contacts


def test_each_contact_gets_exactly_one_message_per_finished_task(world, smtp) -> None:
    inbox, smtp_url = smtp
    receiver = Receiver(fail_first=1)  # the first webhook delivery fails and is retried
    try:
        w = world(
            ["ok.w.test", "locked.w.test"],
            locked=("locked.w.test",),
            env={"CERTFLEET_SMTP_URL": smtp_url, "CERTFLEET_WEBHOOK_SECRET": SECRET},
        )
        task_id = w.submit()
        _set_contacts(w, task_id, ["ops@example.com", "sec@example.com", receiver.url])
        w.run(task_id)
        dispatcher = Dispatcher.from_environment(w.database, smtp_url, SECRET)
        for _ in range(3):  # further passes must not send anything twice
            dispatcher.deliver_due()
        with w.database.unit_of_work() as session:
            for row in notifications.for_task(session, task_id):
                if row.recipient == receiver.url:
                    row.next_attempt_at = row.created_at  # make the retry due now
        for _ in range(3):
            dispatcher.deliver_due()
    finally:
        receiver.close()
    assert sorted(m["To"] for m in inbox.messages) == ["ops@example.com", "sec@example.com"]
    text = inbox.messages[0].get_payload()
    assert "1 succeeded, 1 failed" in inbox.messages[0]["Subject"]
    assert "locked.w.test" in text and "CdnHostIsLocked" in text and "refunded 1" in text
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    assert headers[DELIVERY_HEADER].startswith("certfleet-")
    payload = json.loads(body)
    assert payload["counts"] == {"succeeded": 1, "failed": 1}
    assert payload["quota_debited"] == 2 and payload["quota_refunded"] == 1


def test_notification_failures_never_change_the_outcome(world) -> None:
    w = world(["a.w.test"])
    task_id = w.submit()
    _set_contacts(w, task_id, ["http://127.0.0.1:9/unreachable", "nobody@example.com"])
    assert w.run(task_id) == {task_id: "succeeded"}  # SMTP unconfigured, webhook down
    with w.database.unit_of_work() as session:
        rows = {r.recipient: r for r in notifications.for_task(session, task_id)}
        assert session.get(Task, task_id).status == "succeeded"
    assert rows["nobody@example.com"].gave_up_at is not None
    assert "CERTFLEET_SMTP_URL" in (rows["nobody@example.com"].error or "")
    hook = rows["http://127.0.0.1:9/unreachable"]
    assert hook.sent_at is None and hook.gave_up_at is None and hook.error


def test_smtp_url_is_parsed_and_never_shows_the_password() -> None:
    settings = parse_smtp_url("smtp://bot:p%40ss@mail.example.com:587?from=c@x.io&starttls=1")
    assert (settings.host, settings.port, settings.starttls) == ("mail.example.com", 587, True)
    assert settings.password == "p@ss" and "p@ss" not in repr(settings)
    with pytest.raises(ValueError, match="from="):
        parse_smtp_url("smtp://mail.example.com")
