"""E-mail over SMTP, configured by one URL: ``CERTFLEET_SMTP_URL``.

``smtp://user:password@host:587?from=certfleet@example.com&starttls=true`` (``smtps://`` for
implicit TLS). The URL holds a password, so it is parsed once here and never logged.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from scheduler.notifications.message import subject, text_body


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    implicit_tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 15.0


def parse_smtp_url(url: str) -> SmtpSettings:
    """Settings from the URL; ValueError naming the variable when it is malformed."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("CERTFLEET_SMTP_URL: expected smtp://host:port?from=… or smtps://…")
    query = parse_qs(parts.query)
    sender = (query.get("from") or [""])[0]
    if not sender:
        raise ValueError("CERTFLEET_SMTP_URL: add ?from=address for the sender")
    implicit = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 25),
        sender=sender,
        implicit_tls=implicit,
        starttls=(query.get("starttls") or ["false"])[0].lower() in ("1", "true", "yes"),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class EmailSender:
    """Sends one message per call (a connection each: notifications are rare)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def send(self, recipient: str, payload: dict[str, Any], delivery_id: str) -> None:
        """Deliver or raise (OSError / smtplib.SMTPException) for the dispatcher to retry."""
        s = self._settings
        message = EmailMessage()
        message["From"] = s.sender
        message["To"] = recipient
        message["Subject"] = subject(payload)
        message["X-Certfleet-Delivery"] = delivery_id
        message.set_content(text_body(payload))
        context = ssl.create_default_context()
        client: smtplib.SMTP = (
            smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            if s.implicit_tls
            else smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        )
        with client:
            if s.starttls:
                client.starttls(context=context)
            if s.username and s.password:
                client.login(s.username, s.password)
            client.send_message(message)
