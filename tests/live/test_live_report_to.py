"""``--report-to``: live-check's usage reports reach a running registry server, whose deprecation
report then names the app's ``service.name`` as an emitter of the deprecated name it sent."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live.conftest import cli, run_app
from tests.live.otlp_app import SERVICE, SPANS
from tests.registry.server_process import ServerProcess

pytestmark = pytest.mark.slow


def test_usage_reports_reach_the_deprecation_report(live_check: Any, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    made = cli("token", "create", "--role", "contributor", "--name", "ci", "--database",
               database)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    server = ServerProcess(database, tmp_path / "server.log")
    try:
        headers = {"Authorization": f"Bearer {token}"}
        before = httpx.get(server.url + "/v1/reports/deprecations", params={"prefix": "http."},
                           headers=headers).json()
        assert not any(item["emitters"] for item in before["items"]
                       if item["name"] == "http.method")

        # judged against the server's own published registry, reported back to it
        check = live_check("--report-to", server.url, "--report-interval", "0.2",
                           registry=server.url, grpc=False,
                           env={"TELEMETRY_CONTRACTS_TOKEN": token})
        run_app("http", check.url)

        def emitters() -> list[tuple[str, int]]:
            report = httpx.get(server.url + "/v1/reports/deprecations",
                               params={"prefix": "http."}, headers=headers).json()
            item = next(i for i in report["items"] if i["name"] == "http.method")
            assert item["renamed_to"] == "http.request.method"
            return [(e["service"], e["count"]) for e in item["emitters"]]

        # reported while it still runs (every 0.2 s), then once more at the end: no count twice
        deadline = time.monotonic() + 60
        while not emitters() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert emitters() == [(SERVICE, SPANS)]
        code, verdict = check.stop()
        assert code == 1
        assert any(f["code"] == "TC803" and f["name"] == "http.method"
                   for f in verdict["findings"])
        assert emitters() == [(SERVICE, SPANS)]
    finally:
        server.stop()



def test_a_clock_set_back_still_sends_a_valid_report(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    from telemetry_contracts.live import verdict as verdict_module
    from telemetry_contracts.live.judge import Judge
    from telemetry_contracts.live.wire import lean
    from telemetry_contracts.resolution.baseline import baseline_snapshot

    sent: list[Any] = []
    monkeypatch.setattr(verdict_module, "send_usage",
                        lambda reports, url, token: sent.extend(reports) or {})
    judge = Judge(baseline_snapshot())
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.add().attributes.add(
        key="http.method").value.string_value = "GET"
    judge.traces(lean("traces", request))
    reporter = verdict_module.UsageFeed(judge, "http://127.0.0.1:9", None, 3600)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    monkeypatch.setattr(reporter, "_start", later)  # the last report ended "in an hour"
    assert reporter.close() == []
    (report,) = sent
    assert report.window_start == report.window_end == later
    assert [(c.name, c.count) for c in report.counts] == [("http.method", 1)]
