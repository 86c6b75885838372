"""Group commit: batches from many threads, failures kept to their own items, nothing lost."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import cast

import pytest
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from telemetry_contracts.registry.service.audit import entry, record_all
from telemetry_contracts.registry.store.bulk import COPY_FROM, insert_rows, next_ids
from telemetry_contracts.registry.store.database import Database
from telemetry_contracts.registry.store.group_commit import GroupCommit
from telemetry_contracts.registry.store.tables import AuditEntry


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A fresh store on each backend (PostgreSQL writes asynchronously on a loop)."""
    database = Database(database_url)
    yield database
    database.dispose()


def _targets(database: Database) -> list[str]:
    with database.read() as session:
        return list(session.scalars(select(AuditEntry.target).order_by(AuditEntry.id)))


class Recorder:
    """A store function writing one audit row per item, refusing items named ``bad…``."""

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def __call__(self, session: Session, items: Sequence[str]) -> list[str | Exception]:
        self.entered.set()
        self.release.wait(10)
        self.batches.append(len(items))
        good = [item for item in items if not item.startswith("bad")]
        record_all(session, [entry("test", "write", item) for item in good])
        return [ValueError(item) if item.startswith("bad") else item.upper() for item in items]


def test_waiting_items_share_one_transaction(database: Database) -> None:
    recorder = Recorder()
    writer = GroupCommit(database, recorder)
    recorder.release.clear()  # hold the first batch so the others queue behind it
    first = writer.submit("item-0")
    with ThreadPoolExecutor(16) as pool:
        futures = list(pool.map(writer.submit, [f"item-{n}" for n in range(1, 64)]))
    recorder.release.set()
    assert [f.result(10) for f in [first, *futures]] == [f"ITEM-{n}" for n in range(64)]
    writer.close()
    assert sorted(_targets(database)) == sorted(f"item-{n}" for n in range(64))
    assert sum(recorder.batches) == 64
    assert len(recorder.batches) < 64, recorder.batches


def test_a_refused_item_fails_alone(database: Database) -> None:
    recorder = Recorder()
    writer = GroupCommit(database, recorder)
    recorder.release.clear()
    futures = [writer.submit(name) for name in ("a", "bad-b", "c")]
    recorder.release.set()
    assert futures[0].result(10) == "A" and futures[2].result(10) == "C"
    with pytest.raises(ValueError, match="bad-b"):
        futures[1].result(10)
    writer.close()
    assert sorted(_targets(database)) == ["a", "c"]


def test_a_failing_batch_writes_nothing_and_the_writer_goes_on(database: Database) -> None:
    calls: list[Sequence[str]] = []

    def store(session: Session, items: Sequence[str]) -> list[str | Exception]:
        calls.append(items)
        record_all(session, [entry("test", "write", item) for item in items])
        if "boom" in items:
            raise RuntimeError("the database went away")
        return list(items)

    writer = GroupCommit(database, store)
    with pytest.raises(RuntimeError, match="went away"):
        writer.submit("boom").result(10)
    assert writer.submit("after").result(10) == "after"
    writer.close()
    assert _targets(database) == ["after"], "the failed batch was rolled back"


def test_cancelled_items_are_not_stored(database: Database) -> None:
    recorder = Recorder()
    writer = GroupCommit(database, recorder)
    recorder.release.clear()
    writer.submit("first")
    assert recorder.entered.wait(10)  # the writer holds "first"; the next ones queue
    cancelled: Future[str] = writer.submit("cancelled")
    kept = writer.submit("kept")
    assert cancelled.cancel()
    recorder.release.set()
    assert kept.result(10) == "KEPT"
    writer.close()
    assert "cancelled" not in _targets(database)


def test_close_stores_what_is_queued_then_refuses(database: Database) -> None:
    recorder = Recorder()
    writer = GroupCommit(database, recorder)
    futures = [writer.submit(f"q{n}") for n in range(10)]
    writer.close()
    assert all(f.done() for f in futures)
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 10
    with pytest.raises(RuntimeError, match="closed"):
        writer.submit("late")


