"""Judging OTLP requests against a resolved snapshot: findings with codes, and what was seen.

Every span (with its events), metric data point and log record is judged. Spans and log records
arrive as views (:mod:`telemetry_contracts.live.wire`) whose attributes are their encoded bytes,
those of all the items of a resource in one container: an attribute is looked up by its bytes,
then by its key and value type, and decoded only when both miss. A data point's attribute keys
select a :class:`Plan` once per (service, metric, key set); then only the values the plan lists
are read. Findings are counted per object and folded into :class:`Aggregate` records when the
verdict is read. Everything that grows with the input (caches, plans, findings) is bounded.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.model import (
    Attribute,
    AttributeRef,
    LegacyName,
    Metric,
    find_by_key,
)
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.schemas.violations import Violation

MISSING_REQUIRED = "TC810"
"""A required attribute of a metric or event is absent (see ``schemas/codes.py``)."""
SEVERITY: dict[str, str] = {Violation.DEPRECATED_NAME.code: "warning"}
"""Severity of each code in live-check; a code not listed is an error."""
SENSITIVE = frozenset({"pii", "secret"})
REDACTED = "<redacted>"
UNKNOWN_SERVICE = "unknown_service"
MAX_PLANS = 4096
"""Plans per space; a full cache is folded into the findings and emptied."""
MAX_FINDINGS = 10_000
"""Distinct (service, signal, code, name, metric) findings kept; the rest are only counted."""
MAX_SPACES = 10_000
MAX_KEY_RULES = 65_536
MAX_PAIRS = 65_536
"""Encoded attributes (key and value) whose findings are cached, per signal."""
MAX_NAME = 255
MAX_SAMPLE = 64
"""Characters of a sample string; an array's sample keeps its first :data:`MAX_SAMPLE_ITEMS`."""
MAX_SAMPLE_ITEMS = 8
Sample = str | int | float | bool | list[Any]
"""A finding's sample value, as JSON carries it."""

_MISS: Any = object()
"""What the cache of encoded attributes gives for one it does not hold (truthy, unlike no
finding)."""
_INSTRUMENTS = {"gauge": "gauge", "histogram": "histogram",
                "exponential_histogram": "histogram", "summary": "summary"}
_SCALAR_TYPES = {"string_value": "string", "bool_value": "boolean", "int_value": "int",
                 "double_value": "double"}


def clip(text: str, limit: int = MAX_NAME) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class KeyRule:
    """What the registry says about one attribute key."""

    contract: str | None
    """The contract key it counts as seen for (a template's key for a templated key)."""
    code: str | None = None
    message: str = ""
    renamed_to: str | None = None
    value_type: str | None = None
    """The primitive type its values must have; ``None`` when any type will do."""
    enum: frozenset[Any] | None = None
    sensitive: bool = False

    @property
    def unknown(self) -> bool:
        return self.code == Violation.UNKNOWN_ATTRIBUTE.code


@dataclass(slots=True, eq=False)
class Problem:
    """A finding of a plan or of an encoded attribute, counted by identity."""

    code: str
    name: str
    message: str
    renamed_to: str | None
    sample: Sample | None


@dataclass(slots=True)
class Plan:
    """The decided judgement of one key set: findings per hit and the values to check."""

    problems: tuple[Problem, ...]
    checks: tuple[tuple[int, str, KeyRule], ...]
    hits: int = 0


@dataclass(slots=True)
class Space:
    """The plans of one service, signal and (for data points) metric."""

    service: str
    signal: str
    metric: str | None = None
    allowed: frozenset[str] | None = None
    required: tuple[str, ...] = ()
    metric_problems: tuple[Problem, ...] = ()
    plans: dict[tuple[str, ...], Plan] = field(default_factory=dict)
    counts: dict[Problem, int] = field(default_factory=dict)
    """Findings of encoded attributes (spans, logs, resources), counted as they arrive."""
    missed: bool = False
    """Whether the last flat scan met attributes not cached (the next one expects so too)."""
    named: dict[str, tuple[Problem, ...]] = field(default_factory=dict)
    """What each key alone brings (spans, logs): the sample is a value of this space."""
    shapes: dict[bytes, tuple[Problem, ...]] = field(default_factory=dict)
    """Findings of attributes whose findings follow from their key and value type, per shape
    (:func:`shape_of`), their sample the first value of this space with it."""
    heads: dict[bytes, tuple[int, tuple[Problem, ...]]] = field(default_factory=dict)
    """The same, per :func:`string_head` of a string attribute: its length and findings,
    found without working out its shape."""


