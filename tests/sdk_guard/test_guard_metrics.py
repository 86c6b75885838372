"""The guarded meter provider inside a real MeterProvider with an in-memory reader."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from guard_pipelines import Metrics
from opentelemetry.metrics import CallbackOptions, NoOpCounter, Observation

from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.sdk_guard import Guard
from telemetry_contracts.sdk_guard.config import GuardConfig


def test_conforming_measurement_is_recorded_unchanged(guard: Guard) -> None:
    metrics = Metrics(guard)
    counter = metrics.meter.create_counter("shop.orders", unit="{order}")
    counter.add(2, {"shop.tier": "gold", "shop.items": 3})
    assert metrics.points()["shop.orders"] == [({"shop.tier": "gold", "shop.items": 3}, 2)]
    assert guard.accounting.totals() == {}


def test_unknown_metric_is_dropped_and_counted(guard: Guard) -> None:
    metrics = Metrics(guard)
    counter = metrics.meter.create_counter("shop.unregistered")
    for _ in range(5):
        counter.add(1, {"a": 1})
    assert "shop.unregistered" not in metrics.points()
    assert guard.accounting.get(name="shop.unregistered", rule="TC801", action="drop") == 5


def test_unknown_metric_under_pass_is_recorded(snapshot: Snapshot) -> None:
    guard = Guard.from_snapshot(snapshot, actions={"unknown_metric": "pass"}, environ={})
    metrics = Metrics(guard)
    metrics.meter.create_counter("shop.unregistered").add(1, {"shop.items": 1, "junk": 1})
    assert metrics.points()["shop.unregistered"] == [({"shop.items": 1}, 1)]
    assert guard.accounting.get(name="shop.unregistered", rule="TC801", action="pass") == 1


def test_deprecated_metric_is_created_under_its_new_name(guard: Guard) -> None:
    metrics = Metrics(guard)
    metrics.meter.create_histogram("shop.order_time", unit="s").record(0.5)
    points = metrics.points()
    assert "shop.order_time" not in points
    assert points["shop.order.duration"][0][1] == 0.5
    assert (
        guard.accounting.get(
            name="shop.order_time", rule="TC803", action="rename", renamed_to="shop.order.duration"
        )
        == 1
    )


def test_deprecated_metric_with_another_unit_keeps_its_name(guard: Guard) -> None:
    metrics = Metrics(guard)
    metrics.meter.create_histogram("shop.order_time", unit="By").record(500)
    assert "shop.order_time" in metrics.points()
    assert guard.accounting.get(name="shop.order_time", rule="TC803", action="pass") == 1
    assert guard.accounting.get(name="shop.order_time", rule="TC809", action="pass") == 1


def test_instrument_and_unit_mismatch_are_reported_and_kept(guard: Guard) -> None:
    metrics = Metrics(guard)
    metrics.meter.create_histogram("shop.orders", unit="1").record(1)
    assert "shop.orders" in metrics.points()
    assert guard.accounting.get(name="shop.orders", rule="TC808", action="pass") == 1
    assert guard.accounting.get(name="shop.orders", rule="TC809", action="pass") == 1


def test_attribute_keys_are_renamed_dropped_redacted(guard: Guard) -> None:
    metrics = Metrics(guard)
    histogram = metrics.meter.create_histogram("shop.order.duration", unit="s")
    histogram.record(1.0, {"shop.order_id": "o", "junk": 1, "shop.customer.email": "a@b"})
    assert metrics.points()["shop.order.duration"][0][0] == {
        "shop.order.id": "o",
        "shop.customer.email": "[redacted]",
    }
    counts = guard.accounting
    assert counts.get(signal="metric", metric="shop.order.duration", rule="TC803") == 1
    assert counts.get(signal="metric", metric="shop.order.duration", rule="TC802") == 1
    assert counts.get(signal="metric", metric="shop.order.duration", rule="TC806") == 1


def test_metric_attribute_refs_limit_the_keys(guard: Guard) -> None:
    metrics = Metrics(guard)
    counter = metrics.meter.create_counter("shop.orders", unit="{order}")
    counter.add(1, {"shop.tier": "gold", "http.request.method": "GET"})
    assert metrics.points()["shop.orders"] == [({"shop.tier": "gold"}, 1)]


def test_every_synchronous_instrument_is_guarded(guard: Guard) -> None:
    metrics = Metrics(guard)
    meter = metrics.meter
    meter.create_up_down_counter("shop.basket.size", unit="{item}").add(3, {"junk": 1})
    meter.create_gauge("shop.basket.size", unit="{item}").set(4, {"junk": 1})
    points = metrics.points()
    assert points["shop.basket.size"][0][0] == {}
    assert guard.accounting.get(name="junk", action="drop") == 2


def test_observable_callbacks_are_filtered(guard: Guard) -> None:
    metrics = Metrics(guard)

    def callback(options: CallbackOptions) -> list[Observation]:
        return [Observation(5, {"shop.order_id": "o", "junk": 1})]

    def generator() -> Iterator[list[Observation]]:
        while True:
            yield [Observation(7, {"junk": 2})]

    metrics.meter.create_observable_gauge("shop.basket.size", [callback], unit="{item}")
    metrics.meter.create_observable_counter("shop.orders", [generator()], unit="{order}")
    metrics.meter.create_observable_up_down_counter("shop.unregistered", [callback])
    points = metrics.points()
    assert points["shop.basket.size"] == [({"shop.order.id": "o"}, 5)]
    assert points["shop.orders"] == [({}, 7)]
    assert "shop.unregistered" not in points


def test_a_callback_failing_midway_keeps_what_it_observed_before(guard: Guard) -> None:
    """As without the guard: the SDK logs the failure and keeps the earlier observations."""
    metrics = Metrics(guard)

    def callback(options: CallbackOptions) -> Iterator[Observation]:
        yield Observation(5, {"shop.order_id": "o", "junk": 1})
        raise RuntimeError("the application's callback fails")

    metrics.meter.create_observable_gauge("shop.basket.size", [callback], unit="{item}")
    assert metrics.points()["shop.basket.size"] == [({"shop.order.id": "o"}, 5)]


def test_cardinality_limit_folds_into_the_overflow_set(guard: Guard) -> None:
    metrics = Metrics(guard)
    counter = metrics.meter.create_counter("shop.sessions", unit="{session}")
    for tier in ("gold", "silver", "gold", "bronze", "platinum"):
        counter.add(1, {"shop.tier": tier})
    points = dict((tuple(sorted(a.items())), v) for a, v in metrics.points()["shop.sessions"])
    assert points == {
        (("shop.tier", "gold"),): 2,
        (("shop.tier", "silver"),): 1,
        (("otel.metric.overflow", True),): 2,
    }
    assert guard.accounting.get(name="shop.sessions", rule="TC807", action="redact") == 2


def test_cardinality_limit_under_drop(snapshot: Snapshot) -> None:
    guard = Guard.from_snapshot(snapshot, actions={"cardinality": "drop"}, environ={})
    metrics = Metrics(guard)
    counter = metrics.meter.create_counter("shop.sessions", unit="{session}")
    for tier in ("gold", "silver", "bronze"):
        counter.add(1, {"shop.tier": tier})
    assert len(metrics.points()["shop.sessions"]) == 2
    assert guard.accounting.get(rule="TC807", action="drop") == 1


def test_report_mode_records_everything_as_given(snapshot: Snapshot) -> None:
    guard = Guard.from_snapshot(snapshot, mode="report", environ={})
    metrics = Metrics(guard)
    metrics.meter.create_counter("shop.unregistered").add(1, {"junk": 1})
    metrics.meter.create_histogram("shop.order_time", unit="s").record(1, {"shop.order_id": "o"})
    points = metrics.points()
    assert points["shop.unregistered"] == [({"junk": 1}, 1)]
    assert points["shop.order_time"][0][0] == {"shop.order_id": "o"}
    assert guard.accounting.get(action="report") == 4
    assert guard.accounting.get(action="drop") + guard.accounting.get(action="rename") == 0


def test_fail_closed_until_a_snapshot_then_rebound(snapshot: Snapshot) -> None:
    # before a first snapshot nothing says which values are sensitive: none leaves
    guard = Guard(config=None)
    metrics = Metrics(guard)
    counter = metrics.meter.create_counter("shop.unregistered")
    counter.add(1, {"junk": 1})
    assert metrics.points()["shop.unregistered"] == [({"junk": "[redacted]"}, 1)]
    assert guard.accounting.get(name="no snapshot yet", action="pass") == 1
    assert guard.describe()["snapshot"] is None and guard.wait_until_ready(0) is False
    assert "no snapshot yet (fail closed)" in guard.status_line()
    guard.load_bytes(snapshot.to_json_bytes())
    counter.add(1, {"junk": 1})
    assert guard.accounting.get(name="shop.unregistered", rule="TC801", action="drop") == 1
    assert metrics.points()["shop.unregistered"] == [({"junk": "[redacted]"}, 1)]  # unchanged
    assert guard.wait_until_ready(0) is True


def test_report_mode_passes_everything_until_a_snapshot() -> None:
    guard = Guard(config=GuardConfig.resolve(mode="report"))
    metrics = Metrics(guard)
    metrics.meter.create_counter("shop.unregistered").add(1, {"junk": 1})
    assert metrics.points()["shop.unregistered"] == [({"junk": 1}, 1)]
    assert guard.accounting.totals() == {}
    assert "report mode: passing data through" in guard.status_line()


def test_dropped_instrument_is_cheap_and_not_the_sdk(guard: Guard) -> None:
    counter = Metrics(guard).meter.create_counter("shop.unregistered")
    assert getattr(counter, "_record", "missing") is None
    assert not isinstance(counter, NoOpCounter)  # still counts what it drops


def test_guard_publishes_its_own_counts(guard: Guard) -> None:
    metrics = Metrics(guard)
    guard.instrument(metrics.provider)
    metrics.meter.create_counter("shop.unregistered").add(1)
    (point,) = metrics.points()["telemetry_contracts.guard.actions"]
    assert point == (
        {
            "telemetry_contracts.signal": "metric",
            "telemetry_contracts.name": "shop.unregistered",
            "telemetry_contracts.action": "drop",
            "telemetry_contracts.rule": "TC801",
        },
        1,
    )


def test_a_scope_asked_for_twice_keeps_its_native_stream_apart(guard: Guard) -> None:
    """Two ``get_meter`` calls for one scope share what the scope emits natively: the old
    metric is not renamed onto the new one the scope also records (``http/dup``)."""
    metrics = Metrics(guard)
    new = metrics.provider.get_meter("shop").create_histogram("shop.order.duration", unit="s")
    old = metrics.provider.get_meter("shop").create_histogram("shop.order_time", unit="s")
    new.record(0.5)
    old.record(0.5)
    data = metrics.reader.get_metrics_data()
    counts = {m.name: [p.count for p in m.data.data_points]
              for rm in data.resource_metrics for sm in rm.scope_metrics
              if sm.scope.name == "shop" for m in sm.metrics}
    assert counts == {"shop.order.duration": [1], "shop.order_time": [1]}
    assert metrics.provider.get_meter("shop") is metrics.provider.get_meter("shop")


def test_a_dropped_metric_is_said_once_in_the_log(
    guard: Guard, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole metric lost (say the request latency on an older snapshot) is in the log."""
    from telemetry_contracts.sdk_guard import metrics as guarded_metrics

    monkeypatch.setattr(guarded_metrics, "_said_dropped", set())
    metrics = Metrics(guard)
    with caplog.at_level(logging.WARNING, logger="telemetry_contracts.sdk_guard"):
        for _ in range(2):
            metrics.meter.create_histogram("shop.unregistered.latency", unit="s").record(1)
    said = [r.getMessage() for r in caplog.records if "shop.unregistered.latency" in r.getMessage()]
    assert len(said) == 1
    assert "TC801" in said[0] and "unknown_metric=pass" in said[0]


