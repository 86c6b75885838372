"""The official instrumentations, in each ``OTEL_SEMCONV_STABILITY_OPT_IN`` mode, through the guard
on the built-in baseline with default actions: no metric is lost, renamed metrics keep their
data-point counts and convert their sums, and every span attribute with a successor is renamed."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.metrics import Observation
from tests.conftest import IN_CI, PROJECT_ROOT
from tests.sdk_guard.guard_pipelines import Metrics, Spans

from telemetry_contracts.resolution.baseline import baseline_snapshot
from telemetry_contracts.schemas.ucum import conversion_factor
from telemetry_contracts.sdk_guard import Guard

INSTRUMENTATIONS = ("fastapi", "requests", "wsgi", "dbapi")
MODES = ["", "http", "http/dup"]


def _require_instrumentations() -> None:
    missing = [
        name for name in INSTRUMENTATIONS
        if importlib.util.find_spec(f"opentelemetry.instrumentation.{name}") is None
    ]
    if missing:
        reason = f"opentelemetry-instrumentation-{', -'.join(missing)} not installed ([dev] extra)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


def successors() -> dict[str, dict[str, str]]:
    """Today's name of every deprecated or legacy attribute and metric that has exactly one."""
    snapshot = baseline_snapshot()
    found: dict[str, dict[str, str]] = {"attribute": {}, "metric": {}}
    for kind, items in (("attribute", snapshot.attributes), ("metric", snapshot.metrics)):
        for item in items:
            if item.deprecated is not None and item.deprecated.renamed_to:
                found[kind][getattr(item, "key", None) or item.name] = item.deprecated.renamed_to
    for legacy in snapshot.history:
        if legacy.successor:
            found[legacy.kind][legacy.name] = legacy.successor
    return found


_RUNS: dict[str, dict[str, Any]] = {}


def run_workload(mode: str, baseline_file: Path) -> dict[str, Any]:
    """What each pipeline exported in one process with ``OTEL_SEMCONV_STABILITY_OPT_IN=mode``."""
    if mode not in _RUNS:
        _require_instrumentations()
        environment = {**os.environ, "OTEL_SEMCONV_STABILITY_OPT_IN": mode}
        result = subprocess.run(
            [sys.executable, "-m", "tests.sdk_guard.semconv_workload", str(baseline_file)],
            cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        _RUNS[mode] = {**json.loads(result.stdout), "mode": mode}
    return _RUNS[mode]


@pytest.fixture(scope="module", params=MODES, ids=["default", "http", "http-dup"])
def exported(request: pytest.FixtureRequest, baseline_file: Path) -> dict[str, Any]:
    return run_workload(request.param, baseline_file)


def test_every_metric_arrives_with_its_data_points_and_converted_sum(
    exported: dict[str, Any],
) -> None:
    raw, guarded = exported["raw_metrics"], exported["guarded_metrics"]
    renames = successors()["metric"]
    assert raw, "the instrumentations exported no metric"
    for name, before in raw.items():
        current = name if name in guarded else renames.get(name)
        assert current in guarded, f"{name} did not arrive ({exported['mode']!r})"
        after = guarded[current]
        assert (after["points"], after["count"]) == (before["points"], before["count"]), name
        factor = conversion_factor(before["unit"], after["unit"])
        assert factor is not None, f"{name}: {before['unit']} -> {after['unit']}"
        assert after["sum"] == pytest.approx(before["sum"] * factor), name
    # one stream per name: a renamed metric never merges into one the application emits too
    assert len(guarded) == len(raw)
    assert not [c for c in exported["counts"] if c[1] == "TC801"]


def test_old_http_metrics_are_renamed_and_converted_by_default(baseline_file: Path) -> None:
    exported = run_workload("", baseline_file)
    raw, guarded = exported["raw_metrics"], exported["guarded_metrics"]
    assert {"http.server.duration", "http.client.duration", "http.server.response.size"} <= set(raw)
    assert not {"http.server.duration", "http.client.duration"} & set(guarded)
    assert raw["http.server.duration"]["unit"] == "ms"
    assert guarded["http.server.request.duration"]["unit"] == "s"
    assert guarded["http.server.request.duration"]["sum"] == pytest.approx(
        raw["http.server.duration"]["sum"] / 1000
    )
    assert "http.server.response.body.size" in guarded


def test_every_span_attribute_with_a_successor_arrives_renamed(exported: dict[str, Any]) -> None:
    renames = successors()["attribute"]
    raw_spans, guarded_spans = exported["raw_spans"], exported["guarded_spans"]
    assert len(raw_spans) == len(guarded_spans) > 0
    renamed = 0
    for (name, before), (_, after) in zip(raw_spans, guarded_spans, strict=True):
        for key, value in before.items():
            successor = renames.get(key)
            if successor is None:
                continue
            renamed += 1
            assert key not in after, f"span {name}: `{key}` was not renamed"
            # two old keys may share a successor (net.host.name, http.server_name): one value
            # wins; a value the application set under the new key itself is kept
            sources = [v for k, v in before.items() if renames.get(k) == successor]
            expected = [before[successor]] if successor in before else sources
            assert after.get(successor) in expected, (name, key, value)
    if exported["mode"] != "http":
        assert renamed > 0


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard.from_snapshot(baseline_snapshot(), environ={})


def test_legacy_names_without_a_successor_pass_and_are_counted(guard: Guard) -> None:
    span = Spans(guard).emit({"server.socket.address": "10.0.0.1", "http.method": "GET"})
    assert dict(span.attributes) == {"server.socket.address": "10.0.0.1",
                                     "http.request.method": "GET"}
    assert guard.accounting.get(name="server.socket.address", rule="TC803", action="pass") == 1
    metrics = Metrics(guard)
    metrics.meter.create_histogram("http.client.request.size", unit="By").record(
        10, {"pool": "a", "http.request.method": "GET"}
    )
    points = metrics.points()["http.client.request.size"]
    assert points == [({"pool": "a", "http.request.method": "GET"}, 10)]
    assert guard.accounting.get(name="http.client.request.size", rule="TC803",
                                action="pass") == 1
    assert guard.accounting.get(rule="TC801") == 0 and guard.accounting.get(rule="TC802") == 0


def test_a_rename_across_units_that_do_not_convert_keeps_the_name(guard: Guard) -> None:
    metrics = Metrics(guard)
    metrics.meter.create_histogram("http.server.duration", unit="By").record(3)
    assert list(metrics.points()) == ["http.server.duration"]
    assert guard.accounting.get(name="http.server.duration", rule="TC809", action="pass",
                                renamed_to="http.server.request.duration") == 1


def test_observations_and_bucket_advice_are_converted(guard: Guard) -> None:
    metrics = Metrics(guard)
    metrics.meter.create_histogram(
        "http.client.duration", unit="ms", explicit_bucket_boundaries_advisory=[10.0, 100.0]
    ).record(50)
    metrics.meter.create_observable_up_down_counter(
        "process.runtime.jvm.memory.usage", [lambda options: [Observation(2, {})]], unit="KiBy"
    )
    data = metrics.reader.get_metrics_data()
    exported = {m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics
                for m in sm.metrics}
    histogram = exported["http.client.request.duration"]
    assert histogram.unit == "s"
    assert list(histogram.data.data_points[0].explicit_bounds) == [0.01, 0.1]
    assert histogram.data.data_points[0].sum == pytest.approx(0.05)
    memory = exported["jvm.memory.used"]
    assert (memory.unit, memory.data.data_points[0].value) == ("By", 2048)
