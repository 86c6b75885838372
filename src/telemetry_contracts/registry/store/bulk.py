"""Batches of rows: their primary keys drawn first, then the rows inserted in one go."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Insert, Table, func, insert, select, text
from sqlalchemy.engine import AdaptedConnection

COPY_FROM = 8
"""From this many rows PostgreSQL gets them by COPY: two round trips in all, where an
executemany pipelines a statement per row and waits on them in turn."""

_SEQUENCE_VALUES = text(
    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")


def next_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """``count`` unused values of ``table.id``, ascending, in the caller's write transaction.

    A batch then goes in as one plain executemany, which psycopg sends as one pipeline of a
    short prepared statement, rather than as INSERT ... RETURNING: SQLAlchemy writes that out
    as one long statement, which psycopg parses again for every batch, and SQLite, which does
    not promise the order of RETURNING rows, gets it one row at a time. PostgreSQL draws the
    keys from the column's sequence; SQLite continues after the largest key, which is safe
    because a write transaction holds SQLite's only write lock (``BEGIN IMMEDIATE``).
    """
    if count <= 0:
        return []
    if connection.dialect.name == "postgresql":
        values = connection.execute(_SEQUENCE_VALUES, {"table": table.name, "count": count})
        return sorted(value for (value,) in values)
    largest = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(largest + 1, largest + 1 + count))


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) in the caller's transaction.

    On PostgreSQL a batch of :data:`COPY_FROM` rows or more goes in by COPY, through the
    column types' own bind processing; anything else is one executemany.
    """
    if not rows:
        return
    if connection.dialect.name != "postgresql" or len(rows) < COPY_FROM:
        connection.execute(_insert(table), list(rows))
        return
    preparer = connection.dialect.identifier_preparer
    names = list(rows[0])
    processors = [table.c[name].type.bind_processor(connection.dialect) for name in names]
    values = [[process(row[name]) if process else row[name]
               for name, process in zip(names, processors, strict=True)] for row in rows]
    statement = (f"COPY {preparer.format_table(table)} "
                 f"({', '.join(preparer.quote(name) for name in names)}) FROM STDIN")
    driver = connection.connection.dbapi_connection
    if isinstance(driver, AdaptedConnection):  # psycopg's asyncio connection
        driver.run_async(lambda raw: _copy_async(raw, statement, values))
        return
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in values:
            copy.write_row(row)


@cache
def _insert(table: Table) -> Insert:
    """The table's INSERT, built once: its values travel as parameters, so the compiled
    statement is cached too."""
    return insert(table)


async def _copy_async(connection: Any, statement: str, values: list[list[Any]]) -> None:
    async with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in values:
            await copy.write_row(row)
