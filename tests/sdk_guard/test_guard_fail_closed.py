"""When the guard fails inside, sensitive values never pass; ``on_error`` decides the rest, and
every failure is counted in the accounts (and so in the metric and the usage reports)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from guard_pipelines import Logs, Metrics, Spans, dropped_attributes, emit_log
from registry_server import RegistryServer

from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.schemas.usage import UsageReport
from telemetry_contracts.sdk_guard import Guard
from telemetry_contracts.sdk_guard.policy import KeySpace, Policy

GIVEN = {"shop.customer.email": "a@b.c", "shop.order_id": "o-1", "junk": 1}
SAFE = {"shop.customer.email": "[redacted]", "shop.order_id": "o-1", "junk": 1}


@pytest.fixture
def broken_rewrite(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rewrite the policy is asked for fails."""

    def fail(self: KeySpace, attributes: Any) -> Any:
        raise RuntimeError("simulated internal error")

    monkeypatch.setattr(KeySpace, "rewrite", fail)
    monkeypatch.setattr(KeySpace, "rewrite_measurement", fail)


@pytest.fixture(params=["pass", "drop"])
def on_error_guard(request: pytest.FixtureRequest, snapshot: Snapshot) -> Iterator[Guard]:
    guard = Guard.from_snapshot(snapshot, environ={}, on_error=request.param)
    yield guard
    guard.shutdown()


def errors_counted(guard: Guard, signal: str) -> int:
    return guard.accounting.get(signal=signal, rule="internal_error", action=guard.config.on_error)


@pytest.mark.usefixtures("broken_rewrite")
def test_span(on_error_guard: Guard) -> None:
    spans = Spans(on_error_guard)
    with spans.tracer.start_as_current_span("op", attributes=GIVEN) as span:
        span.add_event("e", {"shop.card.token": "t", "shop.items": 1})
    exported = spans.exporter.get_finished_spans()
    if on_error_guard.config.on_error == "drop":
        assert exported == ()
    else:
        (copy,) = exported
        assert dict(copy.attributes) == SAFE
        assert dict(copy.events[0].attributes) == {"shop.card.token": "[redacted]", "shop.items": 1}
    assert errors_counted(on_error_guard, "span") == 1


@pytest.mark.usefixtures("broken_rewrite")
def test_measurement(on_error_guard: Guard) -> None:
    metrics = Metrics(on_error_guard)
    metrics.meter.create_counter("shop.orders", unit="{order}").add(1, GIVEN)
    points = metrics.points().get("shop.orders", [])
    if on_error_guard.config.on_error == "drop":
        assert points == []
    else:
        assert points == [(SAFE, 1)]
    assert errors_counted(on_error_guard, "metric") == 1


@pytest.mark.usefixtures("broken_rewrite")
@pytest.mark.parametrize("first", [False, True], ids=["wrapping", "first"])
def test_log_record(on_error_guard: Guard, first: bool) -> None:
    logs = Logs(on_error_guard, first=first)
    emit_log(logs.logger, dict(GIVEN))
    exported = logs.exporter.get_finished_logs()
    drop = on_error_guard.config.on_error == "drop"
    if drop and not first:
        assert exported == ()
    else:
        (record,) = exported
        attributes = dict(record.log_record.attributes or {})
        assert attributes == ({} if drop else SAFE)
        if not drop:  # (older SDKs report no dropped count on empty attributes)
            assert dropped_attributes(record) == 0
    assert errors_counted(on_error_guard, "log") == 1


def test_errors_reach_the_published_metric(snapshot: Snapshot, monkeypatch: Any) -> None:
    guard = Guard.from_snapshot(snapshot, environ={})
    spans, published = Spans(guard), Metrics(guard)
    guard.instrument(published.sdk_provider)
    monkeypatch.setattr(KeySpace, "rewrite", lambda self, attributes: 1 / 0)
    spans.emit({"shop.customer.email": "a@b.c"})
    actions = published.points()["telemetry_contracts.guard.actions"]
    assert (
        {
            "telemetry_contracts.signal": "span",
            "telemetry_contracts.name": "span processor",
            "telemetry_contracts.action": "pass",
            "telemetry_contracts.rule": "internal_error",
        },
        1,
    ) in actions


def test_errors_reach_the_usage_reports(snapshot: Snapshot, monkeypatch: Any) -> None:
    server = RegistryServer(snapshot.to_json_bytes())
    guard = Guard.from_snapshot(snapshot, environ={})
    try:
        sender = guard.start_reporting(server.url, service_name="shop", interval=3600)
        monkeypatch.setattr(KeySpace, "rewrite", lambda self, attributes: 1 / 0)
        Spans(guard).emit({"shop.customer.email": "a@b.c"})
        assert sender.force_flush()
        (body,) = server.usage
        counts = [c for c in UsageReport.model_validate(body).counts if c.rule == "internal_error"]
        assert [(c.signal, c.name, c.action, c.count) for c in counts] == [
            ("span", "span processor", "pass", 1)
        ]
    finally:
        guard.shutdown()
        server.close()


def test_an_instrument_that_fails_to_bind_keeps_flowing_with_its_attributes_judged(
        guard: Guard, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("simulated internal error")

    monkeypatch.setattr(Policy, "decide_metric", fail)
    metrics = Metrics(guard)
    metrics.meter.create_counter("shop.orders", unit="{order}").add(
        1, {"shop.customer.email": "a@b.c", "shop.tier": "gold", "junk": 1})
    # the metric is not lost; the e-mail does not pass; an unknown key is dropped as usual
    assert metrics.points()["shop.orders"] == [
        ({"shop.customer.email": "[redacted]", "shop.tier": "gold"}, 1)]
    assert errors_counted(guard, "metric") == 1
