"""Group commit: batches from many threads, failures kept to their own items, nothing lost."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar, cast

import pytest
from pydantic_core import PydanticSerializationError
from sqlalchemy import Table, bindparam, func, select, text

from telemetry_contracts.registry.service.audit import AUDIT, entry
from telemetry_contracts.registry.store.bulk import Plan, Read, Rows, next_ids
from telemetry_contracts.registry.store.database import Database
from telemetry_contracts.registry.store.group_commit import GroupCommit
from telemetry_contracts.registry.store.tables import AuditEntry, Blob

T = TypeVar("T")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A fresh store on each backend (PostgreSQL writes asynchronously on a loop)."""
    database = Database(database_url)
    yield database
    database.dispose()


def _targets(database: Database) -> list[str]:
    with database.read() as session:
        return list(session.scalars(select(AuditEntry.target).order_by(AuditEntry.id)))


def _audit_rows(items: Sequence[str]) -> Rows:
    return Rows(AUDIT, [entry("test", "write", item) for item in items])


Outcomes = Sequence[str | Exception]


class Recorder:
    """A store writing one audit row per item, refusing items named ``bad…``."""

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.threads: set[int] = set()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def __call__(self, items: Sequence[str]) -> Plan[Outcomes]:
        def then(_: list[object]) -> tuple[list[Rows], Outcomes]:
            self.entered.set()
            self.release.wait(10)
            self.batches.append(len(items))
            self.threads.add(threading.get_ident())
            good = [item for item in items if not item.startswith("bad")]
            return [_audit_rows(good)], [ValueError(item) if item.startswith("bad")
                                         else item.upper() for item in items]

        return Plan([], then)


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


def _failing_after_an_insert(items: Sequence[str]) -> Plan[Outcomes]:
    """Inserts the items, then a row the database refuses when an item is ``boom``."""
    refused = [{**entry("test", "write", "refused"), "actor": None}] if "boom" in items else []
    return Plan([], lambda _: ([_audit_rows(items), Rows(AUDIT, refused)], list(items)))


def test_a_failing_batch_writes_nothing_and_the_writer_goes_on(database: Database) -> None:
    writer = GroupCommit(database, _failing_after_an_insert)
    with pytest.raises(Exception, match=r"(?i)null"):
        writer.submit("boom").result(10)
    assert writer.submit("after").result(10) == "after"
    writer.close()
    assert _targets(database) == ["after"], "the failed batch was rolled back"


def test_a_failing_batch_on_the_loop_writes_nothing(database: Database) -> None:
    writer = GroupCommit(database, _failing_after_an_insert)

    async def main() -> None:
        await writer.start_writing_on_loop()
        with pytest.raises(Exception, match=r"(?i)null"):
            await asyncio.wrap_future(writer.submit("boom"))
        assert await asyncio.wrap_future(writer.submit("after")) == "after"
        await writer.stop_writing_on_loop()

    asyncio.run(main())
    writer.close()
    assert _targets(database) == ["after"], "the failed batch was rolled back"


def test_a_plan_that_raises_fails_its_batch(database: Database) -> None:
    def store(items: Sequence[str]) -> Plan[Outcomes]:
        def then(_: list[object]) -> tuple[list[Rows], Outcomes]:
            raise RuntimeError("cannot plan")

        return Plan([], then)

    writer = GroupCommit(database, store)
    with pytest.raises(RuntimeError, match="cannot plan"):
        writer.submit("x").result(10)
    writer.close()
    assert _targets(database) == []


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
    recorder = Recorder()
    writer = GroupCommit(database, recorder)

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
    assert recorder.threads == {threading.get_ident()}, "written on the loop's thread"
    assert recorder.batches[0] >= 20, recorder.batches  # one batch, the thread's item maybe too
    assert writer.submit("back on the thread").result(10) == "BACK ON THE THREAD"
    writer.close()
    assert len(_targets(database)) == 22


def test_callers_on_the_writing_loop_wait_on_its_own_futures(database: Database) -> None:
    recorder = Recorder()
    writer = GroupCommit(database, recorder)

    async def main() -> list[str]:
        await writer.start_writing_on_loop()
        waiting = [asyncio.ensure_future(writer.put(f"item-{n}")) for n in range(10)]
        gone = asyncio.ensure_future(writer.put("gone"))
        await asyncio.sleep(0)  # every item is queued; the batch is written next
        gone.cancel()
        results = await asyncio.gather(*waiting)
        with pytest.raises(ValueError, match="bad-one"):
            await writer.put("bad-one")
        await writer.stop_writing_on_loop()
        return results

    assert asyncio.run(main()) == [f"ITEM-{n}" for n in range(10)]
    assert recorder.batches[0] == 10, "one batch, without the caller that stopped waiting"
    writer.close()
    assert sorted(_targets(database)) == sorted(f"item-{n}" for n in range(10))


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


