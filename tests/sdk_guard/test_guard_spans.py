"""The span processor inside a real TracerProvider: every action, copies, counts, fallbacks."""

from __future__ import annotations

import json
from typing import Any

from guard_pipelines import Spans
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link

from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.sdk_guard import Guard


class Recording(SpanProcessor):
    """Keeps the span objects it is handed."""

    def __init__(self) -> None:
        self.ended: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.append(span)


def test_conforming_span_passes_as_the_same_object(guard: Guard) -> None:
    beside, behind = Recording(), Recording()
    provider = TracerProvider()
    provider.add_span_processor(beside)
    provider.add_span_processor(guard.span_processor(behind))
    with provider.get_tracer("t").start_as_current_span("op") as span:
        span.set_attribute("shop.order.id", "o-1")
        span.set_attribute("shop.items", 3)
    assert behind.ended[0] is beside.ended[0]
    assert guard.accounting.totals() == {}


def test_deprecated_key_is_renamed(guard: Guard) -> None:
    span = Spans(guard).emit({"shop.order_id": "o-1", "shop.items": 2})
    assert dict(span.attributes) == {"shop.order.id": "o-1", "shop.items": 2}
    assert span.dropped_attributes == 0
    assert (
        guard.accounting.get(
            signal="span",
            name="shop.order_id",
            rule="TC803",
            action="rename",
            renamed_to="shop.order.id",
        )
        == 1
    )


def test_new_name_wins_when_both_are_present(guard: Guard) -> None:
    span = Spans(guard).emit({"http.method": "GET", "http.request.method": "POST"})
    assert dict(span.attributes) == {"http.request.method": "POST"}
    assert span.dropped_attributes == 1


def test_unknown_key_is_dropped_and_counted_for_the_encoder(guard: Guard) -> None:
    span = Spans(guard).emit({"shop.items": 1, "debug.blob": "x", "tmp": 2})
    assert dict(span.attributes) == {"shop.items": 1}
    assert span.dropped_attributes == 2
    assert guard.accounting.get(signal="span", rule="TC802", action="drop") == 2


def test_dropped_count_adds_to_the_sdk_limit_drops(snapshot: Snapshot) -> None:
    from opentelemetry.sdk.trace import SpanLimits

    guard = Guard.from_snapshot(snapshot, environ={})
    exporter = InMemorySpanExporter()
    provider = TracerProvider(span_limits=SpanLimits(max_span_attributes=2))
    provider.add_span_processor(guard.span_processor(SimpleSpanProcessor(exporter)))
    with provider.get_tracer("t").start_as_current_span("op") as span:
        for key in ("shop.items", "debug.a", "debug.b", "debug.c"):
            span.set_attribute(key, 1)
    (exported,) = exporter.get_finished_spans()
    assert span.dropped_attributes == 2  # the SDK kept debug.b and debug.c
    assert dict(exported.attributes) == {}
    assert exported.dropped_attributes == 4


def test_sensitive_values_are_redacted(guard: Guard) -> None:
    span = Spans(guard).emit({"shop.customer.email": "a@b.c", "shop.card.token": "tok"})
    assert dict(span.attributes) == {
        "shop.customer.email": "[redacted]",
        "shop.card.token": "[redacted]",
    }
    assert guard.accounting.get(rule="TC806", action="redact") == 2


def test_template_keys_are_known(guard: Guard) -> None:
    span = Spans(guard).emit({"shop.header.x-id": "1", "shop.headerx": "2"})
    assert dict(span.attributes) == {"shop.header.x-id": "1"}


def test_pass_action_keeps_and_counts(snapshot: Snapshot) -> None:
    guard = Guard.from_snapshot(
        snapshot, actions={"unknown_attribute": "pass", "deprecated_name": "pass"}, environ={}
    )
    span = Spans(guard).emit({"debug.blob": "x", "shop.order_id": "o"})
    assert dict(span.attributes) == {"debug.blob": "x", "shop.order_id": "o"}
    assert guard.accounting.get(rule="TC802", action="pass") == 1
    assert guard.accounting.get(rule="TC803", action="pass") == 1


def test_drop_deprecated_and_redact_unknown(snapshot: Snapshot) -> None:
    guard = Guard.from_snapshot(
        snapshot, actions={"deprecated_name": "drop", "unknown_attribute": "redact"}, environ={}
    )
    span = Spans(guard).emit({"shop.order_id": "o", "debug.blob": "x"})
    assert dict(span.attributes) == {"debug.blob": "[redacted]"}
    assert span.dropped_attributes == 1


def test_namespace_override_beats_the_kind_action(snapshot: Snapshot) -> None:
    guard = Guard.from_snapshot(
        snapshot, namespaces={"debug.": {"unknown_attribute": "pass"}}, environ={}
    )
    span = Spans(guard).emit({"debug.blob": "x", "other.blob": "y"})
    assert dict(span.attributes) == {"debug.blob": "x"}


