"""The start-up checks of the SDK's private details: what they choose on the installed SDK, on
a simulated changed SDK, and that the public path they fall back to still enforces."""

from __future__ import annotations

import importlib.metadata
import logging
from types import MappingProxyType
from typing import Any

import pytest
from guard_pipelines import Spans
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.sdk_guard import Guard, compat

CHECKS = {
    "span.fields",
    "span.copy",
    "attributes.bounded",
    "span.on_ending",
    "logs.attributes",
    "policy.builders",
    "metrics.aggregations",
    "metrics.buckets",
    "metrics.gauge",
    "logs.processor",
}


def test_describe_shows_the_choice_for_every_check(guard: Guard) -> None:
    described = guard.describe()
    sdk = described["sdk"]
    assert sdk["sdk_version"] == importlib.metadata.version("opentelemetry-sdk")
    assert set(sdk["checks"]) == CHECKS
    assert {c["path"] for c in sdk["checks"].values()} <= {"fast", "public"}
    assert described["snapshot"]["version"] == "1.0.0"
    assert described["mode"] == "enforce" and described["on_error"] == "pass"


@pytest.mark.skipif(compat.process_forces_public(), reason="the public path is forced")
def test_every_supported_release_keeps_the_fast_path() -> None:
    """On each release CI runs (1.27 to the newest) every assumption holds."""
    chosen = compat.detect()
    assert chosen.path == "fast", chosen.describe()
    assert chosen.span_fast and chosen.copy_span is not None and chosen.log_swap


def test_the_public_path_can_be_forced(snapshot: Snapshot) -> None:
    guard = Guard.from_snapshot(snapshot, environ={}, sdk_path="public")
    assert guard.compat.path == "public"
    assert not guard.compat.span_fast and not guard.compat.generated_builders
    assert "public path" in guard.status_line()


@pytest.fixture
def renamed_span_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    """An SDK release that keeps a span's attributes in ``_span_attributes``: the fields
    the fast path reads are gone, the public properties still work."""
    original = ReadableSpan.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self._span_attributes = self.__dict__.pop("_attributes")

    monkeypatch.setattr(ReadableSpan, "__init__", init)
    monkeypatch.setattr(
        ReadableSpan,
        "attributes",
        property(lambda self: MappingProxyType(self._span_attributes or {})),
    )
    monkeypatch.setattr(
        ReadableSpan,
        "dropped_attributes",
        property(lambda self: getattr(self._span_attributes, "dropped", 0)),
    )


@pytest.mark.usefixtures("renamed_span_fields")
def test_changed_sdk_takes_the_public_path_and_still_redacts(
    snapshot: Snapshot, caplog: pytest.LogCaptureFixture
) -> None:
    chosen = compat.detect()
    checks = {c.name: c for c in chosen.checks}
    assert not checks["span.fields"].fast and "_attributes" in checks["span.fields"].detail
    assert not chosen.span_fast
    guard = Guard.from_snapshot(snapshot, environ={})
    guard.compat = chosen
    span = Spans(guard).emit(
        {"shop.customer.email": "a@b.c", "shop.order_id": "o-1", "junk": 1, "shop.items": 2}
    )
    assert dict(span.attributes) == {
        "shop.customer.email": "[redacted]",
        "shop.order.id": "o-1",
        "shop.items": 2,
    }
    assert span.dropped_attributes == 1
    assert guard.accounting.get(rule="TC806", action="redact") == 1


def test_sdk_without_on_ending_forwards_nothing(
    monkeypatch: pytest.MonkeyPatch, snapshot: Snapshot
) -> None:
    monkeypatch.delattr(SpanProcessor, "_on_ending", raising=False)
    chosen = compat.detect()
    assert not chosen.forward_on_ending
    guard = Guard.from_snapshot(snapshot, environ={})
    guard.compat = chosen
    span = Spans(guard).emit({"shop.card.token": "t"})
    assert dict(span.attributes) == {"shop.card.token": "[redacted]"}


def test_a_failed_check_is_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(compat, "_SELECTED", {})
    monkeypatch.setattr(compat, "check_attributes_swap", lambda: "missing: _lock")
    with caplog.at_level(logging.INFO, logger="telemetry_contracts.sdk_guard"):
        first = compat.select()
        again = compat.select()
    assert first is again and not first.log_swap
    lines = [r for r in caplog.records if "differs from what the fast path expects" in r.message]
    if compat.process_forces_public():
        assert lines == []
    else:
        assert len(lines) == 1 and "logs.attributes: missing: _lock" in lines[0].message


def test_the_bucket_check_holds_where_the_sdk_takes_no_advice() -> None:
    # before 1.30 the converted buckets go into the SDK's table; from 1.30 advice does it
    if compat.takes_bucket_advice():
        assert compat.detect(False).histogram_buckets is False
    else:
        assert compat.check_histogram_boundaries() is None
        assert compat.detect(False).histogram_buckets is True
