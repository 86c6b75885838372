"""The store handle: engines and sessions for reads and for serialised writes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from telemetry_contracts.registry.store.engine import (
    POSTGRES_OPTIONS,
    is_sqlite,
    make_engine,
    upgrade_database,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

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
        self._async_engine: AsyncEngine | None = None

    @property
    def writes_async(self) -> bool:
        """True when :meth:`write_async` is available (PostgreSQL: psycopg's asyncio mode)."""
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

    async def write_async(self, work: Callable[[Session], T], *, attempts: int = 5) -> T:
        """:meth:`write` for an event loop: the same synchronous ``work``, run by SQLAlchemy's
        greenlet bridge over an asyncio driver, so the loop serves other requests while the
        database answers. Its engine belongs to the first loop that calls this; see
        :meth:`dispose_async`.
        """
        engine = self._async()
        for attempt in range(attempts):
            try:
                async with engine.begin() as connection:
                    return await connection.run_sync(_in_session, work)
            except DBAPIError as error:
                if not _retryable(error) or attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    async def connect_async(self) -> None:
        """Open :meth:`write_async`'s first connection now rather than in the first write."""
        async with self._async().connect():
            pass

    def _async(self) -> AsyncEngine:
        if self._async_engine is None:
            # Imported here: only a server writing to PostgreSQL needs it (and greenlet).
            from sqlalchemy.ext.asyncio import create_async_engine

            self._async_engine = create_async_engine(
                self.url, pool_size=5, max_overflow=5, pool_pre_ping=True, **POSTGRES_OPTIONS)
        return self._async_engine

    async def dispose_async(self) -> None:
        """Close the connections :meth:`write_async` opened (on the loop that opened them)."""
        engine, self._async_engine = self._async_engine, None
        if engine is not None:
            await engine.dispose()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.read_engine.dispose()
        self.write_engine.dispose()


def _in_session(connection: Connection, work: Callable[[Session], T]) -> T:
    """``work`` in a session joined to ``connection``'s transaction (its owner commits)."""
    with Session(bind=connection) as session:
        return work(session)


def _retryable(error: DBAPIError) -> bool:
    """A lost race for a unique value, a serialization failure or a deadlock: run it again."""
    return isinstance(error, IntegrityError) or _sqlstate(error) in _RETRYABLE_SQLSTATES


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)
