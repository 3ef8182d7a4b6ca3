"""Human durations on the command line: ``30d``, ``12h``, ``90m``."""

from __future__ import annotations

import re
from datetime import timedelta

from ledger.errors import InputError

_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str, field: str) -> timedelta:
    """``30d`` → 30 days; an InputError naming ``field`` otherwise."""
    found = _DURATION.match(text)
    if not found:
        raise InputError(field, f"{text!r} is not a duration; use e.g. 30d, 12h or 90m")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
