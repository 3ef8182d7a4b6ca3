"""Access to the PostgreSQL and Redis the machine (and CI) start; skip clearly when absent."""

from __future__ import annotations

import os
import socket

import pytest

from scheduler.bench import lab

POSTGRES_ADMIN_URL = os.environ.get(
    "CERTFLEET_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("CERTFLEET_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(host: str, port: int, what: str) -> None:
    if not _reachable(host, port):
        pytest.skip(f"{what} is not running on {host}:{port} (this machine starts it; CI too)")


def postgres_url(*, fresh_schema: bool = False) -> str:
    """A URL on the test database; with ``fresh_schema`` a new empty schema just for the caller."""
    require("127.0.0.1", 5432, "PostgreSQL")
    if not fresh_schema:
        return POSTGRES_ADMIN_URL
    return lab.fresh_schema(POSTGRES_ADMIN_URL)
