"""The usage reporter against a real HTTP server: wire format, auth, backoff, bounded queue."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from guard_pipelines import Spans
from registry_server import RegistryServer

from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.schemas.usage import UsageReport
from telemetry_contracts.sdk_guard import Guard, UsageReporter
from telemetry_contracts.sdk_guard.reporter import usage_url


@pytest.fixture
def server(snapshot: Snapshot) -> Iterator[RegistryServer]:
    server = RegistryServer(snapshot.to_json_bytes())
    yield server
    server.close()


def reporter(guard: Guard, server: RegistryServer, **options: object) -> UsageReporter:
    return guard.start_reporting(
        server.url, token="s3cret", service_name="shop", interval=3600, **options
    )


def test_report_is_a_valid_usage_report_with_deltas(guard: Guard, server: RegistryServer) -> None:
    sender = reporter(guard, server)
    spans = Spans(guard)
    spans.emit({"junk": 1, "shop.order_id": "o"})
    spans.emit({"junk": 1})
    assert sender.force_flush()
    (body,) = server.usage
    report = UsageReport.model_validate(body)
    assert report.service == "shop"
    assert report.snapshot_hash == guard.snapshot_hash
    counts = {(c.name, c.rule, c.action): c.count for c in report.counts}
    assert counts == {("junk", "TC802", "drop"): 2, ("shop.order_id", "TC803", "rename"): 1}
    _, _, headers = server.requests[-1]
    assert headers["Authorization"] == "Bearer s3cret"
    spans.emit({"junk": 1})
    assert sender.force_flush()
    assert [(c.name, c.count) for c in UsageReport.model_validate(server.usage[1]).counts] == [
        ("junk", 1)
    ]


def test_a_name_with_a_nul_character_does_not_cost_the_report(
        guard: Guard, server: RegistryServer) -> None:
    """No database column takes NUL, so the registry refuses reports that carry one: the
    reporter shows it as U+FFFD, and the other counts of the window arrive with it."""
    sender = guard.start_reporting(server.url, token="s3cret", service_name="sh\x00op",
                                   interval=3600)
    Spans(guard).emit({"junk\x00key": 1, "junk": 1})
    assert sender.force_flush()
    report = UsageReport.model_validate(server.usage[0])
    assert report.service == "sh\ufffdop"
    assert sorted(c.name for c in report.counts) == ["junk", "junk\ufffdkey"]


def test_a_clock_set_back_still_sends_a_valid_report(guard: Guard, server: RegistryServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    sender = reporter(guard, server)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    monkeypatch.setattr(sender, "_window_start", later)  # the last window ended "in an hour"
    Spans(guard).emit({"junk": 1})
    assert sender.force_flush()
    (body,) = server.usage
    report = UsageReport.model_validate(body)
    assert report.window_start == report.window_end == later
    assert [(c.name, c.count) for c in report.counts] == [("junk", 1)]


def test_nothing_new_sends_nothing(guard: Guard, server: RegistryServer) -> None:
    sender = reporter(guard, server)
    assert sender.force_flush()
    assert server.usage == []


def test_failed_send_stays_queued_then_goes(guard: Guard, server: RegistryServer) -> None:
    sender = reporter(guard, server)
    Spans(guard).emit({"junk": 1})
    server.status = 503
    assert sender.force_flush() is False
    assert len(sender.queue) == 1 and sender.failed_sends == 1
    server.status = None
    assert sender.send_queued()
    assert len(server.usage) == 1 and not sender.queue


def test_bounded_queue_drops_the_oldest(guard: Guard, server: RegistryServer) -> None:
    sender = reporter(guard, server, max_queue=2)
    server.status = 503
    spans = Spans(guard)
    for index in range(4):
        spans.emit({f"junk{index}": 1})
        sender.collect()
    assert sender.dropped_reports == 2
    assert [r.counts[0].name for r in sender.queue] == ["junk2", "junk3"]


def test_background_thread_backs_off_and_delivers(guard: Guard, server: RegistryServer) -> None:
    server.status = 500
    sender = guard.start_reporting(
        server.url, service_name="shop", interval=0.05, backoff_initial=0.05, backoff_max=0.2
    )
    Spans(guard).emit({"junk": 1})
    deadline = time.monotonic() + 10
    while sender.failed_sends < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sender.failed_sends >= 2
    server.status = None
    guard.shutdown()
    assert server.usage and server.usage[0]["counts"][0]["name"] == "junk"


def test_usage_url() -> None:
    assert usage_url("http://r:8000") == "http://r:8000/v1/usage"
    assert usage_url("http://r:8000/v1/snapshot") == "http://r:8000/v1/usage"
    assert usage_url("http://r/v1/usage/") == "http://r/v1/usage"


def test_the_service_name_is_read_as_the_sdk_reads_the_resource(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``OTEL_RESOURCE_ATTRIBUTES`` values are percent-encoded: the report names the service
    the SDK's resource names."""
    from telemetry_contracts.sdk_guard.reporter import service_name_from_env

    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "team=shop,service.name=checkout%20api%2Ceu")
    assert service_name_from_env() == "checkout api,eu"
