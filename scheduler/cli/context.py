"""What every CLI command shares: settings, the database (migrated in embedded mode), the vault."""

from __future__ import annotations

from functools import cached_property

from ledger.db import Database
from ledger.settings import Settings, load_settings
from ledger.vault import Vault, load_vault


class CliContext:
    """Lazily opened resources, so `certfleet --help` touches no database."""

    @cached_property
    def settings(self) -> Settings:
        return load_settings()

    @cached_property
    def database(self) -> Database:
        database = Database(self.settings.database_url)
        if self.settings.embedded:
            # Embedded users never run migrations by hand; fleets run `certfleet db upgrade`
            # once per release so that many processes do not race to migrate.
            database.upgrade()
        return database

    @cached_property
    def vault(self) -> Vault:
        return load_vault(self.settings.data_dir, embedded=self.settings.embedded)


CONTEXT = CliContext()
