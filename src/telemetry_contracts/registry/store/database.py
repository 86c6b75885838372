"""The store handle: engines and sessions for reads and for serialised writes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from telemetry_contracts.registry.store.bulk import Plan, run_plan, run_plan_pipelined
from telemetry_contracts.registry.store.engine import is_sqlite, make_engine, upgrade_database

T = TypeVar("T")
_RETRYABLE_SQLSTATES = {"40001", "40P01"}
"""Serialization failure and deadlock: the transaction can simply run again."""


class Database:
    """Read and write sessions on one database; the schema is upgraded when it opens."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = "sqlite" if is_sqlite(url) else "postgresql"
        self.read_engine: Engine = make_engine(url)
        self.write_engine: Engine = make_engine(url, immediate=True) if is_sqlite(url) \
            else self.read_engine
        upgrade_database(self.write_engine)
        self._reads = sessionmaker(self.read_engine, expire_on_commit=False)
        self._writes = sessionmaker(self.write_engine, expire_on_commit=False)
        # SQLite has one writer at a time; threads of this process queue here rather than in
        # SQLite's busy handler, which sleeps and retries.
        self._write_turn: AbstractContextManager[object] = (
            threading.Lock() if self.dialect == "sqlite" else nullcontext())
        self._pipeline: Any = None
        """psycopg's ``AsyncConnection`` for :meth:`write_plan_async`, opened on first use."""

    @property
    def writes_async(self) -> bool:
        """True when :meth:`write_plan_async` is available (PostgreSQL: psycopg's asyncio mode)."""
        return self.dialect == "postgresql"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading."""
        with self._reads() as session:
            yield session

    def write(self, work: Callable[[Session], T], *, attempts: int = 5) -> T:
        """Run ``work`` in one transaction; run it again on a serialization failure or deadlock.

        ``work`` may raise :class:`IntegrityError` on a lost race for a unique value; that is
        retried too, so it must re-read what it depends on.
        """
        for attempt in range(attempts):
            try:
                with self._write_turn, self._writes() as session, session.begin():
                    return work(session)
            except DBAPIError as error:
                if not _retryable(error) or attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def write_plan(self, plan: Plan[T], *, attempts: int = 5) -> T:
        """:meth:`write` for a :class:`~telemetry_contracts.registry.store.bulk.Plan`."""
        return self.write(lambda session: run_plan(session.connection(), plan),
                          attempts=attempts)

    async def write_plan_async(self, plan: Plan[T], *, attempts: int = 5) -> T:
        """:meth:`write_plan` for an event loop (PostgreSQL): the loop serves other requests
        while the database answers. It runs on one connection of its own, in pipeline mode
        (two round trips; see ``run_plan_pipelined``), which belongs to the first loop that
        calls this; see :meth:`dispose_async`. A broken connection is replaced on the next call.
        """
        import psycopg

        for attempt in range(attempts):
            connection = await self._pipeline_connection()
            try:
                return await run_plan_pipelined(connection, self.write_engine.dialect, plan)
            except psycopg.Error as error:
                if connection.broken:
                    self._pipeline = None
                if not _retryable_driver_error(error) or attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    async def connect_async(self) -> None:
        """Open :meth:`write_plan_async`'s connection now rather than in the first write."""
        await self._pipeline_connection()

    async def _pipeline_connection(self) -> Any:
        if self._pipeline is None or self._pipeline.closed:
            # Imported here: only a server writing to PostgreSQL needs it.
            import psycopg

            engine = self.write_engine
            _, options = engine.dialect.create_connect_args(engine.url)
            self._pipeline = await psycopg.AsyncConnection.connect(**options, autocommit=True)
        return self._pipeline

    async def dispose_async(self) -> None:
        """Close :meth:`write_plan_async`'s connection (on the loop that opened it)."""
        connection, self._pipeline = self._pipeline, None
        if connection is not None:
            await connection.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.read_engine.dispose()
        self.write_engine.dispose()


def _retryable(error: DBAPIError) -> bool:
    """A lost race for a unique value, a serialization failure or a deadlock: run it again."""
    return isinstance(error, IntegrityError) or _sqlstate(error) in _RETRYABLE_SQLSTATES


def _retryable_driver_error(error: Exception) -> bool:
    """:func:`_retryable` for an error psycopg raised itself."""
    import psycopg

    return (isinstance(error, psycopg.IntegrityError)
            or getattr(error, "sqlstate", None) in _RETRYABLE_SQLSTATES)


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)
