"""``GuardMeterProvider``: instruments that check the metric contract at creation and filter
the attributes of every measurement.

At creation an unknown metric under ``drop`` becomes a no-op instrument, a deprecated metric
with a ``renamed_to`` (of the same unit) is created under its new name, and instrument or unit
mismatches are counted and the instrument kept. Metric-level violations are counted per
measurement, with an unlocked increment: under heavy concurrency a few counts may be lost.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry.metrics import (
    CallbackOptions,
    Counter,
    Histogram,
    Meter,
    MeterProvider,
    NoOpMeter,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    Observation,
    UpDownCounter,
)

from telemetry_contracts.schemas.violations import Violation
from telemetry_contracts.sdk_guard.compat import (
    accepts_keyword,
    gauge_base,
    histogram_boundaries,
    key_aggregations,
)
from telemetry_contracts.sdk_guard.config import ENV_ACTIONS
from telemetry_contracts.sdk_guard.errors import internal_error, without_sensitive
from telemetry_contracts.sdk_guard.policy import DROP_MEASUREMENT, Policy, hashable

if TYPE_CHECKING:
    from telemetry_contracts.sdk_guard.guard import Guard


class _Tally:
    """Measurements seen by one instrument under one decision (read lazily by accounting)."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


class _Guarded:
    """State shared by guarded instruments: the decision and the attribute key space."""

    kind = ""

    def __init__(
        self, meter: GuardMeter, name: str, unit: str, description: str, options: dict[str, Any]
    ) -> None:
        self._meter = meter
        self._name = name
        self._unit = unit or ""
        self._description = description or ""
        self._options = options
        self._tally = _Tally()
        self.emitting_as: str | None = None
        """The name measurements are recorded under; ``None`` while they are dropped."""
        self._clean: Any = frozenset()
        self._space: Any = None
        self._counted: tuple[Any, ...] = ()
        self._record: Callable[..., None] | None = None
        self._emit_unit = self._unit
        self._scale = 1.0
        """Measurements of a renamed metric are converted to its successor's unit."""

    @property
    def name(self) -> str:
        return self._name

    @property
    def unit(self) -> str:
        return self._unit

    @property
    def description(self) -> str:
        return self._description

    def _bind(self, policy: Policy) -> None:
        taken = self._meter.native_names
        decision = policy.decide_metric(self._name, self.kind, self._unit, taken)
        policy.accounting.retire_cell(self._tally)
        tally = self._tally = _Tally()
        self._counted = decision.counts
        if decision.counts:
            policy.accounting.register_cell(decision.counts, tally)
        self._space = decision.space
        self._clean = decision.space.clean
        self._emit_unit = self._unit if decision.unit is None else decision.unit
        self._scale = decision.scale
        self.emitting_as = decision.name if decision.emit else None
        if not decision.emit:
            _say_dropped(self._name, decision.counts, policy)
        self._attach(decision.name if decision.emit else None)

    def _attach(self, name: str | None) -> None:
        raise NotImplementedError

    def _filter(self, attributes: Any) -> Any:
        """Rewritten attributes, or :data:`DROP_MEASUREMENT` (see :func:`_failed`)."""
        try:
            if attributes.keys() <= self._clean:
                return attributes
            return self._space.rewrite_measurement(attributes)
        except Exception:
            return _failed(self._name, self._space, attributes)


DEFAULT_HISTOGRAM_BOUNDARIES = (
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0,
    7500.0, 10000.0,
)
"""The SDK's default explicit bucket boundaries (the OpenTelemetry specification's)."""

_said_dropped: set[str] = set()
_SAID_DROPPED_MAX = 1000


def _say_dropped(name: str, counts: tuple[Any, ...], policy: Policy) -> None:
    """Say once per metric name that every measurement of an instrument is dropped: an
    application that loses a whole metric (its request latency, say) learns it from the log,
    not only from the guard's own counters."""
    if name in _said_dropped or len(_said_dropped) >= _SAID_DROPPED_MAX:
        return
    _said_dropped.add(name)
    unknown = not counts or counts[0].rule == Violation.UNKNOWN_METRIC.code
    violation = Violation.UNKNOWN_METRIC if unknown else Violation.DEPRECATED_NAME
    why = "is not in the snapshot" if unknown else "is deprecated in the snapshot"
    contracts = policy.contracts
    _logger.warning(
        "telemetry-contracts guard: metric %s %s %s %s (%s, action drop): every measurement "
        "of it is dropped; %s=%s=pass keeps it",
        name, why, contracts.registry, contracts.version, violation.code, ENV_ACTIONS,
        violation.slug,
    )


