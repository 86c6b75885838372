"""``GuardSpanProcessor``: hands its delegate a conforming copy of each finished span."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import Link

from telemetry_contracts.sdk_guard.errors import internal_error
from telemetry_contracts.sdk_guard.policy import KeySpace

if TYPE_CHECKING:
    from telemetry_contracts.sdk_guard.guard import Guard


def _rewritten(space: KeySpace, attributes: Any) -> Any:
    """New attributes when ``attributes`` must change, else ``None``.

    The SDK's ``BoundedAttributes`` and ``BoundedList`` implement ``__len__`` in Python, so the
    guard looks at the dict and deque behind them instead of asking for their truth value.
    """
    if attributes is None:
        return None
    raw = getattr(attributes, "_dict", attributes)
    if raw.keys() <= space.clean:
        return None
    plan = space.plans.get(tuple(raw))
    if plan is not None and plan.build is not None:  # no value checks: inline
        plan.hits += 1
        out, dropped = plan.build(raw), plan.dropped
    else:
        result = space.rewrite(raw)
        if not result.changed:
            return None
        out, dropped = result.attributes, result.dropped
    dropped += getattr(attributes, "dropped", 0)
    if not dropped:  # nothing to report to the encoder: a plain dict will do
        return out
    return _bounded_attributes(out, dropped)


def _make_bounded_attributes() -> Callable[[dict[Any, Any], int], Any]:
    """A function wrapping a dict in an immutable ``BoundedAttributes`` that carries a dropped
    count (the OTLP encoder reads it).

    The SDK cleaned these values when they were set; the guard only renamed, dropped or
    redacted (with a string), so they are installed without cleaning them again. Where the
    constructor's fields are plain values (read off a probe) they are assigned directly,
    several times cheaper than calling the constructor; otherwise the constructor is used.
    """

    def construct(out: dict[Any, Any], dropped: int) -> Any:
        bounded = BoundedAttributes(maxlen=None, immutable=True)
        bounded._dict = out
        bounded.dropped = dropped
        return bounded

    try:
        probe = vars(BoundedAttributes(maxlen=None, immutable=True))
    except Exception:
        return construct
    lock_type = type(threading.Lock())
    lines = []
    for name, value in probe.items():
        if not name.isidentifier():
            return construct
        if name in ("_dict", "dropped"):
            lines.append(f"    new.{name} = {'out' if name == '_dict' else 'dropped'}")
        elif isinstance(value, lock_type):
            lines.append(f"    new.{name} = Lock()")
        elif value is None or type(value) in (bool, int):
            lines.append(f"    new.{name} = {value!r}")
        else:
            return construct
    source = "def bounded(out, dropped):\n    new = new_object(kind)\n"
    source += "\n".join(lines) + "\n    return new\n"
    namespace: dict[str, Any] = {
        "kind": BoundedAttributes,
        "new_object": object.__new__,
        "Lock": threading.Lock,
    }
    exec(source, namespace)  # the source holds identifiers and reprs of None, bool and int
    made: Callable[[dict[Any, Any], int], Any] = namespace["bounded"]
    return made


_bounded_attributes = _make_bounded_attributes()


def _has_items(items: Any) -> bool:
    """Truth of a ``BoundedList`` (or any sequence) without its Python ``__len__``."""
    return items is not None and bool(getattr(items, "_dq", items))


def _bounded(original: Any, items: Sequence[Any]) -> BoundedList:
    copy = BoundedList.from_seq(None, items)
    copy.dropped = getattr(original, "dropped", 0)
    return copy


def guard_span(space: KeySpace, span: ReadableSpan, attributes_clean: bool = False) -> ReadableSpan:
    """``span`` itself when it conforms, else a transformed copy (``span`` is not touched).

    ``attributes_clean`` says the caller already found the span's own keys clean.
    """
    attributes = None if attributes_clean else _rewritten(space, span._attributes)
    events = span._events
    links = span._links
    new_events = None
    if _has_items(events):
        for index, event in enumerate(events):
            event_attributes = _rewritten(space, event.attributes)
            if event_attributes is not None:
                new_events = new_events or list(events)
                new_events[index] = Event(event.name, event_attributes, event.timestamp)
    new_links = None
    if _has_items(links):
        for index, link in enumerate(links):
            link_attributes = _rewritten(space, link.attributes)
            if link_attributes is not None:
                new_links = new_links or list(links)
                new_links[index] = Link(link.context, link_attributes)
    if attributes is None and new_events is None and new_links is None:
        return span
    copy = _copier(type(span))(span)
    if attributes is not None:
        copy._attributes = attributes
    if new_events is not None:
        copy._events = _bounded(events, new_events)
    if new_links is not None:
        copy._links = _bounded(links, new_links)
    return copy


_COPIERS: dict[type, Callable[[Any], Any]] = {}


def _copier(kind: type) -> Callable[[Any], Any]:
    """A function making a shallow copy of a span of type ``kind`` (cached per type).

    The SDK hands ``on_end`` a ``ReadableSpan`` it has just constructed; for that type the
    copy assigns the fields its constructor sets (read off a probe instance, so a new SDK
    field is copied too), one by one in the same order: the copy then has the class's compact
    attribute layout, and the original's ``__dict__`` is never materialized (which alone costs
    more than the whole copy). Any other type is copied through its ``__dict__``.
    """
    found = _COPIERS.get(kind)
    if found is None:
        found = _COPIERS[kind] = _field_copier(kind) if kind is ReadableSpan else _dict_copier(kind)
    return found


def _dict_copier(kind: type) -> Callable[[Any], Any]:
    def copy(span: Any) -> Any:
        new: Any = object.__new__(kind)
        new.__dict__.update(span.__dict__)
        return new

    return copy


def _constructor_fields() -> tuple[str, ...] | None:
    """The instance fields ``ReadableSpan.__init__`` sets, in order (read off a probe);
    ``None`` when no probe can be made."""
    try:
        from opentelemetry.sdk.resources import Resource

        fields = tuple(vars(ReadableSpan("probe", resource=Resource({}))))
    except Exception:
        return None
    return fields if all(name.isidentifier() for name in fields) else None


def _field_copier(kind: type) -> Callable[[Any], Any]:
    fields = _constructor_fields()
    if fields is None:
        return _dict_copier(kind)
    body = "".join(f"    new.{name} = span.{name}\n" for name in fields)
    source = "def copy(span):\n    new = new_object(kind)\n" + body + "    return new\n"
    namespace: dict[str, Any] = {"kind": kind, "new_object": object.__new__}
    exec(source, namespace)  # the source holds only identifiers read off the class
    copier: Callable[[Any], Any] = namespace["copy"]
    return copier


class GuardSpanProcessor(SpanProcessor):
    """Wraps the exporting processor: ``on_end`` passes it a conforming copy of the span.

    The shared span is never changed, so processors beside this one see it as recorded. Any
    failure inside the guard passes the original span through.
    """

    def __init__(self, delegate: SpanProcessor, guard: Guard) -> None:
        self.delegate = delegate
        self._guard = guard
        # Start and ending go straight to the delegate: bound here, they cost no extra call.
        self.on_start = delegate.on_start  # type: ignore[method-assign]
        self._on_ending = getattr(delegate, "_on_ending", self._ignore)  # type: ignore[method-assign]

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.delegate.on_start(span, parent_context=parent_context)

    def _on_ending(self, span: Span) -> None:
        """Bound to the delegate's ``_on_ending`` in ``__init__``."""

    @staticmethod
    def _ignore(span: Span) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        # The common cases inline (every operation counts here): the SDK's own containers,
        # no events or links, and span attributes that are clean, or that have a cached plan
        # without value checks (then only the copy is made). Anything else goes through
        # ``guard_span``.
        try:
            space = self._guard.policy.spans
            try:
                attributes: Any = span._attributes
                raw = attributes._dict
                busy = span._events._dq or span._links._dq  # type: ignore[attr-defined]
            except AttributeError:  # not the SDK's BoundedAttributes and BoundedLists
                busy = True
            if busy:
                guarded = guard_span(space, span)
            elif raw.keys() <= space.hot:
                guarded = span
            elif raw.keys() <= space.clean:
                space.warm(raw.keys())
                guarded = span
            else:
                plan = space.plans.get(tuple(raw))
                if plan is None or plan.build is None:
                    guarded = guard_span(space, span)
                else:
                    plan.hits += 1
                    guarded = _copier(type(span))(span)
                    dropped = plan.dropped + attributes.dropped
                    guarded._attributes = (
                        _bounded_attributes(plan.build(raw), dropped)
                        if dropped
                        else plan.build(raw)
                    )
        except Exception:
            internal_error("span processor")
            guarded = span
        self.delegate.on_end(guarded)

    def shutdown(self) -> None:
        self.delegate.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.delegate.force_flush(timeout_millis)
