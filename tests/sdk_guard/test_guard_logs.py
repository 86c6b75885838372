"""The log record processor inside a real LoggerProvider, first in the processor chain."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pytest
from guard_pipelines import LogExporter, LogExportResult, Logs, dropped_attributes, emit_log
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import (
    SimpleLogRecordProcessor,
)

from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.sdk_guard import Guard


def attributes_of(record: object) -> dict[str, object]:
    return dict(record.log_record.attributes or {})  # type: ignore[attr-defined]


def test_log_attributes_renamed_dropped_redacted(guard: Guard) -> None:
    record = Logs(guard).emit(
        {"shop.order_id": "o", "junk": 1, "shop.card.token": "t", "shop.items": 2}
    )
    assert attributes_of(record) == {
        "shop.order.id": "o",
        "shop.card.token": "[redacted]",
        "shop.items": 2,
    }
    assert dropped_attributes(record) == 1
    assert guard.accounting.get(signal="log", rule="TC802", action="drop") == 1


def test_conforming_record_is_untouched(guard: Guard) -> None:
    record = Logs(guard).emit({"shop.items": 2})
    assert attributes_of(record) == {"shop.items": 2}
    assert guard.accounting.totals() == {}


def test_pass_and_report(snapshot: Snapshot) -> None:
    passing = Guard.from_snapshot(snapshot, actions={"unknown_attribute": "pass"}, environ={})
    assert attributes_of(Logs(passing).emit({"junk": 1})) == {"junk": 1}
    reporting = Guard.from_snapshot(snapshot, mode="report", environ={})
    assert attributes_of(Logs(reporting).emit({"shop.order_id": "o"})) == {"shop.order_id": "o"}
    assert reporting.accounting.get(signal="log", action="report") == 1


class SerializingExporter(LogExporter):  # type: ignore[misc]
    """Copies the attributes at export time, as a wire exporter serializes them."""

    def __init__(self) -> None:
        self.exported: list[dict[str, object]] = []

    def export(self, batch: Sequence[Any]) -> Any:
        self.exported.extend(dict(r.log_record.attributes or {}) for r in batch)
        return LogExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def test_exporter_added_before_the_guard_sees_the_raw_record(guard: Guard) -> None:
    """Why the guard must come first: processors share one record and run in order."""
    early, late = SerializingExporter(), SerializingExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(early))
    provider.add_log_record_processor(guard.log_record_processor())
    provider.add_log_record_processor(SimpleLogRecordProcessor(late))
    emit_log(provider.get_logger("t"), {"junk": 1, "shop.items": 1}, "x")
    assert early.exported == [{"junk": 1, "shop.items": 1}]
    assert late.exported == [{"shop.items": 1}]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_stdlib_logging_through_the_handler(guard: Guard) -> None:
    logs = Logs(guard)
    logger = logging.getLogger("shop.test")
    handler = LoggingHandler(logger_provider=logs.provider)
    logger.addHandler(handler)
    try:
        logger.warning("order", extra={"shop.order_id": "o", "junk": 1})
    finally:
        logger.removeHandler(handler)
    attributes = attributes_of(logs.exporter.get_finished_logs()[-1])
    assert attributes.get("shop.order.id") == "o"
    assert "junk" not in attributes and "shop.order_id" not in attributes
