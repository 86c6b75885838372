"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from telemetry_contracts.registry.store.database import Database
from telemetry_contracts.registry.store.tables import Base


def test_the_migrated_schema_is_the_models_schema(database_url: str) -> None:
    database = Database(database_url)  # upgrades to the newest migration
    try:
        with database.write_engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection),
                                           Base.metadata)
    finally:
        database.dispose()
    assert differences == []
