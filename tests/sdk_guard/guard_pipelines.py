"""Real SDK pipelines with the guard in place and in-memory exporters, for the guard's tests."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs import export as logs_export
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from telemetry_contracts.sdk_guard import Guard


class Spans:
    """A tracer provider whose only processor is the guard around a simple in-memory export."""

    def __init__(self, guard: Guard) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(guard.span_processor(SimpleSpanProcessor(self.exporter)))
        self.tracer = self.provider.get_tracer("test")

    def emit(self, attributes: dict[str, Any], **kwargs: Any) -> Any:
        with self.tracer.start_as_current_span("op", attributes=attributes, **kwargs):
            pass
        return self.exporter.get_finished_spans()[-1]


class Metrics:
    """A guarded meter provider over an SDK provider read by an in-memory reader."""

    def __init__(self, guard: Guard) -> None:
        self.reader = InMemoryMetricReader()
        self.sdk_provider = MeterProvider(metric_readers=[self.reader])
        self.provider = guard.meter_provider(self.sdk_provider)
        self.meter = self.provider.get_meter("test")

    def points(self) -> dict[str, list[tuple[dict[str, Any], Any]]]:
        """Metric name to (attributes, value-or-sum) of each data point."""
        out: dict[str, list[tuple[dict[str, Any], Any]]] = {}
        data = self.reader.get_metrics_data()
        for resource_metrics in data.resource_metrics if data else ():
            for scope in resource_metrics.scope_metrics:
                for metric in scope.metrics:
                    out[metric.name] = [
                        (dict(p.attributes or {}), getattr(p, "value", getattr(p, "sum", None)))
                        for p in metric.data.data_points
                    ]
        return out


# The SDK's names before and after the ``LogRecord*`` renames.
InMemoryLogExporter: Any = getattr(
    logs_export, "InMemoryLogRecordExporter", getattr(logs_export, "InMemoryLogExporter", None)
)
LogExporter: Any = getattr(
    logs_export, "LogRecordExporter", getattr(logs_export, "LogExporter", None)
)
LogExportResult: Any = getattr(
    logs_export, "LogRecordExportResult", getattr(logs_export, "LogExportResult", None)
)


def dropped_attributes(record: Any) -> int:
    """The dropped count of an exported log record (on the record or, before, inside it)."""
    found = getattr(record, "dropped_attributes", None)
    return int(record.log_record.dropped_attributes if found is None else found)


class Logs:
    """A logger provider whose only processor is the guard around a simple in-memory export
    (``first=True``: the older form, the guard added first and the export after it)."""

    def __init__(self, guard: Guard, first: bool = False) -> None:
        self.exporter = InMemoryLogExporter()
        self.provider = LoggerProvider()
        export = SimpleLogRecordProcessor(self.exporter)
        if first:
            self.provider.add_log_record_processor(guard.log_record_processor())
            self.provider.add_log_record_processor(export)
        else:
            self.provider.add_log_record_processor(guard.log_record_processor(export))
        self.logger = self.provider.get_logger("test")

    def emit(self, attributes: dict[str, Any] | None, body: str = "hello") -> Any:
        emit_log(self.logger, attributes, body)
        return self.exporter.get_finished_logs()[-1]


def emit_log(logger: Any, attributes: dict[Any, Any] | None, body: str = "hello") -> None:
    """``logger.emit`` with keywords where the SDK takes them, else with an SDK record."""
    try:
        logger.emit(body=body, attributes=attributes)
    except TypeError:  # before keyword emits: one LogRecord argument
        from opentelemetry.sdk._logs import LogRecord

        logger.emit(LogRecord(body=body, attributes=attributes))
