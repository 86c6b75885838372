"""Every private OpenTelemetry SDK detail the guard relies on, checked once against the
installed SDK; where a check fails (or ``TELEMETRY_CONTRACTS_SDK_PATH=public`` asks for it) the
guard uses the SDK's public API for that part instead.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import inspect
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import opentelemetry.metrics as metrics_api
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import Link

from telemetry_contracts.sdk_guard.config import ENV_SDK_PATH

_logger = logging.getLogger("telemetry_contracts.sdk_guard")

BuildBounded = Callable[[dict[Any, Any], int], Any]


@dataclass(frozen=True)
class Check:
    """One assumption about the installed SDK and the path the guard takes for it."""

    name: str
    fast: bool
    detail: str

    @property
    def path(self) -> str:
        return "fast" if self.fast else "public"


def sdk_version() -> str:
    try:
        return importlib.metadata.version("opentelemetry-sdk")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def process_forces_public() -> bool:
    """``TELEMETRY_CONTRACTS_SDK_PATH=public`` in the process environment: every guard of the
    process takes the public path (whatever its own configuration says)."""
    return os.environ.get(ENV_SDK_PATH, "").strip().lower() == "public"


# --- probes --------------------------------------------------------------------------------


class _Capture(SpanProcessor):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.spans.append(span)


def probe_span() -> ReadableSpan:
    """A finished span the way the installed SDK hands it to ``on_end``."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON

    capture = _Capture()
    provider = TracerProvider(sampler=ALWAYS_ON, resource=Resource({}), shutdown_on_exit=False)
    provider.add_span_processor(capture)
    span = provider.get_tracer("telemetry_contracts.probe").start_span(
        "probe", attributes={"k": "v"}
    )
    span.add_event("e", {"a": 1})
    span.end()
    return capture.spans[-1]


def check_span_fields(span: ReadableSpan) -> str | None:
    """Why the fast span path cannot read and write ``span``'s fields (``None``: it can)."""
    try:
        attributes: Any = span._attributes
        public: Any = span.attributes
        if not isinstance(attributes._dict, dict) or dict(public) != attributes._dict:
            return "ReadableSpan._attributes._dict differs from ReadableSpan.attributes"
        for field, public in (("_events", span.events), ("_links", span.links)):
            deque = getattr(span, field)._dq
            if tuple(deque) != tuple(public):
                return f"ReadableSpan.{field}._dq differs from the public sequence"
        if not span._events._dq:  # type: ignore[attr-defined]
            return "the probe's event is not in ReadableSpan._events._dq"
    except AttributeError as error:
        return f"missing: {error}"
    return None


def constructor_fields() -> tuple[str, ...] | None:
    """The instance fields ``ReadableSpan.__init__`` sets, in order (read off a probe)."""
    try:
        from opentelemetry.sdk.resources import Resource

        fields = tuple(vars(ReadableSpan("probe", resource=Resource({}))))
    except Exception:
        return None
    return fields if all(name.isidentifier() for name in fields) else None


def make_field_copier(kind: type, fields: tuple[str, ...]) -> Callable[[Any], Any]:
    """A function copying ``fields`` of a ``kind`` one by one, in order: the copy keeps the
    class's compact attribute layout, and the original's ``__dict__`` is never materialized."""
    body = "".join(f"    new.{name} = span.{name}\n" for name in fields)
    source = "def copy(span):\n    new = new_object(kind)\n" + body + "    return new\n"
    namespace: dict[str, Any] = {"kind": kind, "new_object": object.__new__}
    exec(source, namespace)  # the source holds only identifiers read off the class
    copier: Callable[[Any], Any] = namespace["copy"]
    return copier


def _same_span(a: ReadableSpan, b: ReadableSpan) -> bool:
    names = ("name", "context", "parent", "kind", "status", "start_time", "end_time",
             "resource", "instrumentation_scope", "dropped_attributes", "dropped_events",
             "dropped_links")  # fmt: skip
    return (
        all(getattr(a, n) == getattr(b, n) for n in names)
        and dict(a.attributes or {}) == dict(b.attributes or {})
        and tuple(a.events) == tuple(b.events)
        and tuple(a.links) == tuple(b.links)
    )