def _keyed_measurement_function(
    record: Callable[..., None], per_measurement: Callable[..., None], tally: _Tally, counted: bool
) -> Callable[..., None]:
    """The hot path of an instrument whose attribute sets are judged where the SDK aggregates
    them (:class:`_SetRouter`): the measurement goes to the SDK as it is; one the SDK cannot
    take (not a mapping, unhashable values) goes through ``per_measurement`` instead."""

    def measure(amount: float, attributes: Any = None, context: Any = None) -> None:
        if counted:
            tally.n += 1
        try:
            record(amount, attributes)
        except Exception:
            per_measurement(amount, attributes, context)

    return measure


class _SetRouter:
    """Judges the attribute sets of one instrument under one decision, once each, where the
    SDK aggregates them (``compat.RoutingAggregation``, on SDKs without exemplars)."""

    def __init__(self, instrument: _GuardedSynchronous, space: Any) -> None:
        self.instrument = instrument
        self.space = space
        self.retired = False
        """The instrument was rebound: a new router may take this one's tables."""

    def may_replace(self, other: _SetRouter) -> bool:
        return other.retired or other.instrument is self.instrument

    def route(
        self, attributes: Any
    ) -> tuple[Any, tuple[Any, ...], Callable[[Any], Any] | None, bool]:
        """What becomes of a new set: the attributes to aggregate it under (``None``: dropped),
        the count keys each later measurement bumps, a replay for counts that depend on
        values, and whether this call counted the first measurement."""
        space = self.space
        try:
            if self.is_clean(attributes):
                return attributes, (), None, False
            counts, replay = self.follow(attributes)
            return _routed(space.rewrite_measurement(attributes)), counts, replay, True
        except Exception:
            return _routed(_failed(self.instrument.name, space, attributes)), (), None, False

    def follow(self, attributes: Any) -> tuple[tuple[Any, ...], Callable[[Any], Any] | None]:
        """How measurements of a set are counted: by count keys, or (when values decide)
        by replaying the per-measurement rewrite."""
        space = self.space
        if self.is_clean(attributes):
            return (), None
        plan = space.plan(tuple(attributes))
        if plan.checked:
            return (), space.rewrite_measurement
        return plan.counts, None

    def register(self, routed: Any, counts: tuple[Any, ...]) -> None:
        self.space.policy.accounting.register_cell(counts, routed)

    def retire(self, routed: Any) -> None:
        self.space.policy.accounting.retire_cell(routed)

    def overflowing(self) -> None:
        """Too many raw sets are routed: the instrument judges each measurement from now on,
        so no new raw set reaches the SDK."""
        self.instrument.judge_each_measurement()

    def is_clean(self, attributes: Any) -> bool:
        try:
            return bool(attributes.keys() <= self.space.clean)
        except Exception:
            return False


def _routed(attributes: Any) -> Any:
    """A per-measurement result as a route: dropped is ``None``, no attributes is empty."""
    if attributes is DROP_MEASUREMENT:
        return None
    return {} if attributes is None else attributes


def _failed(name: str, space: Any, attributes: Any) -> Any:
    """The attributes to record after an internal error: not a mapping, none (the SDK cannot
    take them); else the sensitive values redacted, or :data:`DROP_MEASUREMENT` when that
    fails or ``on_error`` is ``drop``."""
    if not isinstance(attributes, Mapping):
        return None
    try:
        policy = space.policy
        internal_error(f"metric {name}"[:255], policy, "metric")
        if policy.config.on_error == "drop":
            return DROP_MEASUREMENT
        return without_sensitive(policy, attributes)
    except Exception:  # sensitivity cannot be decided: the measurement does not leave
        return DROP_MEASUREMENT


