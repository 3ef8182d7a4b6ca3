"""Benches in miniature: a real fleet (PostgreSQL, private Redis, worker and scheduler processes)
on a small estate, asserting what must hold at any size, never how fast it was."""

from __future__ import annotations

import shutil

import pytest

from tests.services import POSTGRES_ADMIN_URL, require


@pytest.fixture
def admin_url() -> str:
    require("127.0.0.1", 5432, "PostgreSQL")
    return POSTGRES_ADMIN_URL


@pytest.fixture
def fleet_ready(admin_url: str) -> str:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (this machine kind has it; CI too)")
    return admin_url
