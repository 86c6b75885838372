"""End to end: a real instrumented app exports over OTLP/HTTP and OTLP/gRPC (gzip on) to a
live-check process; its verdict names every planted problem, and judging the same telemetry as
OTLP JSON files gives the same verdict."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.live.conftest import REGISTRY, cli, run_app
from tests.live.otlp_app import SERVICE, SPANS, handler_legacy_keys

pytestmark = pytest.mark.slow

# (code, signal, name) -> count per export of the app; every one is planted in otlp_app.emit
EXPECTED = {
    ("TC801", "metric", "shop.orders.v2"): 1,
    ("TC802", "span", "shop.debug.blob"): SPANS,
    ("TC802", "log", "shop.tenant"): 1,
    ("TC803", "span", "http.method"): SPANS,
    ("TC804", "span", "shop.cart.items"): SPANS,
    ("TC805", "span", "shop.payment.method"): SPANS,
    ("TC806", "span", "shop.customer.email"): SPANS,
    ("TC808", "metric", "shop.queue.length"): 1,
    ("TC809", "metric", "shop.checkout.duration"): 1,
    ("TC810", "metric", "shop.payment.method"): 1,
    # an SDK before 1.30 logs where a call was made under the legacy `code.*` names
    **{("TC803", "log", key): 1 for key in handler_legacy_keys()},
}


def _by_key(verdict: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(f["code"], f["signal"], f["name"]): f for f in verdict["findings"]}


def _comparable(verdict: dict[str, Any]) -> dict[str, Any]:
    return {key: verdict[key] for key in ("findings", "coverage", "judged", "exit_code")}


def _exported_over_both(check: Any, compression: str = "") -> dict[str, Any]:
    """The verdict once the app has exported over HTTP, then gRPC (gzip unless ``+deflate``):
    every item judged, the expected findings twice over, nothing refused."""
    run_app(f"http{compression}", check.url)
    run_app(f"grpc{compression}", f"127.0.0.1:{check.grpc_port}")
    assert check.get("/health")[1]["judged"] == {"span": 2 * SPANS, "metric": 10, "log": 2}
    code, verdict = check.stop()
    assert code == 1
    assert verdict["refused_requests"] == 0
    assert {key: f["count"] for key, f in _by_key(verdict).items()} == {
        key: 2 * count for key, count in EXPECTED.items()}
    return verdict


def test_real_exporters_over_http_and_grpc_then_the_same_verdict_from_json(
    live_check: Any, tmp_path: Path
) -> None:
    verdict = _exported_over_both(live_check())
    found = _by_key(verdict)
    assert {f["service"] for f in verdict["findings"]} == {SERVICE}
    assert found[("TC806", "span", "shop.customer.email")]["sample"] == "<redacted>"
    assert "jane@example.com" not in json.dumps(verdict)
    assert found[("TC805", "span", "shop.payment.method")]["sample"] == "bitcoin"
    assert found[("TC804", "span", "shop.cart.items")]["sample"] == "3"  # a string, not 3
    assert found[("TC803", "span", "http.method")]["severity"] == "warning"
    assert found[("TC803", "span", "http.method")]["renamed_to"] == "http.request.method"
    assert found[("TC810", "metric", "shop.payment.method")]["metric"] == "shop.orders.placed"

    coverage = verdict["coverage"]
    signals = coverage["signals"]
    assert "http.request.method" in signals["span"]["attributes"]
    assert "shop.region" in signals["metric"]["attributes"]
    assert "shop.region" not in signals["span"]["attributes"]
    assert "service.name" in signals["resource"]["attributes"]
    assert set(signals["metric"]["metrics"]) == {
        "shop.checkout.duration", "shop.orders.placed", "shop.queue.length"}
    assert coverage["namespaces"]["shop"] == {
        "attributes": {"seen": 4, "total": 4}, "metrics": {"seen": 3, "total": 3}, "ratio": 1.0}
    assert coverage["unknown"] == {"log": {"shop.tenant": 2}, "metric": {"shop.orders.v2": 2},
                                   "span": {"shop.debug.blob": 10}}

    exported = tmp_path / "telemetry.jsonl"
    run_app("json", str(exported))
    offline = cli("live-check", "--registry", str(REGISTRY), "--input", str(exported),
                  "--input", str(exported), "--format", "json")
    assert offline.returncode == 1, offline.stderr
    assert _comparable(json.loads(offline.stdout)) == _comparable(verdict)


def test_real_exporters_with_deflate_give_the_gzip_verdict(live_check: Any) -> None:
    """The exporters' other compression, over both protocols: the same findings as gzip."""
    _exported_over_both(live_check(), "+deflate")


