"""Measurement attribute sets judged once each, in the SDK's aggregation tables (SDKs without
exemplars, e.g. 1.27): the same data points and counts as judging every measurement."""

from __future__ import annotations

import pytest
from guard_pipelines import Metrics
from opentelemetry.sdk.metrics._internal._view_instrument_match import _ViewInstrumentMatch

from telemetry_contracts.schemas.model import AttributeRef
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.sdk_guard import Guard, compat

pytestmark = [
    pytest.mark.skipif(
        compat.aggregates_exemplars(),
        reason="this SDK keeps exemplars: the guard judges each measurement before the SDK "
        "(the keyed path runs in the CI matrix on OpenTelemetry SDK 1.27)",
    ),
    pytest.mark.skipif(compat.process_forces_public(), reason="the public path is forced"),
]

OLD = {"shop.order_id": "o-1", "shop.tier": "gold"}
NEW = {"shop.order.id": "o-1", "shop.tier": "gold"}


@pytest.fixture
def keyed(snapshot: Snapshot) -> Guard:
    guard = Guard.from_snapshot(snapshot, environ={})
    assert guard.compat.keyed_aggregations
    return guard


def _run(guard: Guard) -> tuple[list[tuple[dict[str, object], object]], dict[object, int]]:
    """Old and new names, an unknown key and an e-mail, each set measured several times."""
    metrics = Metrics(guard)
    counter = metrics.meter.create_counter("shop.orders", unit="{order}")
    for _ in range(3):
        counter.add(1, dict(OLD))
        counter.add(10, dict(NEW))
        counter.add(100, {**OLD, "junk": 1, "shop.customer.email": "a@b.c"})
    points = sorted(metrics.points()["shop.orders"], key=lambda point: str(point[1]))
    return points, guard.accounting.totals()


def test_the_same_points_and_counts_as_judging_each_measurement(snapshot: Snapshot) -> None:
    keyed = Guard.from_snapshot(snapshot, environ={})
    each = Guard.from_snapshot(snapshot, environ={}, sdk_path="public")
    assert keyed.compat.keyed_aggregations and not each.compat.keyed_aggregations
    points, counts = _run(keyed)
    assert (points, counts) == _run(each)
    assert points == [(NEW, 333)]  # renamed and native sets merged into one series
    assert keyed.accounting.get(name="shop.order_id", rule="TC803", action="rename") == 6


def test_report_mode_counts_every_measurement_of_a_kept_set(snapshot: Snapshot) -> None:
    guard = Guard.from_snapshot(snapshot, mode="report", environ={})
    metrics = Metrics(guard)
    counter = metrics.meter.create_counter("shop.orders", unit="{order}")
    for _ in range(5):
        counter.add(2, {"junk": 1})
    assert metrics.points()["shop.orders"] == [({"junk": 1}, 10)]
    assert guard.accounting.get(name="junk", action="report") == 5


def test_too_many_routed_sets_turn_the_instrument_to_judging_each_measurement(
    keyed: Guard, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compat, "MAX_ROUTED", 4)
    metrics = Metrics(keyed)
    counter = metrics.meter.create_counter("shop.orders", unit="{order}")
    keyed_add = counter.add
    for n in range(10):
        counter.add(1, {"shop.tier": "gold", "junk": n})
    assert counter.add is not keyed_add
    (sdk_counter,) = {v for k, v in vars(counter).items() if k == "_record"}
    tables = [m._attributes_aggregation for m in compat._view_matches(sdk_counter.__self__)]
    assert all(len(table) <= 5 for table in tables)  # 4 routed raw sets and their target
    assert metrics.points()["shop.orders"] == [({"shop.tier": "gold"}, 10)]
    assert keyed.accounting.get(name="junk", action="drop") == 10


def test_a_reload_forgets_sets_that_are_no_longer_clean(snapshot: Snapshot) -> None:
    (orders,) = [m for m in snapshot.metrics if m.name == "shop.orders"]
    lenient = Snapshot.build(  # an earlier version where the method was an attribute of it
        registry="shop", version="0.9.0", attributes=snapshot.attributes,
        metrics=[orders.model_copy(update={
            "attributes": (*orders.attributes, AttributeRef(key="http.request.method"))})])
    guard = Guard.from_snapshot(lenient, environ={})
    metrics = Metrics(guard)
    counter = metrics.meter.create_counter("shop.orders", unit="{order}")
    counter.add(1, {"shop.tier": "gold", "http.request.method": "GET"})
    assert metrics.points()["shop.orders"] == [
        ({"shop.tier": "gold", "http.request.method": "GET"}, 1)]
    guard.load_bytes(snapshot.to_json_bytes())  # the method is not an attribute of it now
    counter.add(1, {"shop.tier": "gold", "http.request.method": "GET"})
    assert metrics.points()["shop.orders"] == [({"shop.tier": "gold"}, 1)]


def test_a_changed_sdk_makes_the_guard_judge_each_measurement(
    snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def consume(self: object, measurement: object, sample: bool = True) -> None:
        raise AssertionError("not reached")

    monkeypatch.setattr(_ViewInstrumentMatch, "consume_measurement", consume)
    checks = {c.name: c for c in compat.detect().checks}
    assert not checks["metrics.aggregations"].fast
    assert "consume_measurement" in checks["metrics.aggregations"].detail
    monkeypatch.undo()
    monkeypatch.setattr(compat, "check_keyed_aggregations", lambda: "changed")
    guard = Guard.from_snapshot(snapshot, environ={}, sdk_path="auto")
    detected = compat.detect()
    assert not detected.keyed_aggregations
    monkeypatch.setattr(guard, "compat", detected)
    metrics = Metrics(guard)
    metrics.meter.create_counter("shop.orders", unit="{order}").add(1, dict(OLD))
    assert metrics.points()["shop.orders"] == [(NEW, 1)]
