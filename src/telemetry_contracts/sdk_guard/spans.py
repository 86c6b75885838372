"""``GuardSpanProcessor``: hands its delegate a conforming copy of each finished span."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import Link

from telemetry_contracts.sdk_guard.compat import (
    BuildBounded,
    SdkCompat,
    fast_on_end,
    has_items,
    public_bounded_list,
    raw_attributes,
    rebuild_span,
    set_span_parts,
    span_parts,
)
from telemetry_contracts.sdk_guard.errors import internal_error, without_sensitive
from telemetry_contracts.sdk_guard.policy import KeySpace, Policy

if TYPE_CHECKING:
    from telemetry_contracts.sdk_guard.guard import Guard


def _rewritten(
    space: KeySpace, attributes: Any, bounded: BuildBounded, fast: bool, span: Any = None
) -> Any:
    """New attributes when ``attributes`` must change, else ``None``.

    On the fast path the SDK's ``BoundedAttributes`` is read through the dict behind it (its
    ``__len__`` and ``keys`` are Python code); on the public path it is iterated once.
    What the SDK already dropped is read off ``span`` when given, else off ``attributes``.
    """
    if attributes is None:
        return None
    if fast:
        raw = raw_attributes(attributes)
        if raw.keys() <= space.clean:
            return None
        keys = tuple(raw)
    else:
        keys = tuple(attributes)
        if space.clean.issuperset(keys):
            return None
        raw = {key: attributes[key] for key in keys}
    plan = space.plans.get(keys)
    if plan is not None and plan.build is not None:  # no value checks: inline
        plan.hits += 1
        out, removed = plan.build(raw), plan.dropped
    else:
        result = space.rewrite(raw)
        if not result.changed:
            return None
        out, removed = result.attributes, result.dropped
    removed += getattr(attributes, "dropped", 0) if span is None else span.dropped_attributes
    if not removed:  # nothing to report to the encoder: a plain dict will do
        return out
    return bounded(out, removed)


def _has_items(items: Any, fast: bool) -> bool:
    """Truth of the events or links of a span (on the fast path without a Python ``__len__``)."""
    return has_items(items) if fast else bool(items)


def _rewrite_parts(
    space: KeySpace, events: Any, links: Any, compat: SdkCompat
) -> tuple[list[Event] | None, list[Link] | None]:
    """New event and link lists where their attributes must change (``None``: unchanged)."""
    fast, bounded = compat.span_fast, compat.bounded_attributes
    new_events = None
    if _has_items(events, fast):
        for index, event in enumerate(events):
            event_attributes = _rewritten(space, event.attributes, bounded, fast)
            if event_attributes is not None:
                new_events = new_events or list(events)
                new_events[index] = Event(event.name, event_attributes, event.timestamp)
    new_links = None
    if _has_items(links, fast):
        for index, link in enumerate(links):
            link_attributes = _rewritten(space, link.attributes, bounded, fast)
            if link_attributes is not None:
                new_links = new_links or list(links)
                new_links[index] = Link(link.context, link_attributes)
    return new_events, new_links


def guard_span(space: KeySpace, span: ReadableSpan, compat: SdkCompat) -> ReadableSpan:
    """``span`` itself when it conforms, else a transformed copy (``span`` is not touched)."""
    if not compat.span_fast:
        return _guard_span_public(space, span, compat)
    attributes, events, links = span_parts(span)
    attributes = _rewritten(space, attributes, compat.bounded_attributes, True)
    new_events, new_links = _rewrite_parts(space, events, links, compat)
    if attributes is None and new_events is None and new_links is None:
        return span
    copy = _copy(compat, span)
    set_span_parts(
        copy,
        attributes,
        None if new_events is None else public_bounded_list(new_events, events.dropped),
        None if new_links is None else public_bounded_list(new_links, links.dropped),
    )
    return copy


def _guard_span_public(space: KeySpace, span: ReadableSpan, compat: SdkCompat) -> ReadableSpan:
    """``guard_span`` through the SDK's public API only: properties in, constructor out."""
    bounded = compat.bounded_attributes
    attributes = _rewritten(space, span.attributes, bounded, False, span)
    new_events, new_links = _rewrite_parts(space, span.events, span.links, compat)
    if attributes is None and new_events is None and new_links is None:
        return span
    return rebuild_span(span, attributes, new_events, new_links)