def test_a_node_service_gets_the_verdict_of_the_python_one(
        live_check: Any, node_app: Callable[[str, str], None]) -> None:
    """Another language's SDK, its own encoders and its own gRPC: the OpenTelemetry JS SDK
    sends what the Python app sends, over OTLP/HTTP JSON, protobuf with gzip and gRPC
    (grpc-js) with gzip, and is judged alike."""
    check = live_check()
    node_app("json", check.url)
    node_app("protobuf", check.url)
    node_app("grpc", f"http://127.0.0.1:{check.grpc_port}")
    assert check.get("/health")[1]["judged"] == {"span": 3 * SPANS, "metric": 15, "log": 3}
    code, verdict = check.stop()
    assert code == 1 and verdict["refused_requests"] == 0
    python_only = {("TC803", "log", key) for key in handler_legacy_keys()}
    assert {key: f["count"] for key, f in _by_key(verdict).items()} == {
        key: 3 * count for key, count in EXPECTED.items() if key not in python_only}
    assert {f["service"] for f in verdict["findings"]} == {"checkout-api-node"}
    found = _by_key(verdict)
    assert found[("TC806", "span", "shop.customer.email")]["sample"] == "<redacted>"
    assert found[("TC804", "span", "shop.cart.items")]["sample"] == "3"
    assert verdict["coverage"]["unknown"] == {
        "log": {"shop.tenant": 3}, "metric": {"shop.orders.v2": 3},
        "span": {"shop.debug.blob": 3 * SPANS}}


def test_namespace_scopes_coverage_and_min_coverage_gates(tmp_path: Path) -> None:
    exported = tmp_path / "telemetry.jsonl"
    run_app("json", str(exported))
    base = ("live-check", "--registry", str(REGISTRY), "--input", str(exported),
            "--fail-on", "none")
    shop = cli(*base, "--namespace", "shop", "--min-coverage", "100", "--format", "json")
    assert shop.returncode == 0, shop.stdout + shop.stderr
    assert json.loads(shop.stdout)["coverage"]["ratio"] == 1.0
    everything = cli(*base, "--min-coverage", "50")
    assert everything.returncode == 1
    assert "is under the minimum 50%" in everything.stdout
    http = cli(*base, "--namespace", "http.", "--format", "json")
    cover = json.loads(http.stdout)["coverage"]
    assert set(cover["namespaces"]) == {"http"} and 0 < cover["ratio"] < 1
    assert cover["unknown"] == {}


@pytest.mark.parametrize("report_format", ["sarif", "github", "text"])
def test_the_other_formats(tmp_path: Path, report_format: str) -> None:
    exported = tmp_path / "telemetry.jsonl"
    run_app("json", str(exported))
    out = tmp_path / "verdict"
    result = cli("live-check", "--registry", str(REGISTRY), "--input", str(exported),
                 "--format", report_format, "-o", str(out), "--fail-on", "warning")
    assert result.returncode == 1
    text = out.read_text()
    if report_format == "sarif":
        results = json.loads(text)["runs"][0]["results"]
        assert {r["ruleId"] for r in results} == {code for code, _, _ in EXPECTED}
    elif report_format == "github":
        assert "::warning file=checkout-api,title=TC803::span: attribute `http.method`" in text
    else:
        assert "checkout-api: error TC809 metric: metric `shop.checkout.duration`" in text
        assert "coverage: " in text
    assert "jane@example.com" not in text


def test_otlp_json_over_http_with_gzip_gives_the_file_verdict(
    live_check: Any, tmp_path: Path
) -> None:
    exported = tmp_path / "telemetry.jsonl"
    run_app("json", str(exported))
    check = live_check(grpc=False)
    paths = {"resourceSpans": "/v1/traces", "resourceMetrics": "/v1/metrics",
             "resourceLogs": "/v1/logs"}
    for line in exported.read_text().splitlines():
        (key,) = json.loads(line)
        status, _ = check.post(paths[key], gzip.compress(line.encode()), {
            "Content-Type": "application/json", "Content-Encoding": "gzip"})
        assert status == 200
    _, verdict = check.stop()
    offline = cli("live-check", "--registry", str(REGISTRY), "--input", str(exported),
                  "--format", "json")
    assert _comparable(json.loads(offline.stdout)) == _comparable(verdict)
    assert verdict["judged"] == {"span": SPANS, "metric": 5, "log": 1}


def test_duration_ends_the_run_and_an_empty_run_fails_a_coverage_gate() -> None:
    result = cli("live-check", "--registry", str(REGISTRY), "--otlp-http", "0", "--otlp-grpc",
                 "0", "--duration", "0.5", "--namespace", "shop", "--min-coverage", "1")
    assert result.returncode == 1, result.stderr
    assert "OTLP/HTTP on http://127.0.0.1:" in result.stderr
    assert "judged 0 spans" in result.stdout
    assert "coverage 0.0% is under the minimum 1%" in result.stdout
