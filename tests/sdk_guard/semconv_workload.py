"""One process of official instrumentations (FastAPI, WSGI, requests, DB-API on SQLite) whose
every measurement and span goes both to an unguarded pipeline and through the guard.

Run: ``python -m tests.sdk_guard.semconv_workload SNAPSHOT.json``; prints JSON with what each
pipeline exported. ``OTEL_SEMCONV_STABILITY_OPT_IN`` is read once per process, so the test runs
one process per mode.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Sequence
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from telemetry_contracts.sdk_guard import Guard


class CapturingExporter(SpanExporter):
    """Keeps each span's name and a copy of its attributes as they were when exported."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, dict[str, Any]]] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend((span.name, dict(span.attributes or {})) for span in spans)
        return SpanExportResult.SUCCESS


class TeeInstrument:
    """Records every measurement on each of its instruments (one per pipeline)."""

    def __init__(self, instruments: list[Any]) -> None:
        self.instruments = instruments

    def add(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        for instrument in self.instruments:
            instrument.add(amount, attributes, context)

    def record(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        for instrument in self.instruments:
            instrument.record(amount, attributes, context)

    def set(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        for instrument in self.instruments:
            instrument.set(amount, attributes, context)


class TeeMeter:
    """A meter creating each instrument on every pipeline's meter."""

    def __init__(self, meters: list[Any]) -> None:
        self.meters = meters

    def __getattr__(self, method: str) -> Any:
        if not method.startswith("create_"):
            raise AttributeError(method)

        def create(*args: Any, **kwargs: Any) -> Any:
            created = [getattr(meter, method)(*args, **kwargs) for meter in self.meters]
            return created[0] if "observable" in method else TeeInstrument(created)

        return create


class TeeMeterProvider:
    """Hands out meters that feed every provider given."""

    def __init__(self, providers: list[Any]) -> None:
        self.providers = providers

    def get_meter(self, *args: Any, **kwargs: Any) -> TeeMeter:
        return TeeMeter([provider.get_meter(*args, **kwargs) for provider in self.providers])


def exported_metrics(reader: InMemoryMetricReader) -> dict[str, dict[str, Any]]:
    """Per metric name: unit, data points, measurements (histogram counts) and value sum."""
    out: dict[str, dict[str, Any]] = {}
    data = reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else ():
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                points = list(metric.data.data_points)
                entry = out.setdefault(
                    metric.name, {"unit": metric.unit, "points": 0, "count": 0, "sum": 0.0}
                )
                entry["points"] += len(points)
                for point in points:
                    entry["count"] += getattr(point, "count", 1)
                    entry["sum"] += getattr(point, "sum", getattr(point, "value", 0))
    return out


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    status = "200 OK" if environ["PATH_INFO"].startswith("/ok") else "404 Not Found"
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def run(snapshot_path: str) -> dict[str, Any]:
    import sqlite3

    import requests
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from opentelemetry.instrumentation.dbapi import instrument_connection
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

    guard = Guard.from_file(snapshot_path, environ={})
    raw_spans, guarded_spans = CapturingExporter(), CapturingExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(raw_spans))
    tracer_provider.add_span_processor(guard.span_processor(SimpleSpanProcessor(guarded_spans)))
    raw_reader, guarded_reader = InMemoryMetricReader(), InMemoryMetricReader()
    raw_provider = MeterProvider(metric_readers=[raw_reader])
    guarded_provider = guard.meter_provider(MeterProvider(metric_readers=[guarded_reader]))
    meter_provider = TeeMeterProvider([raw_provider, guarded_provider])
    providers = {"tracer_provider": tracer_provider, "meter_provider": meter_provider}

    app = FastAPI()

    @app.get("/items/{item}")
    def item(item: int) -> dict[str, int]:
        return {"item": item}

    @app.get("/health")  # differs from /items/{item} only by http.target in old-mode metrics
    def health() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/items")
    def create(body: dict[str, Any]) -> dict[str, Any]:
        return body

    FastAPIInstrumentor.instrument_app(app, **providers)
    client = TestClient(app)
    for number in range(3):
        client.get(f"/items/{number}")
    client.get("/health")
    client.get("/missing")
    client.post("/items", json={"name": "x" * 100})

    server = make_server(
        "127.0.0.1", 0, OpenTelemetryMiddleware(wsgi_app, **providers), handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    RequestsInstrumentor().instrument(**providers)
    base = f"http://127.0.0.1:{server.server_port}"
    with requests.Session() as session:
        for path in ("/ok", "/ok", "/ok/2"):  # old-mode server metrics carry http.target
            session.get(f"{base}{path}", timeout=10)
        session.post(f"{base}/missing", data=b"payload" * 10, timeout=10)
    RequestsInstrumentor().uninstrument()
    server.shutdown()

    connection = instrument_connection(
        "sqlite3", sqlite3.connect(":memory:"), database_system="sqlite",
        connection_attributes={"database": "database"}, **providers,
    )
    cursor = connection.cursor()
    cursor.execute("CREATE TABLE t (x INTEGER)")
    cursor.execute("INSERT INTO t VALUES (1), (2)")
    cursor.execute("SELECT x FROM t").fetchall()
    connection.close()

    return {
        "raw_metrics": exported_metrics(raw_reader),
        "guarded_metrics": exported_metrics(guarded_reader),
        "raw_spans": raw_spans.spans,
        "guarded_spans": guarded_spans.spans,
        "counts": [
            [key.name, key.rule, key.action, key.renamed_to, value]
            for key, value in guard.accounting.totals().items()
        ],
    }


if __name__ == "__main__":
    json.dump(run(sys.argv[1]), sys.stdout, default=str)
