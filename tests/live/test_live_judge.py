"""The judge on its own: the lean span path and the metric path, legacy names, templates,
arrays, coverage scoping, and OTLP JSON input errors that name the file and line."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    Gauge,
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
)
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from telemetry_contracts.live import judge as judge_module
from telemetry_contracts.live.coverage import coverage, in_scope, unknown_namespace
from telemetry_contracts.live.judge import Judge, _shape, shape_of, string_head
from telemetry_contracts.live.receiver import Refused, read_input
from telemetry_contracts.live.verdict import verdict
from telemetry_contracts.live.wire import lean, reader
from telemetry_contracts.resolution.baseline import baseline_snapshot
from telemetry_contracts.resolution.loader import load_registry
from tests.live.conftest import REGISTRY, any_value, cli


@pytest.fixture(scope="module")
def judge_factory() -> Any:
    snapshot = load_registry(REGISTRY).snapshot
    return lambda: Judge(snapshot)


def _pairs(attributes: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=any_value(v)) for k, v in attributes.items()]


def _traces(*spans: dict[str, Any], resource: dict[str, Any] | None = None) -> Any:
    resource_spans = ResourceSpans(scope_spans=[ScopeSpans(spans=[
        Span(name="s", attributes=_pairs(a)) for a in spans])])
    resource_spans.resource.attributes.extend(_pairs(resource or {}))
    return lean("traces", ExportTraceServiceRequest(resource_spans=[resource_spans]))


def _found(judge: Judge) -> dict[tuple[str, str, str], Any]:
    return {(f.code, f.signal, f.name): f for f in judge.findings()}


def test_spans_legacy_template_array_and_counts(judge_factory: Any) -> None:
    judge = judge_factory()
    span = {"http.retry_count": 2, "http.request.header.x-id": ["a"],
            "http.request.header.x-bad": "not-a-list", "shop.cart.items": 3,
            "server.port": 8080.5}
    judge.traces(_traces(span, span, span, resource={"service.name": "api"}))
    found = _found(judge)
    legacy = found[("TC803", "span", "http.retry_count")]
    assert legacy.count == 3 and legacy.service == "api"
    assert "legacy" in legacy.message and legacy.renamed_to == "http.request.resend_count"
    wrong = found[("TC804", "span", "http.request.header.x-bad")]
    assert wrong.count == 3 and "string[] values, not string" in wrong.message
    assert ("TC804", "span", "server.port") in found
    assert not any(name in ("http.request.header.x-id", "shop.cart.items")
                   for _, _, name in found)
    seen = judge.seen_names()["span"]
    assert "http.request.header" in seen and "shop.cart.items" in seen


def test_a_resource_attribute_that_does_not_decode_is_counted_not_fatal(
    judge_factory: Any,
) -> None:
    request = ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        scope_spans=[ScopeSpans(spans=[Span(name="s", attributes=_pairs({"junk.key": 1}))])])])
    request.resource_spans[0].resource.attributes.extend(
        _pairs({"service.name": "api", "zz-bad-key": "v"}))
    body = request.SerializeToString().replace(b"zz", b"\xff\xfe")  # not UTF-8
    judge = judge_factory()
    judge.traces(reader("traces")(body))
    assert judge.malformed == 1 and judge.items["span"] == 1
    (finding,) = judge.findings()
    assert (finding.name, finding.service) == ("junk.key", "api")


def test_logs_and_an_unnamed_service(judge_factory: Any) -> None:
    judge = judge_factory()
    request = ExportLogsServiceRequest(resource_logs=[ResourceLogs(scope_logs=[ScopeLogs(
        log_records=[LogRecord(attributes=_pairs({"shop.customer.email": "x@y.z"}))])])])
    judge.logs(lean("logs", request))
    (finding,) = judge.findings()
    assert (finding.code, finding.service, finding.sample) == (
        "TC806", "unknown_service", "<redacted>")


def test_metric_attribute_lists_and_requirements(judge_factory: Any) -> None:
    judge = judge_factory()
    points = [NumberDataPoint(as_int=1, attributes=_pairs(a)) for a in (
        {"shop.payment.method": "card", "shop.cart.items": 1},
        {"shop.payment.method": "cash"},
    )]
    metric = Metric(name="shop.orders.placed", unit="{order}", gauge=Gauge(data_points=points))
    judge.metrics(ExportMetricsServiceRequest(resource_metrics=[ResourceMetrics(
        scope_metrics=[ScopeMetrics(metrics=[metric])])]))
    found = _found(judge)
    assert "not an attribute of metric `shop.orders.placed`" in found[
        ("TC802", "metric", "shop.cart.items")].message
    assert "arrives as a gauge" in found[("TC808", "metric", "shop.orders.placed")].message
    assert found[("TC808", "metric", "shop.orders.placed")].count == 2
    assert ("TC810", "metric", "shop.payment.method") not in found


def test_coverage_scope(judge_factory: Any) -> None:
    assert in_scope("http.request.method", ["http"]) and in_scope("http", ["http."])
    assert not in_scope("https.x", ["http"])
    judge = judge_factory()
    judge.traces(_traces({"shop.region": "eu", "shop.nope": 1}))
    cover = coverage(judge.index, judge.seen_names(), judge.findings(), ["shop"])
    assert (cover["seen"], cover["contracts"]) == (1, 7)
    assert cover["signals"]["span"]["attributes"] == ["shop.region"]
    assert cover["unknown"] == {"span": {"shop.nope": 1}}


def test_input_errors_name_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"resourceSpans": []}\n{"resourceSpans": \n')
    with pytest.raises(Refused, match=r"bad.jsonl:2: not JSON"):
        list(read_input(bad))
    other = tmp_path / "other.json"
    other.write_text('{"spans": []}')
    with pytest.raises(Refused, match=r"other.json:1: no resourceSpans"):
        list(read_input(other))
    result = cli("live-check", "--registry", str(REGISTRY), "--input", str(bad))
    assert result.returncode == 2
    assert "bad.jsonl:2: not JSON" in result.stderr and "TC100" in result.stderr


def test_span_event_attributes_are_judged(judge_factory: Any) -> None:
    span = Span(name="s", attributes=_pairs({"shop.region": "eu"}), events=[
        Span.Event(name="exception", attributes=_pairs({"exception.type": 5,
                                                        "shop.event.blob": "x"}))])
    request = ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        scope_spans=[ScopeSpans(spans=[span])])])
    judge = judge_factory()
    judge.traces(lean("traces", request))
    assert set(_found(judge)) == {("TC804", "span", "exception.type"),
                                  ("TC802", "span", "shop.event.blob")}
    assert "exception.type" in judge.seen_names()["span"]


@pytest.mark.parametrize("value", ["x", "", "é" * 200, True, 0, -1, 2**62, 1.5, ["a"], None])
def test_shape_of_reads_canonical_encodings(value: Any) -> None:
    pair = KeyValue(key="k" * 130, value=any_value(value) if value is not None else AnyValue())
    shape = shape_of(pair.SerializeToString())
    if isinstance(value, list) or value is None:
        assert shape is None
    else:
        tag = {str: 0x0A, bool: 0x10, int: 0x18, float: 0x21}[type(value)]
        assert shape is not None and shape[-1] == tag and shape.endswith(b"k" * 130 + bytes([tag]))
    assert shape_of(b"\x0a\x01k\x12\x05\x0a\x03abc\x00") is None  # trailing junk


def test_shape_of_reads_short_strings_as_any_length() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        key = "k" * rng.choice([0, 1, 9, 125, 126, 127, 128])
        pair = KeyValue(key=key, value=any_value(rng.choice(
            ["", "x", "v" * 121, "v" * 122, "v" * 123, "v" * 126, "v" * 127, True, 5, 1.5])))
        encoded = bytearray(pair.SerializeToString())
        for _ in range(rng.choice([0, 0, 1, 2])):  # a byte changed, cut off or added
            where = rng.randrange(len(encoded) + 1)
            choice = rng.random()
            if choice < 0.4 and where < len(encoded):
                encoded[where] = rng.choice([0, 1, 0x0A, 0x12, 0x7F, 0x80, rng.randrange(256)])
            elif choice < 0.7:
                del encoded[where:]
            else:
                encoded.insert(where, rng.randrange(256))
        assert shape_of(bytes(encoded)) == _shape(bytes(encoded)), bytes(encoded)
        head = string_head(bytes(encoded))
        if head is not None:  # the head and the length alone give the shape
            assert _shape(bytes(encoded)) == head[:-4] + b"\x0a"
            other = head + b"z" * (len(encoded) - len(head))
            assert _shape(other) == _shape(bytes(encoded)), bytes(encoded)


def test_the_shape_cache_changes_no_finding(judge_factory: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    spans = [{"server.port": port, "url.path": f"/p/{port}", "shop.cart.items": str(port),
              "http.method": "GET" if port % 2 else "POST", "shop.nope": port * 0.5,
              "shop.payment.method": ["card", "cash", "gold"][port % 3]}
             for port in range(40)]

    def judged() -> list[tuple[Any, ...]]:
        judge = judge_factory()
        judge.traces(_traces(*spans))
        return [(f.code, f.name, f.count) for f in judge.findings()]

    with_shapes = judged()
    monkeypatch.setattr(judge_module, "string_head", lambda encoded: None)
    assert judged() == with_shapes
    monkeypatch.setattr(judge_module, "shape_of", lambda encoded: None)
    assert judged() == with_shapes
    assert ("TC804", "shop.cart.items", 40) in with_shapes
    assert ("TC805", "shop.payment.method", 13) in with_shapes


def test_coverage_of_a_signal_counts_keys_first_decided_on_another(judge_factory: Any) -> None:
    """A key whose findings a span decided is seen on logs too when a log record carries it
    with another value of the same type (and the same length)."""
    judge = judge_factory()
    for number in range(3):
        judge.traces(_traces({"url.path": f"/span/{number}", "shop.cart.items": number}))
    record = LogRecord(attributes=_pairs({"url.path": "/logs/0", "shop.cart.items": 7}))
    judge.logs(lean("logs", ExportLogsServiceRequest(resource_logs=[
        ResourceLogs(scope_logs=[ScopeLogs(log_records=[record])])])))
    seen = judge.seen_names()
    assert {"url.path", "shop.cart.items"} <= set(seen["span"])
    assert {"url.path", "shop.cart.items"} <= set(seen["log"])


def test_each_service_finding_shows_a_value_that_service_sent(judge_factory: Any) -> None:
    """Findings decided once are counted for every service, but a finding's sample is always
    one of its own service's values: a key's findings, a value's type, a string's shape."""
    judge = judge_factory()
    for service, word in (("a", "GET"), ("b", "PUT"), ("b", "POST")):
        judge.traces(_traces({"http.method": word, "shop.nope": f"/{word}",
                              "shop.cart.items": word, "url.path": f"/{word}"},
                             resource={"service.name": service}))
    samples = {(f.service, f.code, f.name): f.sample for f in judge.findings()}
    assert samples[("a", "TC803", "http.method")] == "GET"
    assert samples[("b", "TC803", "http.method")] == "PUT"
    assert samples[("a", "TC802", "shop.nope")] == "/GET"
    assert samples[("b", "TC802", "shop.nope")] == "/PUT"
    assert samples[("a", "TC804", "shop.cart.items")] == "GET"
    assert samples[("b", "TC804", "shop.cart.items")] == "PUT"


def _event(name: str, attributes: dict[str, Any]) -> LogRecord:
    """A log record that is the event ``name``, its ``event_name`` (field 12) written as on the
    wire: older opentelemetry-proto releases have no such field, and keep it as unknown."""
    encoded = name.encode()
    field = bytes([12 << 3 | 2, len(encoded)]) + encoded
    return LogRecord.FromString(LogRecord(attributes=_pairs(attributes)).SerializeToString()
                                + field)


def test_a_log_event_lacking_a_required_attribute() -> None:
    records = [_event("app.widget.click", a)
               for a in ({"app.widget.id": "buy"}, {"app.widget.name": "Buy"})]
    request = ExportLogsServiceRequest(resource_logs=[ResourceLogs(scope_logs=[ScopeLogs(
        log_records=records)])])
    judge = Judge(baseline_snapshot())  # event conventions: the official model's
    judge.logs(lean("logs", request))
    missing = _found(judge)[("TC810", "log", "app.widget.id")]
    assert missing.count == 1 and "event `app.widget.click` requires" in missing.message


def test_findings_over_the_limit_fail_the_run_by_their_code_severity(
        judge_factory: Any) -> None:
    judge = judge_factory()
    judge.overflow = {"TC803": 5}  # deprecated names: warnings
    assert verdict(judge, "error").exit_code == 0
    assert verdict(judge, "warning").reasons == ["failed: 5 findings at or above `warning`"]
    judge.overflow = {"TC802": 1}  # unknown attributes: errors
    assert verdict(judge, "error").reasons == ["failed: 1 finding at or above `error`"]
    assert verdict(judge, "none").exit_code == 0


def test_a_namespace_the_registry_does_not_have_is_named_with_the_closest(
        judge_factory: Any, tmp_path: Path) -> None:
    index = judge_factory().index
    assert unknown_namespace(index, "shop") is None
    assert unknown_namespace(index, "shop.") is None
    assert "did you mean `shop`?" in (unknown_namespace(index, "shpo") or "")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = cli("live-check", "--registry", str(REGISTRY), "--input", str(empty),
                 "--namespace", "shpo")
    assert result.returncode == 2
    assert "namespace `shpo` (did you mean `shop`?)" in result.stderr


def test_the_summary_counts_in_words(judge_factory: Any) -> None:
    judge = judge_factory()
    judge.traces(_traces({"shop.nope": "x"}))
    summary = verdict(judge).summary()
    assert "judged 1 span, 0 metric data points, 0 log records (0 requests refused)" in summary
    assert "failed: 1 finding at or above `error`" in summary


@pytest.mark.parametrize("spelling", ["eventName", "event_name"])
def test_an_event_in_otlp_json_is_judged_as_over_protobuf(tmp_path: Path, spelling: str) -> None:
    """Also where this opentelemetry-proto has no ``event_name``: the JSON's name is kept."""
    records = [{spelling: "app.widget.click", "attributes": [
        {"key": key, "value": {"stringValue": value}}]}
        for key, value in (("app.widget.id", "buy"), ("app.widget.name", "Buy"))]
    document = {"resourceLogs": [{"scopeLogs": [{"logRecords": records}]}]}
    exported = tmp_path / "logs.json"
    exported.write_text(json.dumps(document))
    judge = Judge(baseline_snapshot())
    for _, message in read_input(exported):
        judge.logs(message)
    missing = _found(judge)[("TC810", "log", "app.widget.id")]
    assert missing.count == 1 and "event `app.widget.click` requires" in missing.message


def test_samples_keep_their_json_type_and_read_alike_in_every_language() -> None:
    from telemetry_contracts.live.judge import MAX_SAMPLE, render_sample, sample_of
    from telemetry_contracts.live.verdict import verdict

    assert sample_of(any_value("GET"), False) == "GET"
    assert sample_of(any_value(200), False) == 200
    assert sample_of(any_value(True), False) is True
    assert sample_of(AnyValue(double_value=float("nan")), False) == "NaN"
    assert sample_of(AnyValue(double_value=float("-inf")), False) == "-Infinity"
    assert sample_of(any_value(list(range(20))), False) == list(range(8))
    assert len(sample_of(any_value("x" * 500), False)) == MAX_SAMPLE  # type: ignore[arg-type]
    assert sample_of(any_value("jane@example.com"), True) == "<redacted>"
    assert [render_sample(s) for s in ("GET", 200, True, ["a", 1], "<redacted>")] == [
        '"GET"', "200", "true", '["a", 1]', "<redacted>"]
    judge = Judge(baseline_snapshot())
    judge.traces(_traces({"http.response.status_code": "200"}))
    (finding,) = verdict(judge).as_findings()
    assert finding.message.endswith('(once, e.g. "200")'), finding.message
