"""The resolved contract model: attributes, metrics, spans, events, entities and governance.

These are the contracts after refs, extends and dependencies are resolved; the file syntax that
produces them lives in :mod:`telemetry_contracts.schemas.files`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from telemetry_contracts.schemas.findings import place

T = TypeVar("T")

Stability = Literal["stable", "development", "alpha", "beta", "release_candidate", "deprecated"]
"""Maturity of a contract; the legacy ``experimental`` is read as ``development``."""

Instrument = Literal["counter", "updowncounter", "histogram", "gauge"]
RequirementLevelName = Literal["required", "conditionally_required", "recommended", "opt_in"]
Sensitivity = Literal["public", "internal", "pii", "secret"]
DeprecationReason = Literal["renamed", "obsoleted", "uncategorized"]

PRIMITIVE_TYPES = frozenset(
    {"string", "int", "double", "boolean", "string[]", "int[]", "double[]", "boolean[]", "any"}
)
"""Attribute value types; ``any`` is the official model's type for free-form values."""

_TEMPLATE = re.compile(
    r"^template\[(string|int|double|boolean|string\[\]|int\[\]|double\[\]|boolean\[\]|any)\]$"
)
_LEGACY_RENAME = re.compile(
    r"^\s*(?:Replaced by|Use|Renamed to|Deprecated, use)\s+`([A-Za-z0-9_.\-]+?)`?"
    r"(?:\s+(?:attribute|metric))?(?:\s+instead)?\.?\s*$",
    re.IGNORECASE,
)
_QUALIFIED_RENAME = re.compile(r"^\s*(?:Replaced by|Renamed to)\s+`([A-Za-z0-9_.\-]+)`\s+\w")
_BACKTICKED = re.compile(r"`[^`]+`")


def normalize_stability(value: object) -> object:
    """Map the legacy ``experimental`` stability onto ``development``."""
    return "development" if value == "experimental" else value


def is_template_type(type_name: str) -> bool:
    """True for ``template[...]`` types, whose key is a prefix followed by a dynamic suffix."""
    return _TEMPLATE.match(type_name) is not None


def find_by_key(key: str, exact: Mapping[str, T], templates: Mapping[str, T]) -> T | None:
    """``exact[key]``, else the template whose key is the longest dotted prefix of ``key``.

    A ``template[...]`` attribute ``http.request.header`` covers concrete keys such as
    ``http.request.header.x-id``; the walk costs one look-up per dot in ``key``.
    """
    found = exact.get(key)
    if found is not None or not templates:
        return found
    prefix = key
    while "." in prefix:
        prefix = prefix.rpartition(".")[0]
        template = templates.get(prefix)
        if template is not None:
            return template
    return None


def template_value_type(type_name: str) -> str:
    """The value type inside ``template[...]``; the type itself for other types."""
    match = _TEMPLATE.match(type_name)
    return match.group(1) if match else type_name


class Model(BaseModel):
    """Base of every contract model: strict about unknown fields, frozen once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceLocation(Model):
    """Where a definition was read: a file relative to its registry root, 1-based line, column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return place(self.file, self.line, self.column)


class Deprecation(Model):
    """Why a contract is deprecated and, for a rename, what replaces it."""

    reason: DeprecationReason = "uncategorized"
    renamed_to: str | None = None
    note: str | None = None

    @classmethod
    def parse(cls, raw: object) -> Deprecation:
        """Read either the legacy string form or the structured mapping form."""
        if isinstance(raw, Deprecation):
            return raw
        if isinstance(raw, str):
            match = _LEGACY_RENAME.match(raw)
            if match:
                return cls(reason="renamed", renamed_to=match.group(1), note=raw.strip())
            qualified = _QUALIFIED_RENAME.match(raw)
            if qualified and len(_BACKTICKED.findall(raw)) == 1:
                # "Replaced by `x` on the consumer spans. ..." names one replacement; the
                # official schema files record these as renames.
                return cls(reason="renamed", renamed_to=qualified.group(1), note=raw.strip())
            return cls(reason="uncategorized", note=raw.strip() or None)
        if isinstance(raw, dict):
            return cls.model_validate(_current_deprecation_form(raw))
        raise ValueError("deprecated must be a string or a mapping with a reason")


def _current_deprecation_form(raw: dict[str, Any]) -> dict[str, Any] | Deprecation:
    """Weaver's earlier spellings of the structured form, as today's: ``reason: unspecified``
    (a legacy string kept as ``note``), ``reason: deprecated`` and ``{action, new_name}``."""
    if "action" in raw and "reason" not in raw:
        rest = {k: v for k, v in raw.items() if k not in ("action", "new_name")}
        if raw["action"] == "renamed":
            return {"reason": "renamed", "renamed_to": raw.get("new_name"), **rest}
        raw = {"reason": raw["action"], **rest}
    if raw.get("reason") == "unspecified" and set(raw) <= {"reason", "note"}:
        return Deprecation.parse(str(raw.get("note") or ""))
    if raw.get("reason") == "deprecated":
        return {**raw, "reason": "uncategorized"}
    return raw


class EnumMember(Model):
    """One allowed value of an enum attribute."""

    id: str
    value: str | int | float | bool
    brief: str | None = None
    stability: Stability | None = None
    deprecated: Deprecation | None = None