def public_bounded_attributes(out: dict[Any, Any], dropped: int) -> Any:
    """An immutable ``BoundedAttributes`` built through its constructor (values re-cleaned)."""
    bounded = BoundedAttributes(maxlen=None, attributes=out, immutable=True)
    bounded.dropped = dropped
    return bounded


def make_bounded_attributes() -> BuildBounded | None:
    """A function wrapping a dict in an immutable ``BoundedAttributes`` without re-cleaning its
    values: the constructor's fields (read off a probe) are assigned directly, several times
    cheaper than the constructor. ``None`` when a field is not a plain value."""
    probe = vars(BoundedAttributes(maxlen=None, immutable=True))
    locks = {type(threading.Lock()): "Lock", type(threading.RLock()): "RLock"}
    lines = []
    for name, value in probe.items():
        if not name.isidentifier():
            return None
        if name in ("_dict", "dropped"):
            lines.append(f"    new.{name} = {'out' if name == '_dict' else 'dropped'}")
        elif type(value) in locks:
            lines.append(f"    new.{name} = {locks[type(value)]}()")
        elif value is None or type(value) in (bool, int):
            lines.append(f"    new.{name} = {value!r}")
        else:
            return None
    source = "def bounded(out, dropped):\n    new = new_object(kind)\n"
    source += "\n".join(lines) + "\n    return new\n"
    namespace: dict[str, Any] = {
        "kind": BoundedAttributes,
        "new_object": object.__new__,
        "Lock": threading.Lock,
        "RLock": threading.RLock,
    }
    exec(source, namespace)  # the source holds identifiers and reprs of None, bool and int
    made: BuildBounded = namespace["bounded"]
    return made


def check_bounded(build: BuildBounded) -> str | None:
    made = build({"a": 1}, 2)
    if not isinstance(made, BoundedAttributes) or dict(made) != {"a": 1} or made.dropped != 2:
        return "the built BoundedAttributes does not read back"
    try:
        made["b"] = 2
    except TypeError:
        pass
    else:
        return "the built BoundedAttributes is not immutable"
    if set(vars(made)) != set(vars(BoundedAttributes(maxlen=None, immutable=True))):
        return "the built BoundedAttributes has other fields than the constructor's"
    return None


def check_attributes_swap() -> str | None:
    """Whether a mutable ``BoundedAttributes`` can have its ``_dict`` swapped under ``_lock``."""
    bounded: Any = BoundedAttributes(maxlen=None, attributes={"a": 1}, immutable=False)
    try:
        with bounded._lock:
            bounded._dict = {"b": 2}
    except (AttributeError, TypeError) as error:
        return f"missing: {error}"
    if dict(bounded) != {"b": 2} or len(bounded) != 1:
        return "BoundedAttributes does not read its _dict"
    return None


# --- the selection -------------------------------------------------------------------------


@dataclass(frozen=True)
class SdkCompat:
    """The paths chosen for the installed SDK (see :func:`detect`)."""

    sdk_version: str
    checks: tuple[Check, ...]
    span_fast: bool
    """Finished spans are read and copied through their private fields."""
    copy_span: Callable[[Any], Any] | None
    bounded_attributes: BuildBounded
    forward_on_ending: bool
    log_swap: bool
    """Log record attributes are replaced by swapping ``BoundedAttributes._dict``."""
    log_method: str
    """``on_emit`` or ``emit``: what the installed SDK calls on a log record processor."""
    gauge_base: type
    generated_builders: bool
    keyed_aggregations: bool
    """Measurement attribute sets are judged once each, in the SDK's aggregation tables."""
    histogram_buckets: bool = False
    """On an SDK without bucket advice (before 1.30), a converted histogram's buckets are set
    in the SDK's aggregation table (:func:`histogram_boundaries`)."""

    @property
    def path(self) -> str:
        """``fast``, ``public`` or ``mixed``."""
        fast = {c.fast for c in self.checks}
        return "fast" if fast == {True} else "public" if fast == {False} else "mixed"

    def describe(self) -> dict[str, Any]:
        return {
            "sdk_version": self.sdk_version,
            "path": self.path,
            "checks": {c.name: {"path": c.path, "detail": c.detail} for c in self.checks},
        }

    def summary(self) -> str:
        public = [c.name for c in self.checks if not c.fast]
        if not public:
            return "fast path"
        if len(public) == len(self.checks):
            return "public path"
        return "fast path, public API for " + ", ".join(public)