def test_a_converted_histogram_without_advice_gets_the_default_buckets_converted(
    guard: Guard,
) -> None:
    """``ms`` to ``s`` without bucket advice: the SDK's default buckets (meant for ms) would
    put every converted request into the first bucket; they are converted with the amounts
    (as advice from 1.30 on, in the SDK's aggregation table before, where that check holds)."""
    if not (guard.compat.histogram_buckets or Metrics(guard).meter.takes_bucket_advice):
        pytest.skip("this SDK takes no bucket advice and the guard is on the public path: "
                    "the SDK's default buckets stay (see docs/guard.md)")
    metrics = Metrics(guard)
    histogram = metrics.meter.create_histogram("shop.order_time", unit="ms")
    for amount in (3, 30, 300):
        histogram.record(amount)
    data = metrics.reader.get_metrics_data()
    (point,) = [p for rm in data.resource_metrics for sm in rm.scope_metrics
                for m in sm.metrics if m.name == "shop.order.duration"
                for p in m.data.data_points]
    assert list(point.explicit_bounds)[:4] == pytest.approx([0.0, 0.005, 0.01, 0.025])
    assert list(point.bucket_counts)[:9] == [0, 1, 0, 0, 1, 0, 0, 0, 1]


def test_a_hot_reload_does_not_ask_the_sdk_for_the_instrument_again(
    snapshot: Snapshot, caplog: pytest.LogCaptureFixture
) -> None:
    """SDK 1.27 warns 'has been created already' for each instrument a reload rebinds."""
    guard = Guard.from_snapshot(snapshot, environ={})
    metrics = Metrics(guard)
    histogram = metrics.meter.create_histogram("shop.order.duration", unit="s")
    sdk_meter = metrics.meter.delegate  # type: ignore[attr-defined]
    asked: list[str] = []
    real = sdk_meter.create_histogram

    def spy(name: str, *args: object, **kwargs: object) -> object:
        asked.append(name)
        return real(name, *args, **kwargs)

    sdk_meter.create_histogram = spy
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            guard.load_bytes(snapshot.to_json_bytes())
        histogram.record(0.5)
    assert asked == []
    assert not [r for r in caplog.records if "created already" in r.getMessage()]
    assert metrics.points()["shop.order.duration"] == [({}, 0.5)]
