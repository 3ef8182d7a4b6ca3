"""Sending the outbox: each contact gets each task event once, whatever fails on the way.

A notification failure never touches a deployment or a task: it is retried with backoff on its
own row and, after a bounded number of attempts, given up with the reason kept for operators.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from ledger import notifications
from ledger.db import Database
from ledger.timeutil import utcnow
from scheduler.notifications.email import EmailSender, parse_smtp_url
from scheduler.notifications.webhook import WebhookSender
from workers.retry_policy import RetryPolicy

log = logging.getLogger("certfleet.notify")

NOTIFY_RETRIES = RetryPolicy(max_transient_failures=6, base_seconds=30.0, max_seconds=3600.0)


class Sender(Protocol):
    def send(self, recipient: str, payload: dict[str, Any], delivery_id: str) -> None: ...


@dataclass
class Report:
    sent: int = 0
    failed: int = 0
    gave_up: int = 0


class Dispatcher:
    """Delivers due notifications through the channel each recipient implies."""

    def __init__(
        self,
        database: Database,
        *,
        email: Sender | None,
        webhook: Sender,
        policy: RetryPolicy = NOTIFY_RETRIES,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._database = database
        self._email = email
        self._webhook = webhook
        self._policy = policy
        self._clock = clock

    @classmethod
    def from_environment(
        cls, database: Database, smtp_url: str | None, webhook_secret: str | None
    ) -> Dispatcher:
        email = EmailSender(parse_smtp_url(smtp_url)) if smtp_url else None
        return cls(database, email=email, webhook=WebhookSender(webhook_secret))

    def _sender(self, recipient: str) -> Sender | None:
        if recipient.startswith(("http://", "https://")):
            return self._webhook
        return self._email

    def deliver_due(self) -> Report:
        """One pass over what is due now."""
        report = Report()
        with self._database.unit_of_work() as session:
            due = notifications.claim_due(session, self._clock())
        for item in due:
            sender = self._sender(item.recipient)
            try:
                if sender is None:
                    raise LookupError("no SMTP server configured (set CERTFLEET_SMTP_URL)")
                sender.send(item.recipient, item.payload, f"certfleet-{item.id}")
            except LookupError as error:
                self._failed(item, str(error), give_up=True, report=report)
            except Exception as error:  # any channel failure is the notification's alone
                reason = f"{type(error).__name__}: {error}"
                self._failed(
                    item, reason, give_up=self._policy.gives_up(item.attempts), report=report
                )
            else:
                with self._database.unit_of_work() as session:
                    notifications.mark_sent(session, item.id, self._clock())
                report.sent += 1
        return report

    def _failed(
        self, item: notifications.Outgoing, reason: str, *, give_up: bool, report: Report
    ) -> None:
        now = self._clock()
        retry_at = None if give_up else now + timedelta(seconds=self._policy.backoff(item.attempts))
        with self._database.unit_of_work() as session:
            notifications.mark_failed(session, item.id, reason, retry_at, now)
        if give_up:
            report.gave_up += 1
            log.warning(
                "notification %s to task %s contact gave up: %s", item.id, item.task_id, reason
            )
        else:
            report.failed += 1