def _scaled(record: Callable[..., None], scale: float) -> Callable[..., None]:
    """``record`` with every amount multiplied by ``scale`` (itself when that is 1)."""
    if scale == 1.0:
        return record

    if not accepts_keyword(record, "context"):  # older SDKs: (amount, attributes)

        def converted_without_context(amount: float, attributes: Any = None) -> None:
            record(amount * scale, attributes)

        return converted_without_context

    def converted(amount: float, attributes: Any = None, context: Any = None) -> None:
        record(amount * scale, attributes, context)

    return converted


def _measurement_function(
    name: str, record: Callable[..., None] | None, space: Any, tally: _Tally, counted: bool
) -> Callable[..., None]:
    """The hot path of one synchronous instrument under one decision, as a closure (no
    attribute lookups on ``self``): count if the metric itself violates its contract, filter
    the attributes unless their keys are all clean, record."""
    if record is None:

        def dropped(amount: float, attributes: Any = None, context: Any = None) -> None:
            tally.n += 1

        return dropped
    with_context = accepts_keyword(record, "context")  # older SDKs: (amount, attributes)
    clean = space.clean
    rewrite = space.rewrite_measurement
    # cached plans without value checks are applied inline; the rest go through the key space
    plans = {} if space.cardinality_limit else space.plans

    def measure(amount: float, attributes: Any = None, context: Any = None) -> None:
        if counted:
            tally.n += 1
        if attributes:
            try:
                if not attributes.keys() <= clean:
                    plan = plans.get(tuple(attributes))
                    build = plan.build if plan is not None else None
                    if build is not None:  # a cached plan without value checks: inline
                        plan.hits += 1  # type: ignore[union-attr]
                        attributes = build(attributes)
                    else:
                        attributes = rewrite(attributes)
            except Exception:
                attributes = _failed(name, space, attributes)
            if attributes is DROP_MEASUREMENT:
                return
        try:
            if with_context:
                record(amount, attributes, context)
            else:
                record(amount, attributes)
        except Exception:  # older SDKs raise on some values: never into the application
            _sdk_refused(name)

    return measure


_refused: set[str] = set()
_logger = logging.getLogger("telemetry_contracts.sdk_guard")


def _sdk_refused(name: str) -> None:
    """The SDK raised on a measurement the guard passed on: log once per metric, drop it."""
    if name not in _refused and len(_refused) < 1000:
        _refused.add(name)
        _logger.warning("the OpenTelemetry SDK refused a measurement of %s; dropped", name,
                        exc_info=True)  # fmt: skip


