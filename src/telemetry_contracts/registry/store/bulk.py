"""Batch writes: the reads a batch makes, then the rows it inserts, all or nothing.

A :class:`Plan` says what to read and, from the answers, what to insert. It runs on a
SQLAlchemy connection (:func:`run_plan`) or, on PostgreSQL, straight on psycopg's asyncio
connection in pipeline mode (:func:`run_plan_pipelined`): the reads go out together, then
all the inserts in one statement, two round trips in all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, Generic, TypeVar

from pydantic_core import to_json
from sqlalchemy import Connection, Dialect, Insert, Table, func, insert, select, text
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler

T = TypeVar("T")
Row = Sequence[Any]

_SEQUENCE_VALUES = text(
    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")


@dataclass(frozen=True)
class Read:
    """A query a batch runs before it writes; ``shape`` turns its rows into the answer.

    On the pipelined path the rows are the driver's values, without SQLAlchemy's result
    processing: read plain columns (numbers, strings).
    """

    statement: Executable
    params: Mapping[str, Any] = field(default_factory=dict)
    shape: Callable[[Sequence[Row]], Any] = list


@dataclass(frozen=True)
class Rows:
    """Rows to insert into ``table``, all with the same keys."""

    table: Table
    rows: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Plan(Generic[T]):
    """A batch write: run ``reads``, give their answers (in order) to ``then``, which returns
    the inserts to make, all or none, and the batch's result. ``then`` may run again if the
    write is retried."""

    reads: Sequence[Read]
    then: Callable[[list[Any]], tuple[Sequence[Rows], T]]


def next_ids(dialect: Dialect, table: Table, count: int) -> Read:
    """A read of ``count`` unused values of ``table.id``, ascending, for the batch's inserts.

    Inserting with keys drawn first keeps a batch to plain inserts rather than INSERT ...
    RETURNING, which SQLite answers one row at a time and in no promised order. PostgreSQL
    draws the keys from the column's sequence; SQLite continues after the largest key, which
    is safe because a write transaction holds SQLite's only write lock (``BEGIN IMMEDIATE``).
    """
    if dialect.name == "postgresql":
        return Read(_SEQUENCE_VALUES, {"table": table.name, "count": count},
                    lambda rows: sorted(value for (value,) in rows))
    return Read(_largest_id(table), {},
                lambda rows: list(range(rows[0][0] + 1, rows[0][0] + 1 + count)))


@cache
def _largest_id(table: Table) -> Executable:
    """The largest key in ``table`` (0 if empty), built once so that it compiles once."""
    return select(func.coalesce(func.max(table.c.id), 0))


def run_plan(connection: Connection, plan: Plan[T]) -> T:
    """Carry out ``plan`` in the transaction ``connection`` is in, on its driver connection:
    the statements are compiled once, so a batch pays no SQLAlchemy execution per statement."""
    dialect = connection.dialect
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        answers = []
        for read in plan.reads:
            cursor.execute(*_query(read, dialect))
            answers.append(read.shape(cursor.fetchall()))
    finally:
        cursor.close()
    inserts, result = plan.then(answers)
    for batch in inserts:
        insert_rows(connection, batch.table, batch.rows)
    return result


async def run_plan_pipelined(connection: Any, dialect: Dialect, plan: Plan[T]) -> T:
    """Carry out ``plan`` on ``connection``, a psycopg ``AsyncConnection`` in autocommit mode:
    the reads in one round trip (pipeline mode), then every insert in one statement
    (:func:`_recordset_inserts`), which is atomic without a transaction around it. An error
    is raised with nothing written.

    The reads take no locks, so a transaction around them would guarantee nothing more at
    PostgreSQL's READ COMMITTED; its BEGIN and COMMIT cost psycopg about half a batch's CPU.
    """
    async with connection.pipeline() as pipeline:
        cursors = [await connection.execute(*_query(read, dialect)) for read in plan.reads]
        await pipeline.sync()
        answers = [read.shape(await cursor.fetchall())
                   for read, cursor in zip(plan.reads, cursors, strict=True)]
    inserts, result = plan.then(answers)
    statement = _recordset_inserts(dialect, inserts)
    if statement is not None:
        await connection.execute(*statement)
    return result


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) in the caller's transaction, on its driver
    connection, through the column types' own bind processing: one statement on PostgreSQL
    (:func:`_recordset_insert`), one executemany on SQLite."""
    if not rows:
        return
    dialect = connection.dialect
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if dialect.name == "postgresql":
            cursor.execute(*_recordset_insert(dialect, table, rows))
        else:
            cursor.executemany(*_many(dialect, table, rows))
    finally:
        cursor.close()


