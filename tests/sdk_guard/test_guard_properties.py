"""Arbitrary keys and values through every entry point: nothing reaches the caller."""

from __future__ import annotations

from typing import Any

import pytest
from guard_contracts import contracts_snapshot
from guard_pipelines import Logs, Metrics, Spans, emit_log
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.metrics import CallbackOptions, Observation

from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.sdk_guard import Guard
from telemetry_contracts.sdk_guard.errors import internal_errors

known_keys = st.sampled_from(
    [
        "shop.order.id",
        "shop.order_id",
        "shop.items",
        "shop.tier",
        "shop.customer.email",
        "shop.header.x",
        "http.method",
        "shop.legacy",
    ]
)
keys = st.one_of(
    known_keys,
    st.text(max_size=30),
    st.integers(),
    st.none(),
    st.binary(max_size=8),
    st.tuples(st.integers()),
    st.floats(allow_nan=True),
)
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.just("x" * 100_000),
)
values = st.recursive(
    leaf, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner), max_leaves=8
)
attributes = st.one_of(
    st.dictionaries(keys, values, max_size=8),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.text(max_size=5),
)

GUARDS: dict[str, Guard] = {}


def guard_for(mode: str) -> Guard:
    if mode not in GUARDS:
        snapshot: Snapshot = contracts_snapshot()
        GUARDS[mode] = Guard.from_snapshot(
            snapshot,
            mode=mode,
            environ={},
            actions={"wrong_type": "drop", "enum_value": "redact", "cardinality": "redact"},
        )
    return GUARDS[mode]


PIPELINES: dict[str, tuple[Spans, Metrics, Logs]] = {}


def pipelines(mode: str) -> tuple[Spans, Metrics, Logs]:
    if mode not in PIPELINES:
        guard = guard_for(mode)
        PIPELINES[mode] = (Spans(guard), Metrics(guard), Logs(guard))
    return PIPELINES[mode]


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    attrs=attributes,
    mode=st.sampled_from(["enforce", "report"]),
    metric=st.sampled_from(["shop.orders", "shop.sessions", "shop.order_time", "nope"]),
)
def test_no_exception_reaches_the_caller(attrs: Any, mode: str, metric: str) -> None:
    spans, metrics, logs = pipelines(mode)
    before = dict(internal_errors)
    with spans.tracer.start_as_current_span("op") as span:
        if isinstance(attrs, dict):
            for key, value in attrs.items():
                span.set_attribute(key, value)  # the SDK's own validation first
        span.add_event("e", attrs if isinstance(attrs, dict) else None)
    meter = metrics.meter
    meter.create_counter(metric).add(1, attrs)
    meter.create_up_down_counter(metric).add(1, attrs)
    meter.create_histogram(metric).record(1.0, attrs)
    meter.create_gauge(metric).set(1.0, attrs)

    def callback(options: CallbackOptions) -> list[Observation]:
        return [Observation(1, attrs)]

    meter.create_observable_gauge(metric + ".observed", [callback])
    metrics.reader.get_metrics_data()
    emit_log(logs.logger, attrs if isinstance(attrs, dict) else None, "b")
    # handled by the policy itself, not by the guard's safety net
    assert internal_errors == before


@settings(max_examples=100, deadline=None)
@given(attrs=st.dictionaries(keys, values, max_size=8))
def test_rewrite_of_raw_mappings_never_raises(attrs: dict[Any, Any]) -> None:
    for mode in ("enforce", "report"):
        policy = guard_for(mode).policy
        for space in (policy.spans, policy.logs, policy.metric_space(None, "m")):
            result = space.rewrite(attrs)
            assert isinstance(result.dropped, int)
