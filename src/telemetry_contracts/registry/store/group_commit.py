"""Group commit: small writes from many callers stored together, one transaction per batch."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from telemetry_contracts.registry.store.database import Database

Item = TypeVar("Item")
Result = TypeVar("Result")
Store = Callable[[Session, Sequence[Item]], Sequence["Result | Exception"]]
Schedule = Callable[[Callable[[], None]], object]
"""Runs a callable soon on a thread of its choosing, as ``loop.call_soon_threadsafe`` does."""


class GroupCommit(Generic[Item, Result]):
    """Callers :meth:`submit` an item and wait on its future; every item waiting (up to
    ``max_batch``) is stored with ``store`` in one transaction.

    Under load a transaction, its round trips and its commit are shared by the whole batch
    instead of paid by each request. ``store`` returns one result per item, in order; an
    exception in that list fails only its own item, which it did not write. An exception
    raised out of ``store`` (or the commit) fails every item of the batch: nothing was written.

    Batches are written by a thread of this object's own, or through :meth:`write_with`.
    """

    def __init__(self, database: Database, store: Store[Item, Result], *,
                 max_batch: int = 256, name: str = "group-commit") -> None:
        self.database = database
        self.store = store
        self.max_batch = max_batch
        self.name = name
        self._lock = threading.Lock()
        self._closed = False
        self._queue: queue.SimpleQueue[tuple[Item, Future[Result]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._schedule: Schedule | None = None
        self._pending: list[tuple[Item, Future[Result]]] = []
        self._flush_scheduled = False

    def write_with(self, schedule: Schedule | None) -> None:
        """Write batches through ``schedule`` instead of on this object's thread (None: back to
        the thread); what is waiting now is written at once, on the calling thread.

        Given an event loop's ``call_soon_threadsafe``, a batch is written on the loop's own
        thread between its callbacks. Python threads take turns on the GIL, and a database
        driver gives it up around every call: a writer thread must then win it back from a
        busy loop each time, which stretches one batch over many milliseconds and costs far
        more CPU than the write itself. On the loop, a batch holds it for its own duration
        only (well under a millisecond on SQLite).
        """
        with self._lock:
            self._schedule = schedule
            waiting, self._pending = self._pending, []
        self._write(waiting)

    def submit(self, item: Item) -> Future[Result]:
        """Queue ``item``; the future gives its result once its batch has committed."""
        future: Future[Result] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.name} is closed")
            schedule = self._schedule
            if schedule is None:
                if self._thread is None:  # started on first use: forked workers start their own
                    self._thread = threading.Thread(target=self._run, name=self.name,
                                                    daemon=True)
                    self._thread.start()
                self._queue.put((item, future))
                return future
            self._pending.append((item, future))
            if self._flush_scheduled:
                return future
            self._flush_scheduled = True
        schedule(self._flush)
        return future

    def close(self) -> None:
        """Store what is waiting, then stop the thread."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
            waiting, self._pending = self._pending, []
        self._write(waiting)
        if thread is not None:
            thread.join()

    def _flush(self) -> None:
        with self._lock:
            waiting, self._pending, self._flush_scheduled = self._pending, [], False
        self._write(waiting)

    def _run(self) -> None:
        while True:
            entry = self._queue.get()
            waiting: list[tuple[Item, Future[Result]]] = []
            while entry is not None:
                waiting.append(entry)
                if len(waiting) >= self.max_batch:
                    break
                try:
                    entry = self._queue.get_nowait()
                except queue.Empty:
                    break
            self._write(waiting)
            if entry is None:
                return

    def _write(self, waiting: list[tuple[Item, Future[Result]]]) -> None:
        """Store ``waiting`` in batches of ``max_batch``; a cancelled caller's item is dropped."""
        live = [entry for entry in waiting if entry[1].set_running_or_notify_cancel()]
        for start in range(0, len(live), self.max_batch):
            self._commit(live[start:start + self.max_batch])

    def _commit(self, batch: list[tuple[Item, Future[Result]]]) -> None:
        items = [item for item, _ in batch]
        try:
            results = self.database.write(lambda session: self.store(session, items))
        except Exception as error:  # every waiting caller must hear of it
            for _, future in batch:
                future.set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
