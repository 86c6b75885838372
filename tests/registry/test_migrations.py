"""The migrations build exactly the schema the models describe and carry the data over, on
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import column, insert, select, table
from sqlalchemy.orm import Session

from telemetry_contracts.registry.service.usage import MAX_COUNT
from telemetry_contracts.registry.store.database import Database
from telemetry_contracts.registry.store.engine import MIGRATIONS, make_engine
from telemetry_contracts.registry.store.tables import Base, UsageEmitter, UsageRow


def test_the_migrated_schema_is_the_models_schema(database_url: str) -> None:
    database = Database(database_url)  # upgrades to the newest migration
    try:
        with database.write_engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection),
                                           Base.metadata)
    finally:
        database.dispose()
    assert differences == []


def test_usage_days_become_one_row_per_name_and_service_and_back(database_url: str) -> None:
    seen = [dt.datetime(2026, 3, day, 12, tzinfo=dt.timezone.utc) for day in (1, 2)]
    counts = [{"service": "checkout", "signal": "metric", "name": "old.name", "metric": "",
               "action": action, "rule": "", "count": MAX_COUNT, "first_seen": seen[0],
               "last_seen": moment}
              for action, moment in zip(("pass", "rename"), seen, strict=True)]
    counts.append({**counts[0], "service": "billing", "count": 7})
    days = [{"name": "old.name", "service": "checkout", "day": 20513, "count": 3},
            {"name": "old.name", "service": "checkout", "day": 20514, "count": MAX_COUNT}]
    usage_days = table("usage_days", column("name"), column("service"), column("day"),
                       column("count"))
    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0003")
            connection.execute(insert(UsageRow), counts)
            connection.execute(insert(usage_days), days)
            command.upgrade(config, "head")
            emitters = {row.service: (row.count, row.last_seen, json.loads(row.days))
                        for row in Session(connection).scalars(select(UsageEmitter))}
            command.downgrade(config, "0003")
            restored = [dict(row._mapping) for row in connection.execute(
                select(usage_days).order_by(usage_days.c.day))]
            connection.rollback()
    finally:
        engine.dispose()
    assert emitters == {"checkout": (MAX_COUNT, seen[1], {"20513": 3, "20514": MAX_COUNT}),
                        "billing": (7, seen[0], {})}
    assert restored == days