def _copy(compat: SdkCompat, span: Any) -> Any:
    """A shallow copy of ``span``: generated field-by-field for the SDK's ``ReadableSpan``
    (checked at start), through ``__dict__`` for any other type."""
    if compat.copy_span is not None and type(span) is ReadableSpan:
        return compat.copy_span(span)
    new: Any = object.__new__(type(span))
    new.__dict__.update(span.__dict__)
    return new


def fail_closed_span(policy: Policy, span: ReadableSpan) -> ReadableSpan | None:
    """``span`` with the values of sensitive attributes redacted, through the public API;
    ``None`` when that cannot be done (then the span must not leave)."""
    try:
        attributes = without_sensitive(policy, span.attributes)
        events = [
            Event(e.name, without_sensitive(policy, e.attributes), e.timestamp) for e in span.events
        ]
        links = [Link(k.context, without_sensitive(policy, k.attributes)) for k in span.links]
        return rebuild_span(span, attributes, events, links)
    except Exception:
        return None


class GuardSpanProcessor(SpanProcessor):
    """Wraps the exporting processor: ``on_end`` passes it a conforming copy of the span.

    The shared span is never changed, so processors beside this one see it as recorded. When
    the guard fails on a span, values of sensitive attributes are redacted and ``on_error``
    decides whether the rest passes or the span is dropped.
    """

    def __init__(self, delegate: SpanProcessor, guard: Guard) -> None:
        self.delegate = delegate
        self._guard = guard
        compat = self._compat = guard.compat
        # Start and ending go straight to the delegate: bound here, they cost no extra call.
        self.on_start = delegate.on_start  # type: ignore[method-assign]
        ending = getattr(delegate, "_on_ending", None) if compat.forward_on_ending else None
        self._on_ending = ending or self._ignore  # type: ignore[method-assign]
        if compat.span_fast:  # the inline fast path, over fields ``compat`` checked at start
            self.on_end = fast_on_end(  # type: ignore[method-assign,assignment]
                guard,
                delegate.on_end,
                lambda space, span: guard_span(space, span, compat),
                self._failed,
                lambda span: _copy(compat, span),
                compat.bounded_attributes,
            )
        else:
            self.on_end = self._on_end_public  # type: ignore[method-assign]

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.delegate.on_start(span, parent_context=parent_context)

    def _on_ending(self, span: Span) -> None:
        """Bound to the delegate's ``_on_ending`` in ``__init__`` where the SDK has one."""

    @staticmethod
    def _ignore(span: Span) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        """Replaced in ``__init__`` by the fast path or :meth:`_on_end_public`."""
        self._on_end_public(span)

    def _on_end_public(self, span: ReadableSpan) -> None:
        """``on_end`` through the SDK's public API (a check failed, or it was forced)."""
        try:
            guarded: ReadableSpan | None = guard_span(self._guard.policy.spans, span, self._compat)
        except Exception:
            guarded = self._failed(span)
        if guarded is not None:
            self.delegate.on_end(guarded)

    def _failed(self, span: ReadableSpan) -> ReadableSpan | None:
        """The span to pass on after an internal error (``None``: drop it)."""
        try:
            policy = self._guard.policy
            internal_error("span processor", policy, "span")
            if policy.config.on_error == "drop":
                return None
            return fail_closed_span(policy, span)
        except Exception:  # sensitivity cannot be decided: nothing leaves
            return None

    def shutdown(self) -> None:
        self.delegate.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.delegate.force_flush(timeout_millis)
