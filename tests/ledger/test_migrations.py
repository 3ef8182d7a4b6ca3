"""Models and migrations must agree, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ledger.db import Database
from ledger.models import Base
from tests.services import postgres_url


def _diff(database: Database) -> list[object]:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        return list(compare_metadata(context, Base.metadata))


def test_sqlite_schema_matches_models(database: Database) -> None:
    assert _diff(database) == []


@pytest.mark.services
def test_postgres_upgrade_is_idempotent_and_matches_models() -> None:
    url = postgres_url(fresh_schema=True)
    database = Database(url)
    try:
        database.upgrade()
        database.upgrade()
        assert _diff(database) == []
    finally:
        database.dispose()