def _keyed_rows(database: Database, count: int) -> Plan[list[int]]:
    """Draws ``count`` keys and inserts an audit row under each."""
    def then(answers: list[list[int]]) -> tuple[list[Rows], list[int]]:
        keys = answers[0]
        return [Rows(AUDIT, [{**entry("test", "write", f"k{key}"), "id": key}
                             for key in keys])], keys

    return Plan([next_ids(database.write_engine.dialect, AUDIT, count)], then)


def test_keys_drawn_for_a_batch_are_fresh_and_ascending(database: Database) -> None:
    batches = [database.write_plan(_keyed_rows(database, 3)),
               database.write_plan(_keyed_rows(database, 2))]
    if database.writes_async:  # the same on the pipelined connection
        batches.append(asyncio.run(_on_loop(database, _keyed_rows(database, 2))))
    for batch in batches:
        assert batch == sorted(batch) and len(set(batch)) == len(batch)
    for earlier, later in itertools.pairwise(batches):
        assert min(later) > max(earlier), "keys already used are never handed out again"
    assert sorted(_targets(database)) == sorted(f"k{key}" for batch in batches for key in batch)


def test_a_large_batch_reads_back_as_written(database: Database) -> None:
    at = dt.datetime(2026, 11, 21, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    rows = [{**entry("tester", "write", f"row-{n}", {"n": n, "text": "tab\\t, \\\\ and 'quotes'",
                                                    "more": "line\nbreak, ünïcødé, 📈"}),
             "at": at} for n in range(16)]
    plan: Plan[None] = Plan([], lambda _: ([Rows(AUDIT, rows)], None))
    database.write_plan(plan)
    if database.writes_async:  # and on the pipelined connection
        asyncio.run(_on_loop(database, plan))
    with database.read() as session:
        stored = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    copies = 2 if database.writes_async else 1
    assert [row.target for row in stored] == [r["target"] for r in rows] * copies
    assert {row.at for row in stored} == {at}, "a zone-aware time comes back as the same instant"
    assert [row.detail for row in stored] == [r["detail"] for r in rows] * copies


@pytest.fixture
def postgres(postgres_database: Callable[[], str]) -> Iterator[Database]:
    """A fresh store on PostgreSQL, the backend that writes on a pipelined connection."""
    database = Database(postgres_database())
    yield database
    database.dispose()


@pytest.mark.postgres
def test_the_pipelined_reads_expand_lists(postgres: Database) -> None:
    database = postgres
    names = select(AuditEntry.target).where(AuditEntry.target.in_(
        bindparam("targets", expanding=True))).order_by(AuditEntry.target)
    database.write_plan(Plan([], lambda _: ([_audit_rows(["a", "b", "c"])], None)))
    plan = Plan([Read(names, {"targets": ["c", "a", "z"]}), Read(names, {"targets": []})],
                lambda answers: ([], answers))
    assert asyncio.run(_on_loop(database, plan)) == [[("a",), ("c",)], []]


@pytest.mark.postgres
def test_a_broken_pipelined_connection_is_replaced(postgres: Database) -> None:
    database = postgres

    async def main() -> None:
        await database.write_plan_async(Plan([], lambda _: ([_audit_rows(["before"])], None)))
        backend = database._pipeline.info.backend_pid
        with database.read() as session:  # the server ends that connection
            session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        with pytest.raises(Exception, match=r"(?i)terminat|closed|connection"):
            await database.write_plan_async(Plan([], lambda _: ([_audit_rows(["lost"])], None)))
        await database.write_plan_async(Plan([], lambda _: ([_audit_rows(["after"])], None)))
        await database.dispose_async()

    asyncio.run(main())
    assert _targets(database) == ["before", "after"]


@pytest.mark.postgres
def test_the_pipelined_inserts_refuse_values_json_cannot_carry(postgres: Database) -> None:
    blobs = [{"body_hash": "h", "size": 3, "data": b"\x00\xff\x10"}]
    plan: Plan[None] = Plan([], lambda _: ([Rows(cast(Table, Blob.__table__), blobs)], None))
    with pytest.raises(PydanticSerializationError, match="unknown type"):
        asyncio.run(_on_loop(postgres, plan))
    with postgres.read() as session:
        assert session.scalar(select(func.count()).select_from(Blob)) == 0


async def _on_loop(database: Database, plan: Plan[T]) -> T:
    try:
        return await database.write_plan_async(plan)
    finally:
        await database.dispose_async()