def test_type_and_enum_checks_when_enabled(snapshot: Snapshot) -> None:
    guard = Guard.from_snapshot(
        snapshot, actions={"wrong_type": "drop", "enum_value": "redact"}, environ={}
    )
    span = Spans(guard).emit({"shop.items": "three", "shop.tier": "bronze", "shop.order.id": "o"})
    assert dict(span.attributes) == {"shop.tier": "[redacted]", "shop.order.id": "o"}
    assert guard.accounting.get(rule="TC804", action="drop", name="shop.items") == 1
    assert guard.accounting.get(rule="TC805", action="redact", name="shop.tier") == 1
    good = Spans(guard).emit({"shop.items": 3, "shop.tier": "gold"})
    assert dict(good.attributes) == {"shop.items": 3, "shop.tier": "gold"}


def test_report_mode_changes_nothing_and_counts(snapshot: Snapshot) -> None:
    guard = Guard.from_snapshot(snapshot, mode="report", environ={})
    attributes = {"shop.order_id": "o", "debug.blob": "x", "shop.customer.email": "a@b.c"}
    span = Spans(guard).emit(attributes)
    assert dict(span.attributes) == attributes
    assert guard.accounting.get(action="report") == 3
    assert guard.accounting.get(action="drop") == 0


def test_event_and_link_attributes_are_guarded(guard: Guard) -> None:
    spans = Spans(guard)
    with spans.tracer.start_as_current_span("parent") as parent:
        pass
    link = Link(parent.get_span_context(), {"shop.order_id": "o", "junk": 1})
    with spans.tracer.start_as_current_span("op", links=[link]) as span:
        span.add_event("checkout", {"shop.items": 1, "junk": 2})
    exported = spans.exporter.get_finished_spans()[-1]
    assert dict(exported.events[0].attributes) == {"shop.items": 1}
    assert exported.events[0].dropped_attributes == 1
    assert dict(exported.links[0].attributes) == {"shop.order.id": "o"}
    assert exported.links[0].dropped_attributes == 1
    # the recorded span and its events are untouched
    assert dict(span.events[0].attributes) == {"shop.items": 1, "junk": 2}


def test_shared_span_is_not_mutated_for_other_processors(guard: Guard) -> None:
    recording = Recording()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(guard.span_processor(SimpleSpanProcessor(exporter)))
    provider.add_span_processor(recording)
    with provider.get_tracer("t").start_as_current_span("op", attributes={"junk": 1}):
        pass
    assert dict(recording.ended[0].attributes) == {"junk": 1}
    assert dict(exporter.get_finished_spans()[0].attributes) == {}


def test_a_span_whose_sensitivity_cannot_be_decided_does_not_leave(guard: Guard) -> None:
    class Broken:
        def __getattr__(self, name: str) -> Any:
            raise RuntimeError("broken policy")

    spans = Spans(guard)
    guard.policy = Broken()  # type: ignore[assignment]
    with spans.tracer.start_as_current_span("op", attributes={"junk": 1}):
        pass
    assert spans.exporter.get_finished_spans() == ()


def test_copy_keeps_the_span_fields(guard: Guard) -> None:
    spans = Spans(guard)
    with spans.tracer.start_as_current_span("op", attributes={"junk": 1}) as span:
        span.add_event("e")
    copy = spans.exporter.get_finished_spans()[0]
    assert copy is not span
    for field in (
        "name",
        "context",
        "parent",
        "kind",
        "status",
        "start_time",
        "end_time",
        "resource",
        "instrumentation_scope",
    ):
        assert getattr(copy, field) == getattr(span, field), field
    assert [e.name for e in copy.events] == ["e"]


def test_plan_cache_is_bounded_and_counts_survive_eviction(snapshot: Snapshot) -> None:
    from telemetry_contracts.sdk_guard.config import GuardConfig

    guard = Guard.from_snapshot(snapshot, config=GuardConfig.resolve(environ={}, cache_size=2))
    spans = Spans(guard)
    for index in range(20):
        spans.emit({f"junk.{index}": 1, "shop.order_id": "o"})
    assert len(guard.policy.spans.plans) <= 2
    assert guard.accounting.get(rule="TC802", action="drop") == 20
    assert guard.accounting.get(name="shop.order_id", action="rename") == 20


def test_hot_reload_keeps_the_counts(guard: Guard, snapshot: Snapshot) -> None:
    spans = Spans(guard)
    spans.emit({"junk": 1})
    guard.load_bytes(snapshot.to_json_bytes())
    spans.emit({"junk": 1})
    assert guard.reloads == 2
    assert guard.accounting.get(name="junk", action="drop") == 2


def test_concurrent_spans(guard: Guard) -> None:
    import threading

    spans = Spans(guard)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for index in range(200):
                spans.emit({f"junk.{index % 7}": 1, "shop.order_id": "o"})
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    exported = spans.exporter.get_finished_spans()
    assert len(exported) == 800
    assert all(dict(s.attributes) == {"shop.order.id": "o"} for s in exported)
    assert 0 < guard.accounting.get(rule="TC802") <= 800  # unlocked increments never overcount