def _log_method() -> str:
    from opentelemetry.sdk._logs import LogRecordProcessor

    abstract: frozenset[str] = getattr(LogRecordProcessor, "__abstractmethods__", frozenset())
    return "on_emit" if "on_emit" in abstract or "emit" not in abstract else "emit"


def gauge_base() -> tuple[type, str]:
    for name in ("_Gauge", "Gauge"):
        found = getattr(metrics_api, name, None)
        if isinstance(found, type):
            return found, f"opentelemetry.metrics.{name}"
    return metrics_api.Instrument, "no synchronous gauge in this API: a plain instrument"


def _attempt(check: Callable[[], str | None]) -> str | None:
    """``check()``, where any surprise in a probe means: do not rely on it."""
    try:
        return check()
    except Exception as error:
        return f"probe failed: {type(error).__name__}: {error}"


def _span_paths() -> tuple[str | None, str | None, Callable[[Any], Any] | None]:
    """Why the span fields and the generated copier cannot be used (``None``: they can), and
    the copier."""
    made: list[Callable[[Any], Any]] = []
    span: list[ReadableSpan] = []

    def fields() -> str | None:
        span.append(probe_span())
        return check_span_fields(span[0])

    def copier() -> str | None:
        names = constructor_fields()
        if names is None or type(span[0]) is not ReadableSpan:
            return "the fields of ReadableSpan.__init__ cannot be read off a probe"
        copy_span = make_field_copier(ReadableSpan, names)
        copy = copy_span(span[0])
        if vars(copy) != vars(span[0]) or not _same_span(copy, span[0]):
            return "a field-by-field copy of a probe span differs from it"
        made.append(copy_span)
        return None

    fields_failure = _attempt(fields)
    copy_failure = fields_failure or _attempt(copier)
    return fields_failure, copy_failure, made[0] if made else None


def _bounded_path() -> tuple[str | None, BuildBounded | None]:
    made: list[BuildBounded] = []

    def built() -> str | None:
        build = make_bounded_attributes()
        if build is None:
            return "BoundedAttributes has fields that are not plain values"
        made.append(build)
        return check_bounded(build)

    failure = _attempt(built)
    return failure, made[0] if made and failure is None else None