class Governance(Model):
    """Governance fields that the semconv syntax lacks, read from ``annotations``.

    ``owner`` is the owning team, ``sensitivity`` drives redaction, ``cardinality_limit`` caps the
    distinct attribute sets of a metric (or values of an attribute), ``sunset`` is the date after
    which a deprecated contract may be removed.
    """

    owner: str | None = None
    sensitivity: Sensitivity | None = None
    cardinality_limit: Annotated[int, Field(gt=0)] | None = None
    sunset: dt.date | None = None

    def is_empty(self) -> bool:
        """True when no governance field is set."""
        return not (self.owner or self.sensitivity or self.cardinality_limit or self.sunset)


class RequirementLevel(Model):
    """How strongly an attribute is expected on a signal; ``condition`` explains conditionals."""

    level: RequirementLevelName = "recommended"
    condition: str | None = None

    @classmethod
    def parse(cls, raw: object) -> RequirementLevel:
        """Read ``required`` or ``{conditionally_required: "when ..."}`` forms."""
        if raw is None:
            return cls()
        if isinstance(raw, RequirementLevel):
            return raw
        if isinstance(raw, str):
            cached = _LEVELS.get(raw)
            if cached is None:
                cached = _LEVELS[raw] = cls.model_validate({"level": raw})
            return cached
        if isinstance(raw, dict) and len(raw) == 1:
            ((level, condition),) = raw.items()
            return cls(level=level, condition=str(condition) if condition is not None else None)
        raise ValueError("requirement_level must be a level name or a one-key mapping")


_LEVELS: dict[str, RequirementLevel] = {}


class Attribute(Model):
    """An attribute contract: its key, value type and meaning."""

    key: str
    type: str
    members: tuple[EnumMember, ...] = ()
    brief: str = ""
    note: str | None = None
    examples: Any = None
    stability: Stability = "development"
    deprecated: Deprecation | None = None
    governance: Governance = Governance()
    origin: str | None = None
    source: SourceLocation | None = Field(default=None, exclude=True)

    _normalize_stability = field_validator("stability", mode="before")(normalize_stability)

    @property
    def is_enum(self) -> bool:
        """True for an enum type (``type`` is ``enum``)."""
        return self.type == "enum"

    @property
    def is_template(self) -> bool:
        """True for ``template[...]`` attributes, matched by key prefix."""
        return is_template_type(self.type)

    @property
    def value_type(self) -> str:
        """The primitive value type: an enum's member type, a template's inner type."""
        if self.is_enum:
            kinds = {type(m.value) for m in self.members}
            if kinds <= {int} and kinds:
                return "int"
            if kinds <= {int, float} and kinds:
                return "double"
            return "string"
        return template_value_type(self.type)


class AttributeRef(Model):
    """An attribute used by a signal, with the requirement level it has there."""

    key: str
    requirement_level: RequirementLevel = RequirementLevel()
    note: str | None = None


class Metric(Model):
    """A metric contract: name, instrument, unit and the attributes it may carry."""

    name: str
    instrument: Instrument
    unit: str
    brief: str = ""
    note: str | None = None
    stability: Stability = "development"
    deprecated: Deprecation | None = None
    attributes: tuple[AttributeRef, ...] = ()
    entity_associations: tuple[str, ...] = ()
    governance: Governance = Governance()
    origin: str | None = None
    source: SourceLocation | None = Field(default=None, exclude=True)

    _normalize_stability = field_validator("stability", mode="before")(normalize_stability)


class Span(Model):
    """A span convention: its type id, span kind and attributes."""

    type: str
    kind: str | None = None
    brief: str = ""
    stability: Stability = "development"
    deprecated: Deprecation | None = None
    attributes: tuple[AttributeRef, ...] = ()
    origin: str | None = None
    source: SourceLocation | None = Field(default=None, exclude=True)

    _normalize_stability = field_validator("stability", mode="before")(normalize_stability)


class Event(Model):
    """An event convention: its name and attributes."""

    name: str
    brief: str = ""
    stability: Stability = "development"
    deprecated: Deprecation | None = None
    attributes: tuple[AttributeRef, ...] = ()
    origin: str | None = None
    source: SourceLocation | None = Field(default=None, exclude=True)

    _normalize_stability = field_validator("stability", mode="before")(normalize_stability)


class Entity(Model):
    """An entity (resource) convention: identifying and descriptive attributes."""

    type: str
    brief: str = ""
    stability: Stability = "development"
    deprecated: Deprecation | None = None
    identifying: tuple[str, ...] = ()
    descriptive: tuple[str, ...] = ()
    origin: str | None = None
    source: SourceLocation | None = Field(default=None, exclude=True)

    _normalize_stability = field_validator("stability", mode="before")(normalize_stability)


class LegacyName(Model):
    """A name an earlier official release defined, or an official schema file renamed, that
    today's model no longer has: ``successor`` is today's name where there is exactly one."""

    name: str
    kind: Literal["attribute", "metric"]
    successor: str | None = None
    last_release: str | None = None
    """The newest release whose model defined it (none when only a schema file names it)."""
    instrument: Instrument | None = None
    unit: str | None = None
