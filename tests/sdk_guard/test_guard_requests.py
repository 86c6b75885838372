"""The official ``requests`` instrumentation of the installed release, guarded: on old releases
it emits the old HTTP names (``http.method``), which the guard renames; on new ones it emits
the new names, which pass untouched. Served by a loopback HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from telemetry_contracts.sdk_guard import Guard


def require_module(name: str) -> Any:
    """The module, or a skip (a failure under ``CI=true``) naming what to install."""
    from tests.conftest import IN_CI

    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        reason = f"{name} is not installed (install the [dev] extra)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_requests_client_spans_carry_the_new_names(server: str, baseline_file: Path) -> None:
    requests = require_module("requests")
    instrumentation = require_module("opentelemetry.instrumentation.requests")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    guard = Guard.from_file(baseline_file, environ={})
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(guard.span_processor(SimpleSpanProcessor(exporter)))
    instrumentor = instrumentation.RequestsInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        assert requests.get(f"{server}/items/1", timeout=10).status_code == 200
    finally:
        instrumentor.uninstrument()
    (span,) = exporter.get_finished_spans()
    attributes = dict(span.attributes)
    assert attributes["http.request.method"] == "GET"
    assert attributes["http.response.status_code"] == 200
    assert "http.method" not in attributes and "http.status_code" not in attributes
    # every supported release emits the old names unless OTEL_SEMCONV_STABILITY_OPT_IN says
    # otherwise: the rename is the guard's work
    assert guard.accounting.get(name="http.method", action="rename", rule="TC803") == 1