def detect(force_public: bool = False) -> SdkCompat:
    """Check every assumption against the installed SDK (``force_public``: take none)."""
    from telemetry_contracts.sdk_guard.policy import check_generated_builders

    checks: list[Check] = []

    def decide(name: str, failure: str | None, fast_detail: str) -> bool:
        if force_public:
            checks.append(Check(name, False, "public API forced"))
            return False
        checks.append(Check(name, failure is None, failure or fast_detail))
        return failure is None

    fields_failure, copy_failure, copier = _span_paths()
    span_fast = decide(
        "span.fields",
        fields_failure,
        "ReadableSpan._attributes/_events/_links, BoundedAttributes._dict, BoundedList._dq",
    )
    copy_fast = decide("span.copy", copy_failure, "ReadableSpan copied field by field (generated)")
    bounded_failure, built = _bounded_path()
    bounded_fast = decide(
        "attributes.bounded",
        bounded_failure,
        "BoundedAttributes filled field by field (generated), values not cleaned twice",
    )
    on_ending = callable(getattr(SpanProcessor, "_on_ending", None))
    forward = decide(
        "span.on_ending",
        None,
        "SpanProcessor._on_ending forwarded to the delegate"
        if on_ending
        else "this SDK has no SpanProcessor._on_ending: nothing to forward",
    )
    log_swap = decide(
        "logs.attributes",
        _attempt(check_attributes_swap),
        "log attributes replaced by swapping BoundedAttributes._dict under its _lock",
    )
    builders = decide(
        "policy.builders",
        _attempt(check_generated_builders),
        "attribute rewrites compiled to generated functions",
    )
    exemplars = aggregates_exemplars()
    keyed = decide(
        "metrics.aggregations",
        None if exemplars else _attempt(check_keyed_aggregations),
        "this SDK keeps exemplars: each measurement's attributes judged before it"
        if exemplars
        else "measurement attribute sets judged once each, in the SDK's aggregation tables",
    ) and not exemplars
    advice = takes_bucket_advice()
    buckets = decide(
        "metrics.buckets",
        None if advice else _attempt(check_histogram_boundaries),
        "this SDK takes bucket advice: a converted histogram's buckets are converted by it"
        if advice
        else "a converted histogram's buckets set in the SDK's aggregation table",
    ) and not advice
    gauge, gauge_detail = gauge_base()
    log_method = _log_method()
    checks.append(Check("metrics.gauge", not force_public, gauge_detail))
    checks.append(Check("logs.processor", not force_public, f"LogRecordProcessor.{log_method}"))
    span_fast = span_fast and copy_fast and copier is not None
    return SdkCompat(
        sdk_version=sdk_version(),
        checks=tuple(checks),
        span_fast=span_fast,
        copy_span=copier if span_fast else None,
        bounded_attributes=built if bounded_fast and built else public_bounded_attributes,
        forward_on_ending=forward and on_ending,
        log_swap=log_swap,
        log_method=log_method,
        gauge_base=gauge,
        generated_builders=builders,
        keyed_aggregations=keyed,
        histogram_buckets=buckets,
    )


_SELECTED: dict[bool, SdkCompat] = {}
_select_lock = threading.Lock()


def select(force_public: bool = False) -> SdkCompat:
    """The cached selection; the first one of the process is logged (once)."""
    force = force_public or process_forces_public()
    with _select_lock:
        found = _SELECTED.get(force)
        if found is None:
            found = _SELECTED[force] = detect(force)
            failed = [] if force else [c for c in found.checks if not c.fast]
            if failed:
                _logger.warning(
                    "telemetry-contracts guard: OpenTelemetry SDK %s differs from what the "
                    "fast path expects (%s); using the public API there",
                    found.sdk_version,
                    "; ".join(f"{c.name}: {c.detail}" for c in failed),
                )
            else:
                _logger.info(
                    "telemetry-contracts guard: OpenTelemetry SDK %s, %s",
                    found.sdk_version,
                    found.summary(),
                )
    return found


# --- the fast path: every private SDK field the guard reads or writes ------------------------


def raw_attributes(attributes: Any) -> Any:
    """The dict behind a ``BoundedAttributes`` (whose ``__len__`` and ``keys`` are Python)."""
    return getattr(attributes, "_dict", attributes)


def has_items(items: Any) -> bool:
    """Truth of a ``BoundedList`` (or any sequence) without its Python ``__len__``."""
    return items is not None and bool(getattr(items, "_dq", items))


def span_parts(span: Any) -> tuple[Any, Any, Any]:
    """The attributes, events and links a ``ReadableSpan`` holds."""
    return span._attributes, span._events, span._links


def set_span_parts(copy: Any, attributes: Any, events: Any, links: Any) -> None:
    """Install the given parts in a copied span (``None``: keep the copy's)."""
    if attributes is not None:
        copy._attributes = attributes
    if events is not None:
        copy._events = events
    if links is not None:
        copy._links = links


def swap_attributes(attributes: Any, new: dict[Any, Any], dropped: int) -> None:
    """Replace the contents of a mutable ``BoundedAttributes`` under its lock, keeping its
    limits, and add ``dropped`` to its count."""
    with attributes._lock:
        attributes._dict = new
        attributes.dropped += dropped


