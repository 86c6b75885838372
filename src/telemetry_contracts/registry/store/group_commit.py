"""Group commit: small writes from many callers stored by one thread, one transaction per batch."""

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


class GroupCommit(Generic[Item, Result]):
    """Callers :meth:`submit` an item and wait on its future; one thread takes every item
    waiting (up to ``max_batch``) and stores them all with ``store`` in one transaction.

    Under load a transaction, its round trips and its commit are shared by the whole batch
    instead of paid by each request. ``store`` returns one result per item, in order; an
    exception in that list fails only its own item, which it did not write. An exception
    raised out of ``store`` (or the commit) fails every item of the batch: nothing was written.
    """

    def __init__(self, database: Database, store: Store[Item, Result], *,
                 max_batch: int = 256, name: str = "group-commit") -> None:
        self.database = database
        self.store = store
        self.max_batch = max_batch
        self.name = name
        self._queue: queue.SimpleQueue[tuple[Item, Future[Result]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, item: Item) -> Future[Result]:
        """Queue ``item``; the future gives its result once its batch has committed."""
        future: Future[Result] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.name} is closed")
            if self._thread is None:  # started on first use: forked workers start their own
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._queue.put((item, future))
        return future

    def close(self) -> None:
        """Store what is queued, then stop the thread."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            entry = self._queue.get()
            batch: list[tuple[Item, Future[Result]]] = []
            while entry is not None:
                if entry[1].set_running_or_notify_cancel():  # a cancelled caller is not stored
                    batch.append(entry)
                if len(batch) >= self.max_batch:
                    break
                try:
                    entry = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._commit(batch)
            if entry is None:
                return

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
