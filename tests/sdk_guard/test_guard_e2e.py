"""End to end with the official FastAPI instrumentation on the semantic-convention baseline:
in-process, and once through ``opentelemetry-instrument`` with only the registry variable."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from guard_pipelines import Metrics

from telemetry_contracts.sdk_guard import Guard

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Using `httpx`"),
]
HERE = Path(__file__).parent
REQUESTS = 3


def split_json_documents(text: str) -> Iterator[dict[str, Any]]:
    """The console exporters print one JSON document after another."""
    decoder = json.JSONDecoder()
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return
        document, index = decoder.raw_decode(text, index)
        yield document


@pytest.fixture
def instrumented(baseline_file: Path) -> Iterator[tuple[Guard, Any, Metrics]]:
    from e2e_app import app
    from fastapi.testclient import TestClient
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    guard = Guard.from_file(baseline_file, environ={})
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(guard.span_processor(SimpleSpanProcessor(exporter)))
    metrics = Metrics(guard)
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=tracer_provider, meter_provider=metrics.provider
    )
    try:
        client = TestClient(app)
        for item in range(REQUESTS):
            assert client.get(f"/items/{item}").status_code == 200
        yield guard, exporter, metrics
    finally:
        FastAPIInstrumentor.uninstrument_app(app)


def test_instrumented_app_in_process(instrumented: tuple[Guard, Any, Metrics]) -> None:
    guard, exporter, metrics = instrumented
    servers = [s for s in exporter.get_finished_spans() if s.name == "GET /items/{item_id}"]
    assert len(servers) == REQUESTS
    for span in servers:
        attributes = dict(span.attributes)
        assert attributes["http.request.method"] == "GET"
        assert attributes["http.response.status_code"] == 200
        assert "http.method" not in attributes and "http.status_code" not in attributes
        assert "shop.internal.cache_key" not in attributes
        assert span.dropped_attributes >= 1
    counts = guard.accounting
    assert (
        counts.get(
            signal="span",
            name="http.method",
            rule="TC803",
            action="rename",
            renamed_to="http.request.method",
        )
        == REQUESTS
    )
    assert (
        counts.get(signal="span", name="shop.internal.cache_key", rule="TC802", action="drop")
        == REQUESTS
    )
    active = metrics.points()["http.server.active_requests"]
    assert all("http.method" not in a and a["http.request.method"] == "GET" for a, _ in active)
    assert (
        counts.get(
            signal="metric",
            metric="http.server.active_requests",
            name="http.method",
            action="rename",
        )
        == 2 * REQUESTS
    )


def test_opentelemetry_instrument_with_only_the_registry_variable(
    baseline_file: Path, tmp_path: Path
) -> None:
    result = run_instrumented(str(baseline_file), tmp_path, metrics="console")
    assert result.returncode == 0, result.stderr
    documents = list(split_json_documents(result.stdout))
    spans = [d for d in documents if d.get("name") == "GET /items/{item_id}"]
    assert len(spans) == REQUESTS
    for span in spans:
        assert span["attributes"]["http.request.method"] == "GET"
        assert "http.method" not in span["attributes"]
        assert "shop.internal.cache_key" not in span["attributes"]
    actions = [
        point["attributes"]
        for document in documents
        for resource in document.get("resource_metrics", ())
        for scope in resource["scope_metrics"]
        for metric in scope["metrics"]
        if metric["name"] == "telemetry_contracts.guard.actions"
        for point in metric["data"]["data_points"]
    ]
    assert {
        "telemetry_contracts.signal": "span",
        "telemetry_contracts.name": "http.method",
        "telemetry_contracts.action": "rename",
        "telemetry_contracts.rule": "TC803",
        "telemetry_contracts.renamed_to": "http.request.method",
    } in actions
    assert {
        "telemetry_contracts.signal": "span",
        "telemetry_contracts.name": "shop.internal.cache_key",
        "telemetry_contracts.action": "drop",
        "telemetry_contracts.rule": "TC802",
    } in actions


def run_instrumented(
    registry: str, tmp_path: Path, metrics: str = "none"
) -> subprocess.CompletedProcess[str]:
    """The e2e app under the real ``opentelemetry-instrument`` (the console script installed
    beside this interpreter) with only the registry set, spans on the console."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TELEMETRY_"))}
    env.update(
        TELEMETRY_CONTRACTS_REGISTRY=registry,
        OTEL_TRACES_EXPORTER="console",
        OTEL_METRICS_EXPORTER=metrics,
        OTEL_LOGS_EXPORTER="none",
        OTEL_SERVICE_NAME="shop",
        PYTHONPATH=str(HERE),
    )
    instrument = Path(sys.executable).parent / "opentelemetry-instrument"
    assert instrument.is_file(), f"{instrument} missing: install the [dev] extra"
    return subprocess.run(
        [str(instrument), sys.executable, str(HERE / "e2e_app.py")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_zero_code_with_a_bad_snapshot_file_says_so_and_fails_closed(tmp_path: Path) -> None:
    bad = tmp_path / "snapshot.json"
    bad.write_text('{"attributes": [')
    result = run_instrumented(str(bad), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = [
        line for line in result.stderr.splitlines() if line.startswith("telemetry-contracts guard")
    ]
    assert len(lines) == 1, result.stderr
    assert f"cannot use snapshot file {bad}" in lines[0] and "redacted" in lines[0]
    spans = [
        d for d in split_json_documents(result.stdout) if d.get("name") == "GET /items/{item_id}"
    ]
    assert len(spans) == REQUESTS  # the application's telemetry still flows
    for span in spans:
        assert span["attributes"], span
        assert set(span["attributes"].values()) == {"[redacted]"}


def test_configurator_of_another_shape_steps_aside(
    monkeypatch: pytest.MonkeyPatch, baseline_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from opentelemetry.sdk._configuration import _OTelSDKConfigurator

    from telemetry_contracts.sdk_guard import autoconfigure, compat

    assert compat.check_configurator() is None  # the installed SDK has the shape
    configured: list[dict[str, Any]] = []
    monkeypatch.setattr(
        _OTelSDKConfigurator, "_configure", lambda self, **kwargs: configured.append(kwargs)
    )
    monkeypatch.setattr(compat, "check_configurator", lambda: "_init_tracing no longer calls it")
    monkeypatch.setenv("TELEMETRY_CONTRACTS_REGISTRY", str(baseline_file))
    with caplog.at_level(logging.WARNING):
        autoconfigure.GuardConfigurator()._configure(auto_instrumentation_version="x")
    assert configured == [{"auto_instrumentation_version": "x"}]  # the SDK configures itself
    steps_aside = [r for r in caplog.records if "steps aside" in r.getMessage()]
    assert len(steps_aside) == 1 and "_init_tracing no longer" in steps_aside[0].getMessage()


def test_configurator_shape_check_sees_a_changed_module() -> None:
    from types import SimpleNamespace

    from telemetry_contracts.sdk_guard.compat import check_configurator

    def _init_tracing() -> None:  # sets its provider some other way
        pass

    changed = SimpleNamespace(
        set_tracer_provider=print,
        set_logger_provider=print,
        set_meter_provider=print,
        _init_tracing=_init_tracing,
        _init_logging=lambda: set_logger_provider(),  # type: ignore[name-defined]  # noqa: F821
        _init_metrics=lambda: set_meter_provider(),  # type: ignore[name-defined]  # noqa: F821
    )
    assert check_configurator(changed) == "_init_tracing no longer calls set_tracer_provider"


def test_the_guard_not_chosen_as_configurator_is_an_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With another configurator installed (``opentelemetry-distro``'s) and no
    ``OTEL_PYTHON_CONFIGURATOR``, ``opentelemetry-instrument`` may load that one only: the
    registry variable is set, nothing is guarded, and the pre-instrument hook says so."""
    from telemetry_contracts.schemas.backports import entry_points
    from telemetry_contracts.sdk_guard import autoconfigure

    hooks = {ep.name: ep.value for ep in entry_points(group="opentelemetry_pre_instrument")}
    assert hooks.get("telemetry_contracts") == (
        "telemetry_contracts.sdk_guard.autoconfigure:check_guard_configured"
    )
    monkeypatch.setenv("TELEMETRY_CONTRACTS_REGISTRY", "snapshot.json")
    monkeypatch.delenv("OTEL_PYTHON_CONFIGURATOR", raising=False)
    monkeypatch.setattr(autoconfigure, "configurator_ran", False)
    with caplog.at_level(logging.ERROR, logger="telemetry_contracts"):
        autoconfigure.check_guard_configured()
    (said,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "NOT enabled" in said and "OTEL_PYTHON_CONFIGURATOR=telemetry_contracts" in said
    caplog.clear()
    monkeypatch.setattr(autoconfigure, "configurator_ran", True)
    autoconfigure.check_guard_configured()
    monkeypatch.setattr(autoconfigure, "configurator_ran", False)
    monkeypatch.delenv("TELEMETRY_CONTRACTS_REGISTRY")
    autoconfigure.check_guard_configured()
    assert not caplog.records