def fast_on_end(
    guard: Any,
    delegate_on_end: Callable[[Any], None],
    guard_span: Callable[[Any, Any], Any],
    failed: Callable[[Any], Any],
    copy_span: Callable[[Any], Any],
    bounded: BuildBounded,
) -> Callable[[Any], None]:
    """The span processor's ``on_end`` on the fast path, as a closure.

    The common cases inline (every operation counts here): the SDK's own containers, no
    events or links, and span attributes that are clean, or that have a cached plan without
    value checks (then only the copy is made). Anything else goes to ``guard_span``.
    """

    def on_end(span: Any) -> None:
        try:
            space = guard.policy.spans
            try:
                attributes = span._attributes
                raw = attributes._dict
                busy = span._events._dq or span._links._dq
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
                    guarded = copy_span(span)
                    dropped = plan.dropped + attributes.dropped
                    guarded._attributes = (
                        bounded(plan.build(raw), dropped) if dropped else plan.build(raw)
                    )
        except Exception:
            guarded = failed(span)
        if guarded is not None:
            delegate_on_end(guarded)

    return on_end


# --- zero-code: the SDK configurator's shape ------------------------------------------------

# The SDK configurator's shape the guard relies on: each ``_init_*`` function sets its global
# provider through a name of the configuration module, then adds processors to it.
HOOKS = {
    "set_tracer_provider": ("_init_tracing", "add_span_processor"),
    "set_logger_provider": ("_init_logging", "add_log_record_processor"),
    "set_meter_provider": ("_init_metrics", None),
}


def sdk_configurator() -> type:
    """The SDK's own configurator class, which the zero-code configurator extends."""
    from opentelemetry.sdk._configuration import _OTelSDKConfigurator

    return _OTelSDKConfigurator


def _configuration_module() -> Any:
    import opentelemetry.sdk._configuration as module

    return module


def check_configurator(module: Any = None) -> str | None:
    """Why the SDK configurator cannot be guarded (``None``: it can)."""
    module = module or _configuration_module()
    if not callable(getattr(sdk_configurator(), "_configure", None)):
        return "_OTelSDKConfigurator._configure is missing"
    for setter, (init, _) in HOOKS.items():
        function = getattr(module, init, None)
        if not callable(getattr(module, setter, None)) or function is None:
            return f"opentelemetry.sdk._configuration has no {setter} or {init}"
        if setter not in getattr(getattr(function, "__code__", None), "co_names", ()):
            return f"{init} no longer calls {setter}"
    return None


def _wrapping(provider: Any, method: str, wrap: Callable[[Any], Any]) -> None:
    """Make ``provider.method(processor)`` add ``wrap(processor)`` instead (this instance,
    until :func:`guarding_providers` closes)."""
    add = getattr(provider, method)

    def add_guarded(processor: Any, *args: Any, **kwargs: Any) -> Any:
        return add(wrap(processor), *args, **kwargs)

    setattr(provider, method, add_guarded)


@contextmanager
def guarding_providers(guard: Any, module: Any = None) -> Iterator[list[str]]:
    """While open, the providers ``module`` sets are guarded; yields the names of the setters
    that were called (the caller checks the configurator reached them)."""
    module = module or _configuration_module()
    called: list[str] = []
    originals = {name: getattr(module, name) for name in HOOKS}
    wrapped: list[tuple[Any, str]] = []

    def hook(name: str) -> Callable[[Any], Any]:
        setter, adder = originals[name], HOOKS[name][1]

        def set_guarded(provider: Any) -> Any:
            called.append(name)
            if adder is not None:
                wrap = guard.span_processor if "span" in adder else guard.log_record_processor
                _wrapping(provider, adder, wrap)
                wrapped.append((provider, adder))
            else:
                guard.instrument(provider)
                provider = guard.meter_provider(provider)
            return setter(provider)

        return set_guarded

    for name in HOOKS:
        setattr(module, name, hook(name))
    try:
        yield called
    finally:
        for name, original in originals.items():
            setattr(module, name, original)
        for provider, adder in wrapped:  # processors the application adds later: its own
            vars(provider).pop(adder, None)


