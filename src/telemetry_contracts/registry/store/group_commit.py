"""Group commit: small writes from many callers stored together, one transaction per batch."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

from telemetry_contracts.registry.store.bulk import Plan
from telemetry_contracts.registry.store.database import Database

Item = TypeVar("Item")
Result = TypeVar("Result")
Results = Sequence[Result | Exception]
Store = Callable[[Sequence[Item]], Plan[Results[Result]]]
Outcome = Results[Result] | Exception
"""A batch's result per item, or the error that failed the whole batch."""
Waiter = Future[Result] | asyncio.Future[Result]
"""A caller's future: thread-safe, or the writing loop's own (:meth:`GroupCommit.put`)."""
Waiting = list[tuple[Item, Waiter[Result]]]


class GroupCommit(Generic[Item, Result]):
    """Callers :meth:`submit` an item and wait on its future; every item waiting (up to
    ``max_batch``) is stored in one transaction, as the :class:`Plan` ``store`` makes for them.

    Under load a transaction, its round trips and its commit are shared by the whole batch
    instead of paid by each request. The plan's result has one entry per item, in order; an
    exception in it fails only its own item, which the plan did not insert. An exception
    raised out of the plan (or the commit) fails every item of the batch: nothing was written.

    Batches are written by a thread of this object's own, or on an event loop: see
    :meth:`start_writing_on_loop`.
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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: Waiting[Item, Result] = []
        self._flushing = False
        self._drain: asyncio.Task[None] | None = None

    async def start_writing_on_loop(self) -> None:
        """Write batches on the running event loop's thread from now on, until
        :meth:`stop_writing_on_loop`; a database with an asyncio driver connects first.

        Python threads take turns on the GIL, and a database driver gives it up around every
        call: a writer thread must then win it back from a busy loop each time, which
        stretches one batch over many milliseconds and costs far more CPU than the write.
        On the loop, with a database that has an asyncio driver (PostgreSQL), a batch awaits
        each answer while the loop serves requests, and the next batch gathers meanwhile;
        otherwise (SQLite, no network) it runs as one call between the loop's callbacks.
        """
        if self.database.writes_async:
            await self.database.connect_async()
        with self._lock:
            self._loop, self._flushing = asyncio.get_running_loop(), False

    async def stop_writing_on_loop(self) -> None:
        """Write what waits, go back to this object's thread for what comes next and release
        the loop's connections (called on the loop)."""
        with self._lock:
            self._loop = None
            drain = self._drain
        if drain is not None:
            await drain
        if self.database.writes_async:
            await self._write_async()
        else:
            self._write_pending()
        await self.database.dispose_async()

    def submit(self, item: Item) -> Future[Result]:
        """Queue ``item``; the future gives its result once its batch has committed."""
        future: Future[Result] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.name} is closed")
            loop = self._loop
            if loop is None:
                if self._thread is None:  # started on first use: forked workers start their own
                    self._thread = threading.Thread(target=self._run, name=self.name,
                                                    daemon=True)
                    self._thread.start()
                self._queue.put((item, future))
                return future
            schedule = self._join_loop_batch(item, future)
        if schedule:
            loop.call_soon_threadsafe(self._flush_on_loop)
        return future

    async def put(self, item: Item) -> Result:
        """Queue ``item`` and await its result. On the loop that writes the batches the
        caller waits on that loop's own future, without a thread-safe one and its wake-ups;
        anywhere else this is :meth:`submit`."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._loop is not loop or self._closed:
                future = None
            else:
                future = loop.create_future()
                schedule = self._join_loop_batch(item, future)
        if future is None:
            return await asyncio.wrap_future(self.submit(item))
        if schedule:
            loop.call_soon(self._flush_on_loop)
        return await future

    def _join_loop_batch(self, item: Item, future: Waiter[Result]) -> bool:
        """Queue ``item`` for the loop's next batch (with the lock held); True when no flush
        is scheduled yet, so the caller must schedule one."""
        self._pending.append((item, future))
        schedule, self._flushing = not self._flushing, True
        return schedule

    def close(self) -> None:
        """Store what is waiting, then stop the thread."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        self._write_pending()
        if thread is not None:
            thread.join()

    def _flush_on_loop(self) -> None:
        if self.database.writes_async:
            self._drain = asyncio.get_running_loop().create_task(self._write_async())
        else:
            self._write_pending()

    def _write_pending(self) -> None:
        """Write what was queued for the loop, here and now."""
        with self._lock:
            waiting, self._pending, self._flushing = self._pending, [], False
        self._write(waiting)

    async def _write_async(self) -> None:
        """Write what waits, batch after batch, until nothing does."""
        while True:
            with self._lock:
                waiting, self._pending = self._pending, []
                if not waiting:
                    self._flushing, self._drain = False, None
                    return
            for batch, items in self._batches(waiting):
                try:
                    outcome: Outcome[Result] = await self.database.write_plan_async(
                        self.store(items))
                except Exception as error:  # every waiting caller must hear of it
                    outcome = error
                _settle(batch, outcome)

    def _run(self) -> None:
        while True:
            entry = self._queue.get()
            waiting: Waiting[Item, Result] = []
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

    def _write(self, waiting: Waiting[Item, Result]) -> None:
        """Store ``waiting`` on this thread (see :meth:`_batches`)."""
        for batch, items in self._batches(waiting):
            try:
                outcome: Outcome[Result] = self.database.write_plan(self.store(items))
            except Exception as error:  # every waiting caller must hear of it
                outcome = error
            _settle(batch, outcome)

    def _batches(self, waiting: Waiting[Item, Result]
                 ) -> Iterator[tuple[Waiting[Item, Result], list[Item]]]:
        """Batches of at most ``max_batch`` entries, each with its items; a cancelled caller's
        item is dropped."""
        live = [entry for entry in waiting if _still_wanted(entry[1])]
        for start in range(0, len(live), self.max_batch):
            batch = live[start:start + self.max_batch]
            yield batch, [item for item, _ in batch]


def _still_wanted(future: Waiter[Result]) -> bool:
    """False for a cancelled caller; a thread-safe future can no longer be cancelled after."""
    if isinstance(future, Future):
        return future.set_running_or_notify_cancel()
    return not future.done()


def _settle(batch: Waiting[Item, Result], outcome: Outcome[Result]) -> None:
    """Complete each caller's future with its result, its own refusal or the batch's error
    (a caller on the loop may have stopped waiting meanwhile)."""
    results = [outcome] * len(batch) if isinstance(outcome, Exception) else outcome
    for (_, future), result in zip(batch, results, strict=True):
        if future.done():
            continue
        if isinstance(result, Exception):
            future.set_exception(result)
        else:
            future.set_result(result)
