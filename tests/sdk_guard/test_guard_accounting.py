"""The guard's accounts stay bounded under high-cardinality keys (capped, clipped, made room
for after each report), and the guard says what it enforces."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from guard_pipelines import Metrics, Spans
from registry_server import RegistryServer

from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.schemas.usage import UsageReport
from telemetry_contracts.sdk_guard import Guard
from telemetry_contracts.sdk_guard.accounting import (
    MAX_LINES,
    NAME_LIMIT,
    OVERFLOW_NAME,
    Accounting,
    CountKey,
)


def test_distinct_unknown_keys_cost_bounded_lines(snapshot: Snapshot) -> None:
    guard = Guard.from_snapshot(snapshot, environ={})
    spans = Spans(guard)
    distinct = MAX_LINES + 2_000
    for index in range(distinct):
        with spans.tracer.start_as_current_span("op", attributes={f"debug.k{index}": 1}):
            pass
    totals = guard.accounting.totals()
    assert len(totals) <= MAX_LINES + 1
    overflow = CountKey("span", OVERFLOW_NAME, "TC802", "drop")
    assert totals[overflow] >= distinct - MAX_LINES
    # nothing is lost: every dropped key is counted once, on its own line or the overflow
    assert sum(totals.values()) == distinct
    assert all(dict(s.attributes) == {} for s in spans.exporter.get_finished_spans())


def test_long_names_are_clipped() -> None:
    accounting = Accounting()
    accounting.add(CountKey("metric", "x" * 100_000, "TC801", "drop", "m" * 1_000))
    (key,) = accounting.totals()
    assert len(key.name) == NAME_LIMIT and key.metric is not None
    assert len(key.metric) == NAME_LIMIT


def test_rebinding_instruments_does_not_grow_the_cells(snapshot: Snapshot) -> None:
    guard = Guard.from_snapshot(snapshot, environ={})
    counter = Metrics(guard).meter.create_counter("shop.unknown")
    counter.add(1)
    for _ in range(50):
        guard.install(guard.policy.contracts)
        counter.add(1)
    assert len(guard.accounting._cells) == 1
    assert guard.accounting.get(name="shop.unknown", rule="TC801") == 51


def test_one_line_at_start_and_on_every_change(
    snapshot_file: Path, snapshot: Snapshot, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="telemetry_contracts.sdk_guard"):
        guard = Guard.from_file(snapshot_file, environ={}, mode="report")
        newer = snapshot.model_copy(update={"version": "1.1.0"})
        guard.load_bytes(newer.to_json_bytes())
    lines = [r.getMessage() for r in caplog.records if "enforcing" in r.getMessage()]
    assert len(lines) == 2
    first, second = lines
    assert f"snapshot shop 1.0.0 ({snapshot.content_hash})" in first
    assert f"from file {snapshot_file}" in first
    assert "mode report, on_error pass; OpenTelemetry SDK " in first
    assert "path" in first
    assert "snapshot shop 1.1.0" in second


def test_each_report_makes_room_for_new_lines(snapshot: Snapshot) -> None:
    server = RegistryServer(snapshot.to_json_bytes())
    guard = Guard.from_snapshot(snapshot, environ={})
    guard.accounting.max_lines = 20
    try:
        sender = guard.start_reporting(server.url, service_name="shop", interval=3600)
        spans = Spans(guard)

        def burst(prefix: str) -> None:
            for index in range(20):
                with spans.tracer.start_as_current_span("op", attributes={f"{prefix}{index}": 1}):
                    pass

        burst("debug.a")
        assert sender.force_flush()  # reports all 20 lines
        for _ in range(2):  # nothing new: the idle plans hand over, then the lines go
            assert sender.force_flush()
        burst("debug.b")  # 20 new lines fit again: no overflow
        assert sender.force_flush()
        reported = [
            (c.name, c.count)
            for body in server.usage
            for c in UsageReport.model_validate(body).counts
        ]
        assert sorted(reported) == sorted(
            [(f"debug.a{i}", 1) for i in range(20)] + [(f"debug.b{i}", 1) for i in range(20)]
        )
        assert OVERFLOW_NAME not in {name for name, _ in reported}
        assert len(guard.accounting.totals()) == 20
    finally:
        guard.shutdown()
        server.close()
