"""New primary keys for a batch of rows, drawn before the rows are inserted."""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, select, text

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
