"""Shared fixtures: a migrated database per test, a vault, a throwaway CA."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Tests must never reach a real proxy or the operator's data directory.
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
    os.environ.pop(_name, None)
os.environ.setdefault("CERTFLEET_DATA_DIR", "/tmp/certfleet-tests-never-used")

from ledger.db import Database  # noqa: E402
from ledger.vault import Vault  # noqa: E402
from providers.emulators.pki import Authority  # noqa: E402


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def vault() -> Vault:
    return Vault(os.urandom(32))


@pytest.fixture(scope="session")
def authority() -> Authority:
    return Authority("certfleet tests")
