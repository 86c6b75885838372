"""What a rule is: a stable code, a severity, its documentation and a check over a snapshot."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

from telemetry_contracts.schemas.findings import Finding, Location, Severity
from telemetry_contracts.schemas.model import (
    Attribute,
    Entity,
    Event,
    Metric,
    SourceLocation,
    Span,
    find_by_key,
)
from telemetry_contracts.schemas.snapshot import Snapshot

Signal = Metric | Span | Event
"""Contracts that carry attribute references with requirement levels."""

ATTRIBUTES = frozenset({"attributes"})
METRICS = frozenset({"metrics"})
SIGNALS = frozenset({"metrics", "spans", "events"})
ENTITIES = frozenset({"entities"})
COLLECTIONS = ATTRIBUTES | SIGNALS | ENTITIES
"""A snapshot's collections of contracts, by field name (see :attr:`Rule.reads`)."""

OPENTELEMETRY_SCHEMA_PREFIX = "https://opentelemetry.io/schemas/"


@dataclass(frozen=True)
class BaselineIndex:
    """Look-up tables of a baseline registry, built once per baseline content and reused.

    The registry service checks every proposal against the same semantic-convention baseline,
    so its indexes are kept rather than rebuilt for each check.
    """

    attributes: dict[str, Attribute]
    metrics: dict[str, Metric]
    namespaces: frozenset[str]

    _cache: ClassVar[dict[str, BaselineIndex]] = {}
    _CACHE_SIZE: ClassVar[int] = 4

    @classmethod
    def of(cls, baseline: Snapshot | None) -> BaselineIndex:
        """The index of ``baseline`` (empty for none), cached by its content hash."""
        if baseline is None:
            return cls({}, {}, frozenset())
        cached = cls._cache.get(baseline.content_hash) if baseline.content_hash else None
        if cached is not None:
            return cached
        attributes = {a.key: a for a in baseline.attributes}
        metrics = {m.name: m for m in baseline.metrics}
        names = (*attributes, *metrics)
        index = cls(
            attributes, metrics, frozenset(p for name in names for p in namespaces_of(name))
        )
        if baseline.content_hash:
            if len(cls._cache) >= cls._CACHE_SIZE:
                cls._cache.clear()
            cls._cache[baseline.content_hash] = index
        return index