# --- keyed aggregations: each attribute set judged once, where the SDK aggregates it --------

MAX_ROUTED = 2000
"""Attribute sets one aggregation table routes elsewhere before its instrument goes back to
judging every measurement (raw sets that are rewritten or dropped stay in memory as keys)."""


class Routed:
    """Stands in an SDK aggregation table for an attribute set the guard rewrites, drops or
    counts: each measurement (but a first one counted when the set was judged) bumps ``n``
    (a cell of the accounts) or is replayed through ``replay`` when its counts depend on
    values, and goes on to ``target`` (``None``: dropped); collected only when it ``owns``
    its target (a set kept as it is, but counted)."""

    __slots__ = ("fresh", "n", "owns", "replay", "target")

    def __init__(self, target: Any, owns: bool, replay: Callable[[Any], Any] | None,
                 fresh: bool) -> None:
        self.n = 0
        self.target = target
        self.owns = owns
        self.replay = replay
        self.fresh = fresh
        """The first measurement was counted when the set was judged: it is not again."""

    def aggregate(self, measurement: Any) -> None:
        if self.fresh:
            self.fresh = False
        else:
            self.n += 1
            if self.replay is not None:
                with suppress(Exception):  # counting only: the route is decided
                    self.replay(measurement.attributes)
        if self.target is not None:
            self.target.aggregate(measurement)

    def collect(self, *args: Any, **kwargs: Any) -> Any:
        return self.target.collect(*args, **kwargs) if self.owns else None


class RoutingAggregation:
    """Takes the place of the SDK's default aggregation for one view of one instrument: each
    attribute set the SDK sees for the first time (under the view's lock) is judged by
    ``owner.route`` once. A set kept as it is gets its aggregation as usual, so its later
    measurements cost the guard nothing; a rewritten set gets a :class:`Routed` that sends
    its measurements to the aggregation of its rewritten attributes (made now, or one that
    exists: series merge as they would after a per-measurement rewrite); a dropped set to
    nothing."""

    def __init__(self, default: Any, match: Any, owner: Any) -> None:
        self.default = default
        self.match = match
        self.owner = owner
        self.routed = 0

    def _create_aggregation(self, instrument: Any, attributes: Any, start: int) -> Any:
        aggregation = self.default._create_aggregation(instrument, attributes, start)
        owner = self.owner
        try:
            out, counts, replay, fresh = owner.route(attributes)
            key = frozenset(attributes.items())
            canonical = key if out is attributes or out is None else frozenset(out.items())
            if canonical == key:
                if out is None:
                    return self._routed(Routed(None, False, replay, fresh), counts)
                if not counts and replay is None:
                    return aggregation
                return self._routed(Routed(aggregation, True, replay, fresh), counts)
            table = self.match._attributes_aggregation
            target = table.get(canonical)
            if target is None:
                aggregation._attributes = out
                target = aggregation
                counts_out, replay_out = owner.follow(out)
                table[canonical] = aggregation if not counts_out and replay_out is None else (
                    self._routed(Routed(aggregation, True, replay_out, False), counts_out))
            elif isinstance(target, Routed):
                target = target.target
            return self._routed(Routed(target, False, replay, fresh), counts)
        except Exception:  # fail closed: a set the guard cannot judge is not aggregated
            return Routed(None, False, None, False)

    def _routed(self, routed: Routed, counts: tuple[Any, ...]) -> Routed:
        if counts:
            self.owner.register(routed, counts)
        self.routed += 1
        if self.routed >= MAX_ROUTED:
            self.owner.overflowing()
        return routed

    def reroute(self, owner: Any) -> None:
        """Judge again under a new owner (a new policy), under the view's lock: every routed
        set is forgotten, and every aggregated one that is no longer clean; their series
        start again."""
        table = self.match._attributes_aggregation
        for key, entry in list(table.items()):
            if isinstance(entry, Routed):
                self.owner.retire(entry)
                del table[key]
            elif not owner.is_clean(entry._attributes):
                del table[key]
        self.owner, self.routed = owner, 0