def test_batches_can_be_written_on_an_event_loop(database: Database) -> None:
    threads: set[int] = set()
    recorder = Recorder()

    def store(session: Session, items: Sequence[str]) -> list[str | Exception]:
        threads.add(threading.get_ident())
        return recorder(session, items)

    writer = GroupCommit(database, store)

    async def main() -> list[str]:
        await writer.start_writing_on_loop()
        # Items submitted within one pass of the loop share a batch; a worker thread's item
        # is written on the loop too, and its caller may block on the result.
        futures = [asyncio.wrap_future(writer.submit(f"item-{n}")) for n in range(20)]
        from_thread = await asyncio.to_thread(lambda: writer.submit("threaded").result(10))
        results = await asyncio.gather(*futures)
        refused = writer.submit("bad-one")
        await writer.stop_writing_on_loop()
        with pytest.raises(ValueError, match="bad-one"):
            refused.result(0)
        return [*results, from_thread]

    results = asyncio.run(main())
    assert results == [f"ITEM-{n}" for n in range(20)] + ["THREADED"]
    assert threads == {threading.get_ident()}, "written on the loop's thread"
    assert recorder.batches[0] >= 20, recorder.batches  # one batch, the thread's item maybe too
    assert writer.submit("back on the thread").result(10) == "BACK ON THE THREAD"
    writer.close()
    assert len(_targets(database)) == 22


def test_leaving_the_loop_writes_what_waits(database: Database) -> None:
    writer = GroupCommit(database, Recorder())

    async def main() -> list[Future[str]]:
        await writer.start_writing_on_loop()
        futures = [writer.submit(f"w{n}") for n in range(3)]
        await writer.stop_writing_on_loop()
        return futures

    futures = asyncio.run(main())
    assert [f.result(0) for f in futures] == ["W0", "W1", "W2"]
    writer.close()
    assert sorted(_targets(database)) == ["w0", "w1", "w2"]


def test_keys_drawn_for_a_batch_are_fresh_and_ascending(database: Database) -> None:
    table = cast(Table, AuditEntry.__table__)

    def work(session: Session) -> tuple[list[int], list[int]]:
        connection = session.connection()
        first = next_ids(connection, table, 3)
        connection.execute(insert(table), [{**entry("test", "write", f"k{key}"), "id": key}
                                           for key in first])
        return first, next_ids(connection, table, 2)

    first, second = database.write(work)
    assert first == sorted(first) and second == sorted(second) and len(set(first)) == 3
    assert min(second) > max(first), "keys already used are never handed out again"
    with database.read() as session:
        assert next_ids(session.connection(), table, 0) == []
    assert sorted(_targets(database)) == [f"k{key}" for key in first]


def test_a_large_batch_reads_back_as_written(database: Database) -> None:
    table = cast(Table, AuditEntry.__table__)
    at = dt.datetime(2026, 11, 21, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    rows = [{**entry("tester", "write", f"row-{n}", {"n": n, "text": "tab\\t, \\\\ and 'quotes'"}),
             "at": at} for n in range(COPY_FROM * 2)]

    def work(session: Session) -> None:
        insert_rows(session.connection(), table, rows)

    database.write(work)
    if database.writes_async:  # the same through the asyncio driver
        asyncio.run(_write_async_then_dispose(database, work))
    with database.read() as session:
        stored = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    copies = 2 if database.writes_async else 1
    assert [row.target for row in stored] == [r["target"] for r in rows] * copies
    assert {row.at for row in stored} == {at}, "a zone-aware time comes back as the same instant"
    assert stored[1].detail == rows[1]["detail"]


async def _write_async_then_dispose(database: Database, work: Callable[[Session], None]) -> None:
    await database.write_async(work)
    await database.dispose_async()
