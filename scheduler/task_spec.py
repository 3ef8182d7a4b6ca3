"""What a user asks for when creating a task, validated before anything is written.

Every check here produces an :class:`~ledger.errors.InputError` naming the option to fix, so the
CLI can print one line and exit 2 with nothing half written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ledger.errors import InputError
from ledger.timeutil import as_utc

MAX_CONTACTS = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WEBHOOK = re.compile(r"^https?://[^\s]+$")
# A task due "now" may be a few seconds old by the time it is submitted; older than this is a typo.
PAST_TOLERANCE = timedelta(minutes=1)


@dataclass(frozen=True)
class TaskSpec:
    """A validated task request."""

    name: str
    account: str
    contacts: tuple[str, ...]
    certificate_ids: tuple[int, ...]
    products: tuple[str, ...]
    run_at: datetime


def parse_run_at(value: str | None, now: datetime) -> datetime:
    """``None`` means now; otherwise an ISO 8601 time (UTC if no offset) not in the past."""
    if value is None:
        return now
    try:
        when = as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise InputError(
            "--at", f"{value!r} is not an ISO 8601 time; use e.g. 2026-12-24T03:00:00+00:00"
        ) from None
    if when < now - PAST_TOLERANCE:
        raise InputError("--at", f"{when.isoformat()} is in the past; use --now or a later time")
    return when


def validate_contacts(contacts: Sequence[str]) -> tuple[str, ...]:
    """1..10 e-mail addresses or webhook URLs, de-duplicated in order."""
    unique = tuple(dict.fromkeys(c.strip() for c in contacts if c.strip()))
    if not unique:
        raise InputError("--contact", "give at least one contact (an e-mail or webhook URL)")
    if len(unique) > MAX_CONTACTS:
        raise InputError("--contact", f"at most {MAX_CONTACTS} contacts, got {len(unique)}")
    for contact in unique:
        if not (_EMAIL.match(contact) or _WEBHOOK.match(contact)):
            raise InputError(
                "--contact", f"{contact!r} is neither an e-mail address nor an http(s) URL"
            )
    return unique


def build_spec(
    *,
    name: str,
    account: str,
    contacts: Sequence[str],
    certificate_ids: Sequence[int],
    products: Sequence[str],
    at: str | None,
    now: datetime,
) -> TaskSpec:
    """Validate the parts that need no database; the planner checks the rest."""
    if not name.strip() or len(name) > 200:
        raise InputError("--name", "a task needs a name of 1 to 200 characters")
    if not certificate_ids:
        raise InputError("--cert", "select at least one certificate (see `certfleet cert list`)")
    if not products:
        raise InputError("--product", "select at least one product (see `certfleet providers`)")
    return TaskSpec(
        name=name.strip(),
        account=account,
        contacts=validate_contacts(contacts),
        certificate_ids=tuple(dict.fromkeys(certificate_ids)),
        products=tuple(dict.fromkeys(products)),
        run_at=parse_run_at(at, now),
    )
