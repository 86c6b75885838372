"""An instrumented app for the live-check tests: the OpenTelemetry SDK with the real OTLP
exporters (gzip on), sending the spans, metrics and logs that ``EXPECTED`` describes.

``python otlp_app.py http URL`` / ``grpc HOST:PORT`` exports over the network;
``python otlp_app.py json FILE`` writes the same telemetry as OTLP JSON Lines, encoded by the
exporters' own encoders.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

SERVICE = "checkout-api"
SPANS = 5
"""Spans sent, each with the attributes of ``emit``."""


def emit(tracer_provider: TracerProvider, meter_provider: MeterProvider,
         logger_provider: LoggerProvider) -> None:
    tracer = tracer_provider.get_tracer("shop")
    for _ in range(SPANS):
        with tracer.start_as_current_span("checkout") as span:
            span.set_attribute("http.request.method", "POST")
            span.set_attribute("http.method", "POST")              # deprecated: TC803
            span.set_attribute("shop.cart.items", "3")             # wrong type: TC804
            span.set_attribute("shop.payment.method", "bitcoin")   # not a member: TC805
            span.set_attribute("shop.customer.email", "jane@example.com")  # pii: TC806
            span.set_attribute("shop.debug.blob", "x" * 10)        # unknown: TC802
    meter = meter_provider.get_meter("shop")
    duration = meter.create_histogram("shop.checkout.duration", unit="ms")  # unit: TC809
    duration.record(420, {"shop.payment.method": "card"})
    orders = meter.create_counter("shop.orders.placed", unit="{order}")
    orders.add(1, {"shop.payment.method": "card", "shop.region": "eu"})
    orders.add(1, {"shop.region": "eu"})                           # missing required: TC810
    meter.create_counter("shop.queue.length", unit="{order}").add(1)  # instrument: TC808
    meter.create_counter("shop.orders.v2", unit="{order}").add(1)     # unknown: TC801
    logger = logging.getLogger("shop.app")
    logger.propagate = False
    logger.addHandler(LoggingHandler(logger_provider=logger_provider))
    logger.warning("payment declined", extra={"shop.cart.items": 2, "shop.tenant": "acme"})


LEGACY_CODE_KEYS = ("code.filepath", "code.function", "code.lineno")
"""Where a log call was made, in the names semantic conventions used until ``code.file.path``
and its siblings replaced them (deprecated since): older SDKs' ``LoggingHandler`` sets them."""


def _in_memory_logs() -> Any:
    try:
        from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
    except ImportError:  # its name in older SDKs
        from opentelemetry.sdk._logs.export import (  # type: ignore[attr-defined,no-redef]
            InMemoryLogExporter as InMemoryLogRecordExporter,
        )
    return InMemoryLogRecordExporter()


def handler_legacy_keys() -> set[str]:
    """The keys of :data:`LEGACY_CODE_KEYS` that this SDK's ``LoggingHandler`` puts on a
    record."""
    logs = _in_memory_logs()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    logger = logging.getLogger("otlp_app.probe")
    logger.propagate = False
    handler = LoggingHandler(logger_provider=provider)
    logger.addHandler(handler)
    try:
        logger.warning("probe")
    finally:
        logger.removeHandler(handler)
    (record,) = logs.get_finished_logs()
    return set(LEGACY_CODE_KEYS) & set(record.log_record.attributes or {})


def _network(mode: str, target: str) -> None:
    """Export over ``http`` or ``grpc``, gzip on; ``http+deflate`` and ``grpc+deflate`` use the
    exporters' other compression."""
    protocol, _, compression = mode.partition("+")
    if protocol == "http":
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        http = Compression.Deflate if compression == "deflate" else Compression.Gzip
        spans = OTLPSpanExporter(endpoint=f"{target}/v1/traces", compression=http)
        metrics = OTLPMetricExporter(endpoint=f"{target}/v1/metrics", compression=http)
        logs = OTLPLogExporter(endpoint=f"{target}/v1/logs", compression=http)
    else:
        from grpc import Compression as GrpcCompression
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import (
            OTLPLogExporter as GrpcLogExporter,
        )
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
            OTLPMetricExporter as GrpcMetricExporter,
        )
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcSpanExporter,
        )

        grpc = GrpcCompression.Deflate if compression == "deflate" else GrpcCompression.Gzip
        spans = GrpcSpanExporter(endpoint=target, insecure=True, compression=grpc)
        metrics = GrpcMetricExporter(endpoint=target, insecure=True, compression=grpc)
        logs = GrpcLogExporter(endpoint=target, insecure=True, compression=grpc)
    resource = Resource.create({"service.name": SERVICE})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(spans))
    reader = PeriodicExportingMetricReader(metrics, export_interval_millis=600_000)
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(logs))
    emit(tracer_provider, meter_provider, logger_provider)
    tracer_provider.shutdown()
    meter_provider.shutdown()
    logger_provider.shutdown()


def _json_lines(path: str) -> None:
    from google.protobuf.json_format import MessageToJson
    from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
    from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    resource = Resource.create({"service.name": SERVICE})
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    logs = _in_memory_logs()
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    emit(tracer_provider, meter_provider, logger_provider)
    messages = [encode_spans(spans.get_finished_spans()),
                encode_metrics(reader.get_metrics_data()),
                encode_logs(logs.get_finished_logs())]
    with open(path, "w", encoding="utf-8") as out:
        for message in messages:
            out.write(MessageToJson(message, indent=None) + "\n")


if __name__ == "__main__":
    mode, where = sys.argv[1], sys.argv[2]
    if mode == "json":
        _json_lines(where)
    else:
        _network(mode, where)