def test_any_key_text_survives_the_compiled_plan(snapshot: Snapshot) -> None:
    guard = Guard.from_snapshot(snapshot, actions={"unknown_attribute": "pass"}, environ={})
    odd = "we'ird\"\\\n key }) + __import__('os')"
    span = Spans(guard).emit({"shop.order_id": "o", odd: 1, "shop.card.token": "t"})
    assert dict(span.attributes) == {"shop.order.id": "o", odd: 1, "shop.card.token": "[redacted]"}


def _public_fields(span: ReadableSpan) -> dict[str, Any]:
    names = ("name", "context", "parent", "resource", "events", "links", "kind", "status")
    fields = {name: getattr(span, name) for name in names}
    fields.update(
        start_time=span.start_time,
        end_time=span.end_time,
        scope=span.instrumentation_scope,
        dropped_events=span.dropped_events,
        dropped_links=span.dropped_links,
    )
    return fields


def test_copy_keeps_every_other_field_for_the_exporters(guard: Guard) -> None:
    beside, behind = Recording(), Recording()
    provider = TracerProvider()
    provider.add_span_processor(beside)
    provider.add_span_processor(guard.span_processor(behind))
    parent = provider.get_tracer("t", "1.0").start_span("parent")
    with provider.get_tracer("t", "1.0").start_as_current_span(
        "op", context=trace.set_span_in_context(parent), kind=trace.SpanKind.SERVER
    ) as span:
        span.set_attribute("shop.order_id", "o-1")
        span.set_status(trace.StatusCode.ERROR, "boom")
    original, copy = beside.ended[0], behind.ended[0]
    assert copy is not original and type(copy) is ReadableSpan
    assert _public_fields(copy) == _public_fields(original)
    assert dict(copy.attributes) == {"shop.order.id": "o-1"}
    assert dict(original.attributes) == {"shop.order_id": "o-1"}
    exported, recorded = json.loads(copy.to_json()), json.loads(original.to_json())
    assert exported.pop("attributes") == {"shop.order.id": "o-1"}
    recorded.pop("attributes")
    assert exported == recorded  # what the console exporter prints


def test_span_built_outside_the_sdk_is_guarded_too(guard: Guard) -> None:
    behind = Recording()
    processor = guard.span_processor(behind)
    span = ReadableSpan("op", attributes={"shop.order_id": "o-1", "debug.x": 1}, events=())
    processor.on_end(span)
    (copy,) = behind.ended
    assert dict(copy.attributes) == {"shop.order.id": "o-1"}
    assert copy.dropped_attributes == 1
    assert copy.name == "op" and copy.resource is span.resource
    assert dict(span.attributes) == {"shop.order_id": "o-1", "debug.x": 1}


def test_only_clean_keys_are_remembered_as_hot(guard: Guard) -> None:
    spans = Spans(guard)
    spans.emit({"shop.items": 1})
    spans.emit({"shop.items": 2, "shop.order_id": "o-1"})
    # the table of hot keys belongs to the fast path; the public path leaves it empty
    expected = {"shop.items"} if guard.compat.span_fast else set()
    assert guard.policy.spans.hot == frozenset(expected)
    again = spans.emit({"shop.order_id": "o-2", "shop.items": 3})
    assert dict(again.attributes) == {"shop.items": 3, "shop.order.id": "o-2"}


def _renamed_email(snapshot: Snapshot, successor: str, known: bool) -> dict[str, Any]:
    """The contracts with the sensitive ``shop.customer.email`` deprecated for ``successor``
    (itself not marked sensitive; ``known``: in the registry)."""
    document = json.loads(snapshot.to_json_bytes())
    for attribute in document["attributes"]:
        if attribute["key"] == "shop.customer.email":
            attribute["deprecated"] = {"reason": "renamed", "renamed_to": successor}
    if known:
        document["attributes"].append({"key": successor, "type": "string"})
    return document


def test_a_sensitive_key_renamed_stays_redacted_under_its_new_name(snapshot: Snapshot) -> None:
    from guard_pipelines import Metrics

    for successor, known, actions in (
        ("shop.customer.mail", True, {}),
        ("shop.customer.mail", False, {"unknown_attribute": "pass"}),
    ):
        guard = Guard.from_snapshot(
            _renamed_email(snapshot, successor, known), actions=actions, environ={}
        )
        span = Spans(guard).emit({"shop.customer.email": "a@b.c"})
        assert dict(span.attributes) == {successor: "[redacted]"}, (known, actions)
        metrics = Metrics(guard)
        metrics.meter.create_counter("shop.orders", unit="{order}").add(
            1, {"shop.customer.email": "a@b.c"}
        )
        for attributes, _ in metrics.points()["shop.orders"]:
            assert "a@b.c" not in attributes.values(), (known, actions, attributes)
        assert guard.accounting.get(name=successor, rule="TC806", action="redact") >= 1