class _GuardedSynchronous(_Guarded):
    """A synchronous instrument: each measurement's attributes are filtered, then recorded.

    The measuring method (``add``, ``record`` or ``set``) is an instance attribute rebuilt on
    every (re)binding, so the hot path reads nothing but its closure.
    """

    method = ""

    _router: _SetRouter | None = None
    _per_measurement: Callable[..., None] | None = None

    def _attach(self, name: str | None) -> None:
        record = created = None
        if self._router is not None:
            self._router.retired = True
            self._router = None
        if name is not None:
            options = self._options
            boundaries = options.get("explicit_bucket_boundaries_advisory")
            if boundaries is None and self.kind == "histogram":
                # without advice the SDK's default buckets would apply to the converted
                # amounts: meant for milliseconds, they would put every request of a
                # ``ms`` histogram converted to ``s`` into the first bucket
                boundaries = DEFAULT_HISTOGRAM_BOUNDARIES
            scaled = None
            if boundaries is not None and self._scale != 1.0:
                scaled = [bound * self._scale for bound in boundaries]
                options = {**options, "explicit_bucket_boundaries_advisory": scaled}
            created = self._meter.create_on_delegate(
                self.kind, name, self._emit_unit, self._description, options
            )
            if scaled is not None:
                self._convert_buckets(created, scaled)
            record = _scaled(getattr(created, self.method), self._scale)
        self._record = record
        counted = bool(self._counted)
        measure = self._per_measurement = _measurement_function(
            self._name, record, self._space, self._tally, counted
        )
        if record is not None and self._keyed(created, record):
            each = _measurement_function(self._name, record, self._space, self._tally, False)
            measure = _keyed_measurement_function(record, each, self._tally, counted)
        setattr(self, self.method, measure)

    def _convert_buckets(self, created: Any, boundaries: list[float]) -> None:
        """On an SDK that takes no bucket advice (before 1.30), give the converted histogram its
        converted buckets in the SDK's aggregation table where the ``metrics.buckets`` check
        allows it; elsewhere it keeps the SDK's default buckets."""
        meter = self._meter
        if meter.takes_bucket_advice or not meter.histogram_buckets:
            return
        try:
            histogram_boundaries(created, boundaries)
        except Exception:
            internal_error(f"buckets of {self._name}"[:255], self._space.policy, "metric")

    def _keyed(self, created: Any, record: Callable[..., None]) -> bool:
        """Judge attribute sets where the SDK aggregates them, where that is possible: the
        SDK allows it, amounts are not scaled, no cardinality limit, no ``context``."""
        if not (self._meter.keyed_aggregations and self._scale == 1.0
                and not self._space.cardinality_limit
                and not accepts_keyword(record, "context")):
            return False
        router = _SetRouter(self, self._space)
        try:
            keyed = key_aggregations(created, router)
        except Exception:
            keyed = False
        if keyed:
            self._router = router
        return keyed

    def judge_each_measurement(self) -> None:
        if self._per_measurement is not None:
            setattr(self, self.method, self._per_measurement)

    def _measure(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        getattr(self, self.method)(amount, attributes, context)


class GuardCounter(_GuardedSynchronous, Counter):
    kind, method = "counter", "add"
    add = _GuardedSynchronous._measure


class GuardUpDownCounter(_GuardedSynchronous, UpDownCounter):
    kind, method = "updowncounter", "add"
    add = _GuardedSynchronous._measure


class GuardHistogram(_GuardedSynchronous, Histogram):
    kind, method = "histogram", "record"
    record = _GuardedSynchronous._measure


class GuardGauge(_GuardedSynchronous, gauge_base()[0]):  # type: ignore[misc]
    kind, method = "gauge", "set"
    set = _GuardedSynchronous._measure


def _as_function(callback: Any) -> Callable[[CallbackOptions], Iterable[Observation]]:
    """A generator callback as a plain function, the way the SDK drives it."""
    if not isinstance(callback, Generator):
        return callback
    next(callback)

    def send(options: CallbackOptions) -> Iterable[Observation]:
        try:
            return callback.send(options)
        except StopIteration:
            return []

    return send


class _GuardedObservable(_Guarded):
    """An observable instrument: its callbacks' observations are filtered at collection."""

    def __init__(
        self,
        meter: GuardMeter,
        name: str,
        callbacks: Sequence[Any] | None,
        unit: str,
        description: str,
    ) -> None:
        self._callbacks = [_as_function(cb) for cb in callbacks or ()]
        self._registered: set[str] = set()
        super().__init__(meter, name, unit, description, {})

    def _attach(self, name: str | None) -> None:
        if name is None or name in self._registered:
            return
        self._registered.add(name)
        callbacks = [self._wrap(callback, name) for callback in self._callbacks]
        self._meter.create_on_delegate(
            self.kind, name, self._emit_unit, self._description, {"callbacks": callbacks}
        )

    def _wrap(
        self, callback: Callable[[CallbackOptions], Iterable[Observation]], name: str
    ) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def guarded(options: CallbackOptions) -> Iterable[Observation]:
            observations = callback(options)  # the application's errors are the SDK's to log
            if self.emitting_as != name:
                return []
            # lazily, as the SDK reads a callback: what a generator yielded before it failed
            # is kept (the SDK logs the failure)
            return self._observe(observations)

        return guarded

    def _observe(self, observations: Iterable[Observation]) -> Iterable[Observation]:
        scale = self._scale
        for observation in observations:
            self._tally.n += 1
            attributes = getattr(observation, "attributes", None)
            if attributes is None or (not attributes and isinstance(attributes, Mapping)):
                filtered = attributes
            else:
                filtered = _hashable_values(self._filter(attributes))
            if filtered is DROP_MEASUREMENT:
                continue
            if filtered is attributes and scale == 1.0:
                yield observation
            else:
                value = observation.value * scale if scale != 1.0 else observation.value
                context = getattr(observation, "context", None)  # older APIs have none
                if context is None:
                    yield Observation(value, filtered)
                else:
                    yield Observation(value, filtered, context)


def _hashable_values(attributes: Any) -> Any:
    """``attributes`` as the SDK can aggregate them at collection (where older SDKs raise on
    an unhashable value, out of the reader's collect): lists as tuples."""
    if not isinstance(attributes, Mapping):
        return attributes
    try:
        hash(frozenset(attributes.items()))
    except TypeError:
        return {key: hashable(value) for key, value in attributes.items()}
    return attributes


class GuardObservableCounter(_GuardedObservable, ObservableCounter):
    kind = "counter"


class GuardObservableUpDownCounter(_GuardedObservable, ObservableUpDownCounter):
    kind = "updowncounter"


class GuardObservableGauge(_GuardedObservable, ObservableGauge):
    kind = "gauge"


_KIND_CREATE = {
    ("counter", False): "create_counter",
    ("updowncounter", False): "create_up_down_counter",
    ("histogram", False): "create_histogram",
    ("gauge", False): "create_gauge",
    ("counter", True): "create_observable_counter",
    ("updowncounter", True): "create_observable_up_down_counter",
    ("gauge", True): "create_observable_gauge",
}


class GuardMeter(Meter):
    """A meter whose instruments are guarded; they are created on the wrapped SDK meter."""

    def __init__(self, delegate: Meter, guard: Guard) -> None:
        super().__init__(delegate.name, delegate.version, delegate.schema_url)
        self.delegate = delegate
        self._guard = guard
        self.keyed_aggregations = guard.compat.keyed_aggregations
        self.histogram_buckets = guard.compat.histogram_buckets
        self.takes_bucket_advice = accepts_keyword(
            delegate.create_histogram, "explicit_bucket_boundaries_advisory")
        """Whether the SDK takes ``explicit_bucket_boundaries_advisory`` (1.30 on)."""
        self.native_names: set[str] = set()
        """Names the application created instruments under: a deprecated metric is not renamed
        onto one of them (``http/dup`` instrumentation emits the old and the new name)."""
        self._created: weakref.WeakSet[_Guarded] = weakref.WeakSet()
        self._delegated: dict[tuple[str, ...], Any] = {}
        """The SDK's synchronous instruments made for this meter, by what they were asked as."""
        self._creating = threading.Lock()

    def create_on_delegate(
        self, kind: str, name: str, unit: str, description: str, options: dict[str, Any]
    ) -> Any:
        """Create the real instrument (the SDK returns the existing one for a repeated name)."""
        observable = "callbacks" in options
        create = getattr(self.delegate, _KIND_CREATE[(kind, observable)])
        if observable:
            return create(name, options["callbacks"], unit=unit, description=description)
        # advice an older SDK does not take (``explicit_bucket_boundaries_advisory`` before
        # 1.28) is left out rather than failing the instrument
        options = {key: value for key, value in options.items() if accepts_keyword(create, key)}
        # the SDK would hand back the instrument it made before, but (1.27) with a warning
        # on every hot reload that rebinds it: ask it once
        key = (kind, name, unit, description, repr(sorted(options.items())))
        with self._creating:
            created = self._delegated.get(key)
            if created is None:
                created = create(name, unit=unit, description=description, **options)
                self._delegated[key] = created
        return created

    def _guarded(self, instrument: _Guarded) -> Any:
        self.native_names.add(instrument.name)
        self._guard.track_instrument(instrument)
        for other in list(self._created):  # renamed onto this name earlier: back to its own
            if other.emitting_as == instrument.name and other.name != instrument.name:
                self._guard.track_instrument(other)
        self._created.add(instrument)
        return instrument

    def create_counter(self, name: str, unit: str = "", description: str = "") -> Counter:
        return self._guarded(GuardCounter(self, name, unit, description, {}))

    def create_up_down_counter(
        self, name: str, unit: str = "", description: str = ""
    ) -> UpDownCounter:
        return self._guarded(GuardUpDownCounter(self, name, unit, description, {}))

    def create_histogram(
        self,
        name: str,
        unit: str = "",
        description: str = "",
        *,
        explicit_bucket_boundaries_advisory: Sequence[float] | None = None,
    ) -> Histogram:
        options = {}
        if explicit_bucket_boundaries_advisory is not None:
            options["explicit_bucket_boundaries_advisory"] = explicit_bucket_boundaries_advisory
        return self._guarded(GuardHistogram(self, name, unit, description, options))

    def create_gauge(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._guarded(GuardGauge(self, name, unit, description, {}))

    def create_observable_counter(
        self,
        name: str,
        callbacks: Sequence[Any] | None = None,
        unit: str = "",
        description: str = "",
    ) -> ObservableCounter:
        instrument = GuardObservableCounter(self, name, callbacks, unit, description)
        return self._guarded(instrument)

    def create_observable_up_down_counter(
        self,
        name: str,
        callbacks: Sequence[Any] | None = None,
        unit: str = "",
        description: str = "",
    ) -> ObservableUpDownCounter:
        instrument = GuardObservableUpDownCounter(self, name, callbacks, unit, description)
        return self._guarded(instrument)

    def create_observable_gauge(
        self,
        name: str,
        callbacks: Sequence[Any] | None = None,
        unit: str = "",
        description: str = "",
    ) -> ObservableGauge:
        instrument = GuardObservableGauge(self, name, callbacks, unit, description)
        return self._guarded(instrument)


class GuardMeterProvider(MeterProvider):
    """Wraps an SDK ``MeterProvider``; ``get_meter`` returns a :class:`GuardMeter`."""

    def __init__(self, delegate: MeterProvider, guard: Guard) -> None:
        self.delegate = delegate
        self._guard = guard
        self._meters: weakref.WeakKeyDictionary[Any, GuardMeter] = weakref.WeakKeyDictionary()
        """One guarded meter per SDK meter: the SDK hands out one meter per scope, and the
        names a scope emits natively (``GuardMeter.native_names``) must be known to every
        caller of that scope, or a deprecated metric is renamed onto a stream it emits."""
        self._lock = threading.Lock()

    def get_meter(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> Meter:
        meter = self.delegate.get_meter(name, version, schema_url, attributes)
        if isinstance(meter, NoOpMeter):  # a new one on each call (e.g. after shutdown)
            return GuardMeter(meter, self._guard)
        try:
            with self._lock:
                guarded = self._meters.get(meter)
                if guarded is None:
                    guarded = self._meters[meter] = GuardMeter(meter, self._guard)
            return guarded
        except TypeError:  # a meter that cannot be weakly referenced or hashed
            return GuardMeter(meter, self._guard)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return bool(self.delegate.force_flush(timeout_millis))  # type: ignore[attr-defined]

    def shutdown(self, timeout_millis: float = 30_000) -> None:
        self.delegate.shutdown(timeout_millis)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.delegate, name)


class InstrumentRegistry:
    """The guarded instruments alive now, rebound to each new policy on hot reload."""

    def __init__(self) -> None:
        self._instruments: weakref.WeakSet[_Guarded] = weakref.WeakSet()

    def add(self, instrument: _Guarded, policy: Policy) -> None:
        try:
            instrument._bind(policy)
        except Exception:
            internal_error(f"creating instrument {instrument.name}"[:255], policy, "metric")
            # the metric flows under its own name, its attributes still judged (sensitive
            # values never pass) as those of a metric the registry does not define
            instrument.emitting_as = instrument.name
            instrument._emit_unit, instrument._scale = instrument.unit, 1.0
            try:
                space = policy.metric_space(None, instrument.name)
            except Exception:  # the policy itself is broken: fail closed
                failed = Policy(None, policy.config, policy.accounting, failed=True)
                space = failed.metric_space(None, instrument.name)
            instrument._space = space
            instrument._clean = space.clean
            try:
                instrument._attach(instrument.name)
            except Exception:
                instrument.emitting_as = None
                instrument._attach(None)
        self._instruments.add(instrument)

    def rebind(self, policy: Policy) -> None:
        for instrument in list(self._instruments):
            try:
                instrument._bind(policy)
            except Exception:
                internal_error(f"rebinding instrument {instrument.name}"[:255], policy, "metric")