def _view_matches(instrument: Any) -> list[Any]:
    """Every reader's views of an SDK synchronous instrument (made now if not yet)."""
    storages = instrument._measurement_consumer._reader_storages.values()
    return [m for s in storages for m in s._get_or_init_view_instrument_match(instrument)]


def key_aggregations(instrument: Any, owner: Any) -> bool:
    """Judge ``instrument``'s attribute sets with ``owner`` where the SDK aggregates them, in
    every view (``False``, nothing changed: a view with its own aggregation, or one another
    live owner judges)."""
    from opentelemetry.sdk.metrics.view import DefaultAggregation

    matches = _view_matches(instrument)
    kind = type(instrument)
    for match in matches:
        routing = match._instrument_class_aggregation.get(kind)
        if not isinstance(match._view._aggregation, DefaultAggregation) or routing is None or (
                isinstance(routing, RoutingAggregation) and not owner.may_replace(routing.owner)):
            return False
    for match in matches:
        with match._lock:
            routing = match._instrument_class_aggregation[kind]
            if isinstance(routing, RoutingAggregation):
                routing.reroute(owner)
                continue
            table = match._attributes_aggregation
            match._instrument_class_aggregation = {
                **match._instrument_class_aggregation,
                kind: RoutingAggregation(routing, match, owner)}
            for key, entry in list(table.items()):  # measured before: judged now
                if not owner.is_clean(entry._attributes):
                    del table[key]
    return True


def histogram_boundaries(instrument: Any, boundaries: Sequence[float]) -> bool:
    """Give an SDK histogram ``boundaries`` in every view that leaves its aggregation to the
    default, as bucket advice does on SDKs that take it (1.28 on); ``False`` when no view did.
    For SDKs without advice, where ``metrics.aggregations`` holds (the same per-class default
    aggregation table)."""
    from opentelemetry.sdk.metrics.view import (
        DefaultAggregation,
        ExplicitBucketHistogramAggregation,
    )

    kind = type(instrument)
    changed = False
    for match in _view_matches(instrument):
        if not isinstance(match._view._aggregation, DefaultAggregation):
            continue  # the application's own view decides its buckets
        with match._lock:
            if kind in match._instrument_class_aggregation:
                match._instrument_class_aggregation = {
                    **match._instrument_class_aggregation,
                    kind: ExplicitBucketHistogramAggregation(boundaries=list(boundaries))}
                changed = True
    return changed


class _ProbeOwner:
    """Renames ``old`` to ``new`` and drops sets holding ``gone``, as a policy would."""

    def __init__(self) -> None:
        self.cells: list[Any] = []

    def route(self, attributes: Any) -> tuple[Any, tuple[str, ...], None, bool]:
        if "gone" in attributes:
            return None, ("dropped",), None, False
        if "old" in attributes:
            return {"new": attributes["old"]}, ("renamed",), None, False
        return attributes, (), None, False

    def follow(self, attributes: Any) -> tuple[tuple[str, ...], None]:
        return (), None

    def register(self, routed: Any, counts: Any) -> None:
        self.cells.append(routed)

    def retire(self, routed: Any) -> None:
        pass

    def overflowing(self) -> None:
        pass

    def is_clean(self, attributes: Any) -> bool:
        return "old" not in attributes and "gone" not in attributes

    def may_replace(self, other: Any) -> bool:
        return other is self


def aggregates_exemplars() -> bool:
    """The SDK keeps exemplars (from 1.28): its aggregations see each measurement's raw
    attributes, so attribute sets must be judged before the SDK sees them."""
    from opentelemetry.sdk.metrics import _internal

    return importlib.util.find_spec(f"{_internal.__name__}.exemplar") is not None