def _many(dialect: Dialect, table: Table, rows: Sequence[Mapping[str, Any]]
          ) -> tuple[str, list[tuple[Any, ...]]]:
    """SQLite's INSERT for the rows' keys and each row's parameters, in the statement's order
    (positional, as sqlite3 takes them)."""
    names = tuple(rows[0])
    compiled = _compiled(_insert(table), dialect, names)
    order = [names.index(name) for name in compiled.positiontup or ()]
    return str(compiled), [tuple(row[index] for index in order)
                           for row in _bound(dialect, table, names, rows)]


def _recordset_inserts(dialect: Dialect, inserts: Sequence[Rows]
                       ) -> tuple[str, tuple[str, ...]] | None:
    """PostgreSQL: the :func:`_recordset_insert` of each of ``inserts`` as one statement (the
    first ones in a ``WITH``), and its parameters; None when there are no rows."""
    parts = [_recordset_insert(dialect, batch.table, batch.rows)
             for batch in inserts if batch.rows]
    if not parts:
        return None
    *first, (last, _) = parts
    if first:
        last = ("WITH " + ", ".join(f"insert_{n} AS ({statement})"
                                    for n, (statement, _) in enumerate(first)) + " " + last)
    return last, tuple(document for _, (document,) in parts)


def _recordset_insert(dialect: Dialect, table: Table, rows: Sequence[Mapping[str, Any]]
                      ) -> tuple[str, tuple[str]]:
    """PostgreSQL's INSERT of ``rows`` (all with the same keys) in one statement, and its
    parameter: the rows travel as one JSON document, which ``json_populate_recordset`` turns
    back into rows of ``table``, in order. A statement per row would cost the driver some
    40 µs of CPU each. Values are numbers, strings, datetimes or None (no bytes)."""
    names = tuple(rows[0])
    document = to_json([dict(zip(names, values, strict=True))
                        for values in _bound(dialect, table, names, rows)])
    return _recordset_statement(table, dialect, names), (document.decode(),)


@lru_cache(maxsize=64)
def _recordset_statement(table: Table, dialect: Dialect, names: tuple[str, ...]) -> str:
    preparer = dialect.identifier_preparer
    name, columns = preparer.format_table(table), ", ".join(map(preparer.quote, names))
    return (f"INSERT INTO {name} ({columns}) SELECT {columns} "
            f"FROM json_populate_recordset(NULL::{name}, %s::json) WITH ORDINALITY "
            f"ORDER BY ordinality")


def _bound(dialect: Dialect, table: Table, names: tuple[str, ...],
           rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """The rows' values for the driver, as the column types bind them (UTC datetimes...)."""
    processors = _bind_processors(table, dialect, names)
    return [[process(row[name]) if process else row[name]
             for name, process in zip(names, processors, strict=True)] for row in rows]


@lru_cache(maxsize=64)
def _bind_processors(table: Table, dialect: Dialect, names: tuple[str, ...]
                     ) -> tuple[Callable[[Any], Any] | None, ...]:
    """The bind processor of each column in ``names`` (None: the value goes as it is)."""
    return tuple(table.c[name].type.bind_processor(dialect) for name in names)


@cache
def _insert(table: Table) -> Insert:
    """The table's INSERT, built once: its values travel as parameters, so the compiled
    statement is cached too."""
    return insert(table)


@lru_cache(maxsize=256)
def _compiled(statement: Executable, dialect: Dialect, names: tuple[str, ...] = ()
              ) -> SQLCompiler:
    """``statement`` compiled once for ``dialect`` (an INSERT for the columns ``names``).

    Statements are cached by identity: build them once, at module level or cached themselves.
    """
    return statement.compile(dialect=dialect,  # type: ignore[attr-defined]
                             column_keys=list(names) or None)


def _query(read: Read, dialect: Dialect) -> tuple[str, Any]:
    """The driver's SQL and parameters for ``read`` (lists in ``IN`` expanded to one
    parameter each), in the driver's parameter style."""
    compiled = _compiled(read.statement, dialect)
    state = compiled.construct_expanded_state(dict(read.params))
    values = dict(state.parameters)
    for name, process in state.processors.items():
        if name in values:
            values[name] = process(values[name])
    if compiled.positional:
        return state.statement, tuple(values[name] for name in state.positiontup or ())
    return state.statement, values
