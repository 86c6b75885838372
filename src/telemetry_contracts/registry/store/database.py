"""The store handle: engines and sessions for reads and for serialised writes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

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

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.read_engine.dispose()
        self.write_engine.dispose()


def _retryable(error: DBAPIError) -> bool:
    """A lost race for a unique value, a serialization failure or a deadlock: run it again."""
    return isinstance(error, IntegrityError) or _sqlstate(error) in _RETRYABLE_SQLSTATES


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)