def takes_bucket_advice() -> bool:
    """The SDK's histograms take ``explicit_bucket_boundaries_advisory`` (from 1.30)."""
    from opentelemetry.sdk.metrics import Meter

    return accepts_keyword(Meter.create_histogram, "explicit_bucket_boundaries_advisory")


def check_histogram_boundaries() -> str | None:
    """Why :func:`histogram_boundaries` cannot give a histogram its buckets (``None``: it
    can): a probe histogram given the buckets 0, 1, 2 must collect 1.5 between 1 and 2."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.resources import Resource

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], resource=Resource({}),
                             shutdown_on_exit=False)
    try:
        histogram = provider.get_meter("telemetry_contracts.probe").create_histogram("h")
        if not histogram_boundaries(histogram, [0.0, 1.0, 2.0]):
            return "the probe histogram's view does not take the default aggregation"
        histogram.record(1.5)
        points = [(list(p.explicit_bounds), list(p.bucket_counts))
                  for resource in getattr(reader.get_metrics_data(), "resource_metrics", ())
                  for scope in resource.scope_metrics for metric in scope.metrics
                  for p in metric.data.data_points]
    finally:
        provider.shutdown()
    expected = [([0.0, 1.0, 2.0], [0, 0, 1, 0])]
    if points != expected:
        return f"a probe histogram collected {points}, not {expected}"
    return None


def check_keyed_aggregations() -> str | None:
    """Why attribute sets cannot be judged where the SDK aggregates them (``None``: they can):
    the SDK must aggregate a measurement by its value alone and make each attribute set's
    aggregation through its instrument class's default aggregation; a probe pipeline must
    rename, merge, drop and count as the guard would."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics._internal._view_instrument_match import _ViewInstrumentMatch
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.resources import Resource

    parameters = list(inspect.signature(_ViewInstrumentMatch.consume_measurement).parameters)
    if parameters != ["self", "measurement"]:
        return "_ViewInstrumentMatch.consume_measurement takes " + ", ".join(parameters)
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], resource=Resource({}),
                             shutdown_on_exit=False)
    meter = provider.get_meter("telemetry_contracts.probe")
    owner = _ProbeOwner()
    try:
        counter, histogram = meter.create_counter("c"), meter.create_histogram("h")
        for instrument in (counter, histogram):
            if not key_aggregations(instrument, owner):
                return "a probe instrument's table is taken"
        for record in (counter.add, histogram.record):
            record(1, {"old": "x"})
            record(2, {"new": "x"})
            record(4, {"old": "x"})
            record(8, {"gone": "y"})
        points = {metric.name: [(dict(p.attributes or {}), getattr(p, "value", None)
                                 or getattr(p, "sum", None)) for p in metric.data.data_points]
                  for resource in getattr(reader.get_metrics_data(), "resource_metrics", ())
                  for scope in resource.scope_metrics for metric in scope.metrics}
    finally:
        provider.shutdown()
    expected = [({"new": "x"}, 7)]
    if points != {"c": expected, "h": expected}:
        return f"a probe pipeline collected {points}, not {expected} per instrument"
    if sorted(cell.n for cell in owner.cells) != [1, 1, 2, 2]:
        return "the probe's routed sets were not counted once per measurement"
    return None


# --- the public path for spans -------------------------------------------------------------


def public_bounded_list(items: Any, dropped: int) -> BoundedList:
    copy = BoundedList.from_seq(None, items)
    copy.dropped = dropped
    return copy


def rebuild_span(
    span: ReadableSpan,
    attributes: Mapping[Any, Any] | None,
    events: list[Event] | None,
    links: list[Link] | None,
) -> ReadableSpan:
    """A new ``ReadableSpan`` from ``span``'s public properties, with the given parts replaced
    (``None``: keep ``span``'s)."""
    if attributes is None:
        attributes = public_bounded_attributes(dict(span.attributes or {}), span.dropped_attributes)
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=public_bounded_list(span.events if events is None else events, span.dropped_events),
        links=public_bounded_list(span.links if links is None else links, span.dropped_links),
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def accepts_keyword(function: Callable[..., Any], name: str) -> bool:
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