@dataclass(slots=True)
class Aggregate:
    """One finding of the verdict: how often, and one sample value."""

    service: str
    signal: str
    code: str
    name: str
    metric: str | None
    message: str
    renamed_to: str | None
    sample: Sample | None
    count: int = 0
    level: str | None = None
    """The severity of a custom rule's finding (the code's own severity otherwise)."""

    @property
    def severity(self) -> str:
        return self.level or SEVERITY.get(self.code, "error")

    @property
    def key(self) -> tuple[str, str, str, str, str | None]:
        return (self.service, self.signal, self.code, self.name, self.metric)

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code, "severity": self.severity, "service": self.service,
            "signal": self.signal, "name": self.name, "message": self.message,
            "count": self.count,
        }
        for key in ("metric", "renamed_to", "sample"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


class RegistryIndex:
    """The snapshot's lookups: attributes (templates by prefix), metrics, legacy names."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.attributes: dict[str, Attribute] = {a.key: a for a in snapshot.attributes}
        self.templates = {a.key: a for a in snapshot.attributes if a.is_template}
        self.metrics: dict[str, Metric] = {m.name: m for m in snapshot.metrics}
        self.legacy: dict[tuple[str, str], LegacyName] = {
            (n.kind, n.name): n for n in snapshot.history
        }
        self.event_required: dict[str, tuple[str, ...]] = {
            e.name: tuple(a.key for a in e.attributes if a.requirement_level.level == "required")
            for e in snapshot.events
        }
        self._rules: dict[str, KeyRule] = {}

    def key_rule(self, key: str) -> KeyRule:
        found = self._rules.get(key)
        if found is None:
            found = self._decide(key)
            if len(self._rules) < MAX_KEY_RULES:
                self._rules[key] = found
        return found

    def _decide(self, key: str) -> KeyRule:
        attribute = find_by_key(key, self.attributes, self.templates)
        if attribute is None:
            legacy = self.legacy.get(("attribute", key))
            if legacy is not None:
                return KeyRule(None, Violation.DEPRECATED_NAME.code,
                               _legacy_message("attribute", key, legacy), legacy.successor)
            return KeyRule(None, Violation.UNKNOWN_ATTRIBUTE.code,
                           f"attribute `{clip(key)}` is not in the registry")
        code, message, renamed = None, "", None
        if attribute.deprecated is not None:
            renamed = attribute.deprecated.renamed_to
            code = Violation.DEPRECATED_NAME.code
            message = f"attribute `{key}` is deprecated" + (
                f": use `{renamed}`" if renamed else ", with no single replacement")
        value_type = attribute.value_type
        members = attribute.members if attribute.is_enum else ()
        return KeyRule(
            attribute.key, code, message, renamed,
            value_type=None if value_type == "any" else value_type,
            enum=frozenset(m.value for m in members) if members else None,
            sensitive=attribute.governance.sensitivity in SENSITIVE,
        )


def _legacy_message(kind: str, name: str, legacy: LegacyName) -> str:
    if legacy.successor:
        return f"{kind} `{name}` is a legacy semantic-convention name: use `{legacy.successor}`"
    return f"{kind} `{name}` is a legacy semantic-convention name with no single successor"


def instrument_of(metric: Any) -> str | None:
    """The instrument an OTLP metric's data kind stands for."""
    kind = metric.WhichOneof("data")
    if kind == "sum":
        return "counter" if metric.sum.is_monotonic else "updowncounter"
    return _INSTRUMENTS.get(kind) if kind else None


def value_type_of(value: Any) -> tuple[str | None, Any]:
    """The registry type name of an OTLP ``AnyValue`` and its Python value."""
    kind = value.WhichOneof("value")
    scalar = _SCALAR_TYPES.get(kind) if kind else None
    if scalar is not None:
        return scalar, getattr(value, kind)
    if kind == "array_value":
        items = value.array_value.values
        types = {_SCALAR_TYPES.get(i.WhichOneof("value") or "") for i in items}
        if len(types) == 1 and None not in types:
            return f"{types.pop()}[]", [getattr(i, i.WhichOneof("value")) for i in items]
        return ("[]" if not items else "array"), None
    return kind, None


def _fits(expected: str, actual: str | None) -> bool:
    if actual == expected or (actual == "[]" and expected.endswith("[]")):
        return True
    return (expected, actual) in (("double", "int"), ("double[]", "int[]"))


def sample_of(value: Any, sensitive: bool) -> Sample | None:
    """A short sample of an ``AnyValue``: a string clipped, an array's first items; a double
    that JSON cannot hold as OTLP JSON names it (``"NaN"``). Sensitive values are never
    shown."""
    if sensitive:
        return REDACTED
    _, python = value_type_of(value)
    if python is None:
        return None
    if isinstance(python, list):
        return [_sample_item(item) for item in python[:MAX_SAMPLE_ITEMS]]
    return _sample_item(python)


def _sample_item(python: Any) -> Sample:
    if isinstance(python, str):
        return clip(python, MAX_SAMPLE)
    if isinstance(python, float) and not math.isfinite(python):
        return _NON_FINITE[str(python)]
    return python


_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
"""Doubles JSON numbers cannot hold, named as OTLP JSON (proto3's JSON mapping) names them."""


def render_sample(sample: Sample) -> str:
    """A sample as text, in JSON's notation (``"GET"``, ``200``, ``true``); ``<redacted>``
    as it is."""
    if sample == REDACTED:
        return REDACTED
    return json.dumps(sample, ensure_ascii=False)


def _varint_end(data: bytes, at: int) -> tuple[int, int] | None:
    """The value and end of a varint of at most two bytes at ``at`` (None when longer)."""
    if at >= len(data):
        return None
    first = data[at]
    if first < 0x80:
        return first, at + 1
    if at + 1 < len(data) and data[at + 1] < 0x80:
        return (first & 0x7F) | (data[at + 1] << 7), at + 2
    return None


def string_head(encoded: bytes) -> bytes | None:
    """An encoded ``KeyValue`` holding a string, up to the string's first byte (key, value
    and string lengths included), where each length takes one byte; None otherwise. Two
    attributes with the same head and the same length differ in the string's bytes alone."""
    size = len(encoded)
    if size < 6 or encoded[0] != 0x0A:
        return None
    at = encoded[1] + 2
    if encoded[1] < 0x80 and at + 4 <= size and encoded[at] == 0x12 and encoded[at + 2] == 0x0A \
            and encoded[at + 1] < 0x80 and encoded[at + 3] < 0x80 \
            and at + 2 + encoded[at + 1] == size == at + 4 + encoded[at + 3]:
        return encoded[:at + 4]
    return None


def shape_of(encoded: bytes) -> bytes | None:
    """The key and value type of an encoded ``KeyValue`` holding one string, bool, int or
    double, as canonical encoders write it (key first); None for anything else."""
    head = string_head(encoded)  # the common case, without working out each length
    if head is not None:
        return head[:-4] + _TAGS[0x0A]
    return _shape(encoded)


def _shape(encoded: bytes) -> bytes | None:
    """:func:`shape_of` for any length of key and value."""
    if len(encoded) < 4 or encoded[0] != 0x0A:
        return None
    key = _varint_end(encoded, 1)
    if key is None:
        return None
    at = key[1] + key[0]
    if at >= len(encoded) or encoded[at] != 0x12:
        return None
    value = _varint_end(encoded, at + 1)
    if value is None or value[1] + value[0] != len(encoded) or value[0] == 0:
        return None
    tag, rest = encoded[value[1]], len(encoded) - value[1] - 1
    if tag == 0x0A:  # string: its own length covers the rest
        inner = _varint_end(encoded, value[1] + 1)
        ok = inner is not None and inner[1] + inner[0] == len(encoded)
    elif tag == 0x10:  # bool
        ok = rest == 1
    elif tag == 0x18:  # int: a varint to the end
        ok = 0 < rest <= 10 and encoded[-1] < 0x80 and all(
            b >= 0x80 for b in encoded[value[1] + 1:-1])
    elif tag == 0x21:  # double
        ok = rest == 8
    else:
        ok = False
    return encoded[:at] + _TAGS[tag] if ok else None


_TAGS = {tag: bytes([tag]) for tag in (0x0A, 0x10, 0x18, 0x21)}


class Judge:
    """Judges decoded OTLP export requests; safe to call from several receiver threads."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.index = RegistryIndex(snapshot)
        self.lock = threading.Lock()
        self.spaces: dict[tuple[str, str, str | None, str | None, str | None], Space] = {}
        self.aggregates: dict[tuple[str, str, str, str, str | None], Aggregate] = {}
        self.overflow: dict[str, int] = {}
        """Findings over :data:`MAX_FINDINGS`, counted per code."""
        self.items: dict[str, int] = {"span": 0, "metric": 0, "log": 0}
        """Spans, data points and log records judged."""
        self.services: dict[str, dict[str, int]] = {}
        self.seen: dict[str, set[str]] = {"resource": set(), "span": set(), "metric": set(),
                                          "log": set()}
        self.seen_metrics: set[str] = set()
        self.observed: dict[str, tuple[str, str, str | None]] = {}
        """Every attribute key received: the service and signal it first came from, and the
        type of its first value (bounded by :data:`MAX_KEY_RULES`)."""
        self.observed_metrics: dict[str, tuple[str, str | None, str]] = {}
        """Every metric name received: its first service, instrument and unit."""
        self.observed_metric_keys: dict[str, set[str]] = {}
        """The attribute keys each metric's data points carried."""
        self.refused = 0
        """Requests the receivers refused (too large, malformed)."""
        self.malformed = 0
        """Attributes that did not decode inside requests that did."""
        self._pairs: dict[str, dict[bytes, tuple[Problem, ...]]] = {"span": {}, "log": {}}
        self._kept = 0
        """Entries of the spaces' ``named``, ``shapes`` and ``heads``, bounded by
        :data:`MAX_KEY_RULES` together."""
        self._missing: dict[tuple[str, str], Problem] = {}
        from opentelemetry.proto.common.v1.common_pb2 import KeyValue

        self._key_value: Any = KeyValue

    # --- requests --------------------------------------------------------------------------

    def traces(self, request: Any) -> None:
        """Judge a traces :class:`~telemetry_contracts.live.wire.Request`."""
        self._requests(request, "span")

    def logs(self, request: Any) -> None:
        """Judge a logs :class:`~telemetry_contracts.live.wire.Request`."""
        self._requests(request, "log")

    def _requests(self, request: Any, signal: str) -> None:
        """Spans (with their events) or log records, under their resource's service: from the
        flat view, or item by item where that cannot give the same verdict."""
        with self.lock:
            items = None
            for position, resource in enumerate(request.resources):
                service = self._resource(resource.resource)
                space = self._space(service, signal)
                if not self._flat(space, resource):
                    if items is None:
                        items = request.items()
                    self._items(space, items[position])
                self._count(service, signal, request.counts[position])

    def _flat(self, space: Space, resource: Any) -> bool:
        """Judge the attributes of a resource's items from its flat view, in wire order; False
        (having changed nothing) when that order is not the one of item by item: log records
        that are events, or events' attributes not yet cached or bringing findings not yet
        counted since the last fold."""
        if space.signal == "log":
            records = resource.scope_logs.log_records
            if records.event_name:
                return False
            self._scan(space, records.attributes)
            return True
        spans = resource.scope_spans.spans
        events = spans.events.attributes
        if not events:
            self._scan(space, spans.attributes)
            return True
        found = self._hits(space, spans.attributes)
        in_events = self._hits(space, events)
        if _MISS in found or _MISS in in_events or any(
                problem not in space.counts
                for problems in set(in_events) for problem in problems):
            return False
        self._tally(space, found)
        self._tally(space, in_events)
        return True

    def _hits(self, space: Space, attributes: Any) -> list[Any]:
        """The cached findings of the attributes that have some, and :data:`_MISS` for each one
        not cached, in order: one pass in C."""
        cache = self._pairs[space.signal]
        return list(filter(None, map(cache.get, attributes, repeat(_MISS, len(attributes)))))

    def _scan(self, space: Space, attributes: Any) -> None:
        """:meth:`_encoded` in C: every attribute looked up at once; the misses decided in
        their turn, then all findings counted at once (in order of first occurrence, as one by
        one). A space whose last scan met misses (values unique to an item) goes straight to
        the lookup of every attribute rather than first trying the hits."""
        if not space.missed:
            found = self._hits(space, attributes)
            if _MISS not in found:
                self._tally(space, found)
                return
        cache = self._pairs[space.signal]
        pairs = list(attributes)
        every = list(map(cache.get, pairs))
        misses = every.count(None)
        space.missed = misses > 0
        if misses and not self._may_decide_first(space, every, misses):
            self._in_order(space, pairs, every)
            return
        position = -1
        for _ in range(misses):
            position = every.index(None, position + 1)
            pair = pairs[position]
            cached = cache.get(pair)  # an earlier miss of this scan may have decided it
            every[position] = self._pair(space, pair) if cached is None else cached
        self._tally(space, every)

    def _may_decide_first(self, space: Space, every: list[Any], misses: int) -> bool:
        """Whether deciding a scan's misses before counting its findings leaves the verdict of
        one by one: no miss can empty the cache, nor find the space's counts full and fold
        them (a pair brings at most three findings)."""
        if len(self._pairs[space.signal]) + misses >= MAX_PAIRS:
            return False
        found = sum(map(len, set(filter(None, every))))
        return len(space.counts) + found + 3 * misses < MAX_PLANS

    def _in_order(self, space: Space, pairs: list[bytes], every: list[Any]) -> None:
        """:meth:`_scan` where misses must be decided in their turn: the findings of the hits
        between two misses counted at once, then the miss."""
        cache = self._pairs[space.signal]
        counts = space.counts
        start = 0
        while True:
            try:
                miss = every.index(None, start)
            except ValueError:
                miss = len(every)
            for problems in filter(None, every[start:miss]):
                for problem in problems:
                    counts[problem] = counts.get(problem, 0) + 1
            if miss == len(every):
                return
            pair = pairs[miss]
            cached = cache.get(pair)
            if cached is None:
                size = len(cache)
                cached = self._pair(space, pair)
                if len(cache) < size:  # the cache was full and emptied: look the rest up again
                    every[miss + 1:] = map(cache.get, pairs[miss + 1:])
            for problem in cached:
                counts[problem] = counts.get(problem, 0) + 1
            start = miss + 1

    @staticmethod
    def _tally(space: Space, found: Iterable[tuple[Problem, ...] | None]) -> None:
        counts = space.counts
        for problems, times in Counter(filter(None, found)).items():
            for problem in problems:
                counts[problem] = counts.get(problem, 0) + times

    def _items(self, space: Space, resource: Any) -> None:
        """A resource's spans (with their events) or log records, item by item."""
        signal = space.signal
        for scope in (resource.scope_spans if signal == "span" else resource.scope_logs):
            for item in (scope.spans if signal == "span" else scope.log_records):
                self._encoded(space, item.attributes)
                if signal == "span" and item.events:
                    for event in item.events:
                        self._encoded(space, event.attributes)
                elif signal == "log" and item.event_name:
                    self._event(space, item)

    def _encoded(self, space: Space, attributes: Iterable[bytes]) -> None:
        """Each encoded attribute looked up by its bytes (key and value at once); a miss
        decodes it once. Item by item, where the flat view (:meth:`_scan`) does not serve."""
        cache = self._pairs[space.signal]
        counts = space.counts
        for pair in attributes:
            found = cache.get(pair)
            if found is None:
                found = self._pair(space, pair)
            if found:
                for problem in found:
                    counts[problem] = counts.get(problem, 0) + 1

    def _event(self, space: Space, record: Any) -> None:
        """A log record that is an event: the attributes its event convention requires."""
        name = clip(record.event_name.decode("utf-8", "replace"))
        required = self.index.event_required.get(name)
        if not required:
            return
        try:
            keys = {self._key_value.FromString(pair).key for pair in record.attributes}
        except Exception:  # DecodeError: judged (and counted) as malformed elsewhere
            return
        for key in required:
            if key not in keys:
                problem = self._missing.get((name, key))
                if problem is None:
                    problem = self._missing[(name, key)] = Problem(
                        MISSING_REQUIRED, key, f"event `{name}` requires attribute `{key}`",
                        None, None)
                space.counts[problem] = space.counts.get(problem, 0) + 1

    def _pair(self, space: Space, encoded: bytes) -> tuple[Problem, ...]:
        """The findings of one encoded attribute, decided and cached by its bytes; a value
        whose findings follow from its key and type alone (no enum, no array) is also cached
        by that shape, and a string by its :func:`string_head`, so values unique to one item
        (paths, ids) are not decoded each time."""
        cache = self._pairs[space.signal]
        if len(cache) >= MAX_PAIRS:
            cache.clear()
        if len(encoded) > 1:  # a string unique to its item, under a key seen before
            head = space.heads.get(encoded[:encoded[1] + 6])
            if head is not None and head[0] == len(encoded):
                cache[encoded] = head[1]
                return head[1]
        shape = shape_of(encoded)
        if shape is not None:
            known = space.shapes.get(shape)
            if known is not None:
                cache[encoded] = known
                self._keep_head(space, encoded, shape, known)
                return known
        try:
            pair = self._key_value.FromString(encoded)
        except Exception:  # DecodeError: a malformed attribute inside a well-formed request
            self.malformed += 1
            return ()
        key, value = pair.key, pair.value
        rule = self.index.key_rule(key)
        if rule.contract is not None:
            self.seen[space.signal].add(rule.contract)
        named = space.named.get(key)
        if named is None:
            self._observe(space, key, value)
            named = tuple(self._name_problems(key, rule, value))
            if self._kept < MAX_KEY_RULES:
                self._kept += 1
                space.named[key] = named
        checked = self._value_problem(key, rule, value) if rule.value_type or rule.enum else None
        found = (*named, checked) if checked is not None else named
        cache[encoded] = found
        if shape is not None and rule.enum is None and not (rule.value_type or "").endswith(
                "[]") and self._kept < MAX_KEY_RULES:
            self._kept += 1
            space.shapes[shape] = found
            self._keep_head(space, encoded, shape, found)
        if len(space.counts) >= MAX_PLANS:
            self._fold(space)
        return found

    def _keep_head(self, space: Space, encoded: bytes, shape: bytes,
                   found: tuple[Problem, ...]) -> None:
        """Remember the findings of a string attribute decided by its ``shape`` under its
        :func:`string_head` too, which only a string of at most 125 bytes has (each length
        in one byte): at most 128 bytes beyond its shape."""
        if shape[-1] == 0x0A and len(encoded) - len(shape) <= 128 and self._kept < MAX_KEY_RULES:
            head = string_head(encoded)
            if head is not None:
                self._kept += 1
                space.heads[head] = (len(encoded), found)

    def _resource(self, resource: Any) -> str:
        """The ``service.name`` of a lean or full resource; its attributes are judged too."""
        pairs = []
        for raw in resource.attributes:
            if isinstance(raw, bytes):
                try:
                    raw = self._key_value.FromString(raw)
                except Exception:  # DecodeError: one attribute, not the request, is malformed
                    self.malformed += 1
                    continue
            pairs.append(raw)
        service = UNKNOWN_SERVICE
        for pair in pairs:
            if pair.key == "service.name" and pair.value.WhichOneof("value") == "string_value":
                service = clip(pair.value.string_value) or UNKNOWN_SERVICE
                break
        self._attributes(self._space(service, "resource"), pairs)
        return service

    def metrics(self, request: Any) -> None:
        with self.lock:
            for resource_metrics in request.resource_metrics:
                service = self._resource(resource_metrics.resource)
                for scope in resource_metrics.scope_metrics:
                    for metric in scope.metrics:
                        self._metric(service, metric)

    def _metric(self, service: str, metric: Any) -> None:
        kind = metric.WhichOneof("data")
        points = getattr(metric, kind).data_points if kind else ()
        space = self._metric_space(service, metric.name, instrument_of(metric), metric.unit)
        for problem in space.metric_problems:
            self._add(space, problem, max(len(points), 1))
        for point in points:
            self._attributes(space, point.attributes)
        self._count(service, "metric", len(points))

    def _count(self, service: str, signal: str, count: int) -> None:
        self.items[signal] += count
        per_service = self.services.get(service)
        if per_service is None:
            if len(self.services) >= MAX_SPACES:
                return
            per_service = self.services[service] = {"span": 0, "metric": 0, "log": 0}
        per_service[signal] += count

    # --- spaces and plans ------------------------------------------------------------------

    def _space(self, service: str, signal: str) -> Space:
        key = (service, signal, None, None, None)
        space = self.spaces.get(key)
        if space is None:
            space = self._new_space(key, Space(service, signal))
        return space

    def _new_space(self, key: tuple[str, str, str | None, str | None, str | None],
                   space: Space) -> Space:
        if len(self.spaces) >= MAX_SPACES:
            self._fold_all()
            self.spaces.clear()
            self._kept = 0
        self.spaces[key] = space
        return space

    def _metric_space(self, service: str, name: str, instrument: str | None,
                      unit: str) -> Space:
        key = (service, "metric", name, instrument, unit)
        space = self.spaces.get(key)
        if space is not None:
            return space
        name = clip(name)
        if name not in self.observed_metrics and len(self.observed_metrics) < MAX_KEY_RULES:
            self.observed_metrics[name] = (service, instrument, unit)
        problems: list[Problem] = []
        contract = self.index.metrics.get(name)
        allowed: frozenset[str] | None = None
        required: tuple[str, ...] = ()
        if contract is None:
            legacy = self.index.legacy.get(("metric", name))
            if legacy is not None:
                problems.append(Problem(Violation.DEPRECATED_NAME.code, name,
                                        _legacy_message("metric", name, legacy),
                                        legacy.successor, None))
            else:
                problems.append(Problem(Violation.UNKNOWN_METRIC.code, name,
                                        f"metric `{name}` is not in the registry", None, None))
        else:
            self.seen_metrics.add(name)
            problems.extend(_metric_problems(contract, instrument, unit))
            if contract.attributes:
                allowed = frozenset(ref.key for ref in contract.attributes)
                required = tuple(ref.key for ref in contract.attributes
                                 if ref.requirement_level.level == "required")
        space = Space(service, "metric", name, allowed, required, tuple(problems))
        return self._new_space(key, space)

    def _attributes(self, space: Space, attributes: Sequence[Any]) -> None:
        keys = tuple([pair.key for pair in attributes])
        plan = space.plans.get(keys)
        if plan is None:
            plan = self._plan(space, keys, attributes)
        plan.hits += 1
        for position, key, rule in plan.checks:
            self._check(space, key, rule, attributes[position].value)

    def _plan(self, space: Space, keys: tuple[str, ...], attributes: Sequence[Any]) -> Plan:
        problems: list[Problem] = []
        checks: list[tuple[int, str, KeyRule]] = []
        present: set[str] = set()
        seen = self.seen[space.signal]
        for position, key in enumerate(keys):
            rule = self.index.key_rule(key)
            value = attributes[position].value
            self._observe(space, key, value)
            if rule.contract is not None:
                seen.add(rule.contract)
                present.add(rule.contract)
            problems.extend(self._name_problems(key, rule, value))
            if rule.code is None and space.allowed is not None and (
                    rule.contract not in space.allowed):
                name = clip(key)
                problems.append(Problem(
                    Violation.UNKNOWN_ATTRIBUTE.code, name,
                    f"attribute `{name}` is not an attribute of metric `{space.metric}`",
                    None, sample_of(value, rule.sensitive)))
            if rule.value_type is not None or rule.enum is not None:
                checks.append((position, key, rule))
        for key in space.required:
            if key not in present:
                problems.append(Problem(
                    MISSING_REQUIRED, key,
                    f"metric `{space.metric}` requires attribute `{key}`", None, None))
        plan = Plan(tuple(problems), tuple(checks))
        if len(space.plans) >= MAX_PLANS:
            self._fold(space)
            space.plans.clear()
        space.plans[keys] = plan
        return plan

    def _observe(self, space: Space, key: str, value: Any) -> None:
        if space.metric is not None:
            keys = self.observed_metric_keys.setdefault(space.metric, set())
            if len(keys) < MAX_PLANS:
                keys.add(clip(key))
        if key not in self.observed and len(self.observed) < MAX_KEY_RULES:
            self.observed[clip(key)] = (space.service, space.signal, value_type_of(value)[0])

    @staticmethod
    def _name_problems(key: str, rule: KeyRule, value: Any) -> Iterator[Problem]:
        """What the key alone says: unknown, deprecated or legacy, sensitive."""
        name = clip(key)
        if rule.code is not None:
            yield Problem(rule.code, name, rule.message, rule.renamed_to,
                          sample_of(value, rule.sensitive))
        if rule.sensitive:
            yield Problem(
                Violation.SENSITIVE_VALUE.code, name,
                f"attribute `{name}` is annotated sensitive: its value must not leave the "
                "service", None, REDACTED)

    def _check(self, space: Space, key: str, rule: KeyRule, value: Any) -> None:
        problem = self._value_problem(key, rule, value)
        if problem is not None:
            self._add(space, problem, 1)

    @staticmethod
    def _value_problem(key: str, rule: KeyRule, value: Any) -> Problem | None:
        """A value of the wrong type or outside the enum members."""
        actual, python = value_type_of(value)
        expected = rule.value_type
        name = clip(key)
        if expected is not None and not _fits(expected, actual):
            return Problem(
                Violation.WRONG_TYPE.code, name,
                f"attribute `{name}` takes {expected} values, not {actual or 'empty'}", None,
                sample_of(value, rule.sensitive))
        if rule.enum is not None and python is not None:
            try:
                member = python in rule.enum
            except TypeError:
                member = False
            if not member:
                return Problem(
                    Violation.ENUM_VALUE.code, name,
                    f"attribute `{name}` has a value outside its enum members", None,
                    sample_of(value, rule.sensitive))
        return None

    # --- findings --------------------------------------------------------------------------

    def _add(self, space: Space, problem: Problem, count: int) -> None:
        if count <= 0:
            return
        key = (space.service, space.signal, problem.code, problem.name, space.metric)
        aggregate = self.aggregates.get(key)
        if aggregate is None:
            if len(self.aggregates) >= MAX_FINDINGS:
                self.overflow[problem.code] = self.overflow.get(problem.code, 0) + count
                return
            aggregate = self.aggregates[key] = Aggregate(
                space.service, space.signal, problem.code, problem.name, space.metric,
                problem.message, problem.renamed_to, problem.sample)
        aggregate.count += count

    def _fold(self, space: Space) -> None:
        for problem, count in space.counts.items():
            self._add(space, problem, count)
        space.counts.clear()
        for plan in space.plans.values():
            if plan.hits:
                for problem in plan.problems:
                    self._add(space, problem, plan.hits)
                plan.hits = 0

    def _fold_all(self) -> None:
        for space in self.spaces.values():
            self._fold(space)

    def findings(self) -> list[Aggregate]:
        """Every finding so far, most frequent first within each code."""
        with self.lock:
            self._fold_all()
            found = list(self.aggregates.values())
        return sorted(found, key=lambda a: (a.code, a.service, a.signal, a.name, a.metric or ""))

    def observed_snapshot(self) -> Snapshot:
        """The attribute keys and metrics received, as contracts of a snapshot that
        contract rules (an organisation's declared and plugin rules) can check."""
        with self.lock:
            observed = dict(self.observed)
            metrics = dict(self.observed_metrics)
            keys = {name: sorted(found) for name, found in self.observed_metric_keys.items()}
        attributes = [Attribute(key=key, type=value_type or "any")
                      for key, (_, _, value_type) in observed.items()]
        contracts = []
        for name, (_, instrument, unit) in metrics.items():
            try:
                contracts.append(Metric(
                    name=name, instrument=instrument, unit=unit,
                    attributes=tuple(AttributeRef(key=key) for key in keys.get(name, ()))))
            except ValueError:  # no data kind, or one the model has no instrument for
                continue
        return Snapshot.build(registry="live telemetry", version="observed",
                              attributes=attributes, metrics=contracts)

    def rule_aggregates(self, findings: Iterable[Finding]) -> list[Aggregate]:
        """Findings of contract rules on :meth:`observed_snapshot`, as verdict findings with
        the service and signal their name was first received from."""
        out = []
        for finding in findings:
            name = finding.subject or ""
            if name in self.observed_metrics:
                service, signal = self.observed_metrics[name][0], "metric"
            elif name in self.observed:
                service, signal = self.observed[name][:2]
            else:  # a plugin that failed to load or a rule that raised (TC120, TC121)
                service, signal = finding.location.file or UNKNOWN_SERVICE, "rule"
            out.append(Aggregate(service, signal, finding.code, clip(name), None,
                                 finding.message, None, None, 1, finding.severity))
        return out

    def seen_names(self) -> dict[str, list[str]]:
        with self.lock:
            out = {signal: sorted(names) for signal, names in self.seen.items()}
            out["metric_names"] = sorted(self.seen_metrics)
        return out


def _metric_problems(contract: Metric, instrument: str | None, unit: str) -> Iterable[Problem]:
    name = contract.name
    if contract.deprecated is not None:
        renamed = contract.deprecated.renamed_to
        yield Problem(Violation.DEPRECATED_NAME.code, name, f"metric `{name}` is deprecated" + (
            f": use `{renamed}`" if renamed else ", with no single replacement"), renamed, None)
    if instrument is not None and instrument != contract.instrument:
        yield Problem(Violation.INSTRUMENT_MISMATCH.code, name,
                      f"metric `{name}` is {_an(contract.instrument)} in the registry, but "
                      f"arrives as {_an(instrument)}", None, None)
    if unit != contract.unit:
        yield Problem(Violation.UNIT_MISMATCH.code, name,
                      f"metric `{name}` has unit `{contract.unit}` in the registry, not "
                      f"`{clip(unit, MAX_SAMPLE)}`", None, None)


def _an(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"