class Context:
    """One snapshot under check, its indexes, and the semantic-convention baseline (if any)."""

    def __init__(
        self,
        snapshot: Snapshot,
        baseline: Snapshot | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.baseline = baseline
        self._today = today

    @cached_property
    def today(self) -> dt.date:
        """The date sunsets are compared with (today unless given), read when first needed."""
        return self._today or dt.date.today()

    @cached_property
    def attributes(self) -> dict[str, Attribute]:
        return {attribute.key: attribute for attribute in self.snapshot.attributes}

    @cached_property
    def metrics(self) -> dict[str, Metric]:
        return {metric.name: metric for metric in self.snapshot.metrics}

    @cached_property
    def templates(self) -> dict[str, Attribute]:
        return {a.key: a for a in self.snapshot.attributes if a.is_template}

    @cached_property
    def own_attributes(self) -> tuple[Attribute, ...]:
        """Attributes defined in this registry's files, not taken from a dependency."""
        return tuple(a for a in self.snapshot.attributes if a.origin is None)

    @cached_property
    def own_metrics(self) -> tuple[Metric, ...]:
        return tuple(m for m in self.snapshot.metrics if m.origin is None)

    @cached_property
    def own_signals(self) -> tuple[Signal, ...]:
        """Metrics, spans and events of this registry: whatever references attributes."""
        snapshot = self.snapshot
        signals: tuple[Signal, ...] = (*snapshot.metrics, *snapshot.spans, *snapshot.events)
        return tuple(signal for signal in signals if signal.origin is None)

    @cached_property
    def own_entities(self) -> tuple[Entity, ...]:
        return tuple(e for e in self.snapshot.entities if e.origin is None)

    @cached_property
    def is_opentelemetry_registry(self) -> bool:
        """True for a release of OpenTelemetry's own conventions: its schema URL says so, or it
        defines most of the baseline's attributes itself (older releases carry no manifest).
        Such a registry owns the reserved and semantic-convention namespaces."""
        if (self.snapshot.schema_url or "").startswith(OPENTELEMETRY_SCHEMA_PREFIX):
            return True
        official = self.baseline_attributes
        own = sum(1 for a in self.own_attributes if a.key in official)
        return bool(official) and own * 2 >= len(official)

    @cached_property
    def _baseline_index(self) -> BaselineIndex:
        return BaselineIndex.of(self.baseline)

    @property
    def baseline_attributes(self) -> dict[str, Attribute]:
        return self._baseline_index.attributes

    @property
    def baseline_metrics(self) -> dict[str, Metric]:
        return self._baseline_index.metrics

    @property
    def baseline_namespaces(self) -> frozenset[str]:
        """Every dotted prefix (``http``, ``http.request``) of a baseline attribute or metric."""
        return self._baseline_index.namespaces

    def attribute(self, key: str) -> Attribute | None:
        """The attribute ``key`` names, also a concrete key under a ``template[...]`` prefix."""
        return find_by_key(key, self.attributes, self.templates)


def namespaces_of(name: str) -> Iterator[str]:
    """The proper dotted prefixes of a name: ``a.b.c`` gives ``a`` and ``a.b``."""
    parts = name.split(".")
    for end in range(1, len(parts)):
        yield ".".join(parts[:end])


def subject_of(item: Attribute | Metric | Span | Event | Entity) -> str:
    """The name a finding is about: an attribute key, a metric or event name, a type id."""
    if isinstance(item, Attribute):
        return item.key
    if isinstance(item, Metric | Event):
        return item.name
    return item.type


def kind_of(item: Attribute | Metric | Span | Event | Entity) -> str:
    return type(item).__name__.lower()


class Rule:
    """A lint rule: subclasses set the class attributes and implement :meth:`check`.

    ``bad_example`` and ``good_example`` are contract-file YAML; ``fix`` says how to repair a
    finding when there is a mechanical way to.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    rationale: ClassVar[str]
    bad_example: ClassVar[str]
    good_example: ClassVar[str]
    fix: ClassVar[str | None] = None
    reads: ClassVar[frozenset[str]] = COLLECTIONS
    """The snapshot collections the rule looks through: when all of them are empty it finds
    nothing, and :func:`~telemetry_contracts.validators.check` does not run it (a proposal's
    few contracts leave most collections empty)."""

    def check(self, context: Context) -> Iterable[Finding]:
        raise NotImplementedError

    def finding(
        self,
        item: Attribute | Metric | Span | Event | Entity,
        message: str,
        context: Context,
        hint: str | None = None,
    ) -> Finding:
        """A finding of this rule about ``item``, located where ``item`` was defined."""
        return Finding(
            code=self.code,
            severity=self.severity,
            message=message,
            location=location_of(item.source, context.snapshot),
            subject=subject_of(item),
            hint=hint if hint is not None else self.fix,
        )

    def __repr__(self) -> str:
        return f"<{self.code} {self.name}>"


def location_of(source: SourceLocation | None, snapshot: Snapshot) -> Location:
    """The finding location of a definition; the registry's name when the source is unknown."""
    if source is None:
        return Location(file=snapshot.registry)
    return Location(file=source.file, line=source.line, column=source.column)


def contract(body: str) -> str:
    """A rule example as a complete ``definition/2`` contract file."""
    return "file_format: definition/2\n" + textwrap.dedent(body).strip("\n") + "\n"


def rule_failed(rule: Rule, error: Exception, snapshot: Snapshot) -> Finding:
    """The TC121 finding of ``rule`` raising ``error`` while checking ``snapshot``."""
    where = f"{type(rule).__module__}.{type(rule).__qualname__}"
    return Finding(code="TC121", severity="warning",
                   message=f"rule {rule.code} ({where}) raised "
                   f"{type(error).__name__}: {error}; its findings are missing",
                   location=Location(file=snapshot.registry))
