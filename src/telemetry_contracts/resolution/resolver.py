"""Turns parsed contract files into one resolved snapshot: refs, extends, groups, dependencies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ValidationError

from telemetry_contracts.resolution.published import definition_from_resolved, is_resolved
from telemetry_contracts.resolution.yaml_source import YamlMap, YamlSeq, locate, position
from telemetry_contracts.schemas.files import (
    V1_FILE_FORMAT,
    V2_FILE_FORMAT,
    AttributeSpec,
    EnumTypeSpec,
    GroupSpec,
    RefSpec,
    V1File,
    V2AttributeSpec,
    V2File,
    V2MetricSpec,
    entity_names,
)
from telemetry_contracts.schemas.findings import ContractError, Finding, Location
from telemetry_contracts.schemas.model import (
    PRIMITIVE_TYPES,
    Attribute,
    AttributeRef,
    Deprecation,
    Entity,
    EnumMember,
    Event,
    Governance,
    LegacyName,
    Metric,
    RequirementLevel,
    SourceLocation,
    Span,
    is_template_type,
)
from telemetry_contracts.schemas.snapshot import DependencyInfo, Snapshot

GOVERNANCE_KEYS = ("owner", "sensitivity", "cardinality_limit", "sunset")


@dataclass
class ContractDocument:
    """One contract file: its path relative to the registry root, located YAML and model."""

    path: str
    raw: Any
    model: V1File | V2File
    skipped: tuple[Finding, ...] = ()
    """TC111 for each key of a newer minor syntax that was not read (see :func:`_validated`)."""


def parse_document(path: str, raw: Any) -> ContractDocument:
    """Validate one file's YAML against the v1 or v2 file model."""
    if not isinstance(raw, YamlMap):
        raise ContractError(
            "TC102",
            "a contract file is a mapping with `groups:` or `file_format: definition/2`",
            path,
            *position(raw),
        )
    if is_resolved(raw):
        raw = definition_from_resolved(raw, path)
    try:
        syntax = _syntax_version(raw, path)
        if syntax == 2:
            return ContractDocument(path, raw, *_validated(V2File, raw, path))
        if syntax == 1 or "groups" in raw or "imports" in raw:
            return ContractDocument(path, raw, *_validated(V1File, raw, path))
    except ValidationError as error:
        raise validation_error(error, raw, path) from None
    raise ContractError(
        "TC102",
        "not a contract file: expected `groups:` or `file_format: definition/2`",
        path,
        *position(raw),
    )


def _syntax_version(raw: YamlMap, path: str) -> int | None:
    """1 or 2 as ``file_format`` (or Weaver's earlier ``version`` tag) says; None if untagged."""
    for key, tags, expected in (
        ("file_format", _FILE_FORMATS, "definition/2, definition/1 or resolved/2.0"),
        ("version", _VERSION_TAGS, "1 or 2"),
    ):
        if key in raw:
            tag = raw[key]
            syntax = tags.get(tag) if isinstance(tag, (str, int)) else None
            if syntax is None and key == "file_format" and isinstance(tag, str):
                syntax = 2 if _V2_FORMAT.match(tag) else 1 if _V1_FORMAT.match(tag) else None
            if syntax is None:
                line, column = position(raw, key)
                raise ContractError(
                    "TC102",
                    f"unsupported {key} `{tag}` (expected {expected})",
                    path,
                    line,
                    column,
                )
            return syntax
    return None


_FILE_FORMATS: dict[object, int] = {"definition/1": 1, "definition/2": 2}
_VERSION_TAGS: dict[object, int] = {"1": 1, 1: 1, "2": 2, 2: 2}
_V2_FORMAT = re.compile(V2_FILE_FORMAT)
_V1_FORMAT = re.compile(V1_FILE_FORMAT)


def _no_unref(entries: Iterable[tuple[Any, Any, str | None]], path: str) -> None:
    """TC102 at the first ``unref`` of a signal or attribute group: only a refinement may
    leave out an attribute."""
    for ref, raw_ref, _ in entries:
        if getattr(ref, "unref", None) is not None:
            line, column = position(raw_ref, "unref")
            raise ContractError(
                "TC102", "`unref` leaves out an attribute of the signal a refinement refines; "
                "a signal or attribute group lists only what it has", path, line, column)


_NEWER_MINOR = re.compile(r"definition/[12]\.0*[1-9]")
"""A ``file_format`` whose minor version is newer than the syntax this release reads."""
_FileModel = TypeVar("_FileModel", V1File, V2File)


def _validated(model: type[_FileModel], raw: YamlMap, path: str
               ) -> tuple[_FileModel, tuple[Finding, ...]]:
    """``raw`` as ``model``. In a file of a newer minor syntax, keys this release does not
    know are skipped, as Weaver skips them, each with a TC111 warning; anywhere else, and for
    any other error, pydantic's error stands (raised by the caller as TC102)."""
    try:
        return model.model_validate(raw), ()
    except ValidationError as error:
        tag = raw.get("file_format")
        unknown = [tuple(problem["loc"]) for problem in error.errors()
                   if problem["type"] == "extra_forbidden"]
        if not (isinstance(tag, str) and _NEWER_MINOR.match(tag)) or not unknown:
            raise
        skipped = sorted((_skip(raw, location, tag, path) for location in unknown),
                         key=lambda finding: (finding.location.line, finding.location.column))
        return model.model_validate(raw), tuple(skipped)  # any other error stands


def _skip(raw: Any, location: tuple[Any, ...], tag: str, path: str) -> Finding:
    """Remove the key at ``location`` from ``raw``; the TC111 warning that says so."""
    line, column = locate(raw, location)
    parts = [part for part in location if not _is_type_tag(part)]
    container = raw
    for part in parts[:-1]:
        container = container[part]
    container.pop(parts[-1], None)
    where = ".".join(str(part) for part in parts)
    return Finding(
        code="TC111", severity="warning",
        message=f"`{where}` is not read: `{tag}` is newer than the syntax this release reads",
        location=Location(file=path, line=line, column=column),
    )


def validation_error(error: ValidationError, raw: Any, path: str) -> ContractError:
    """The most specific pydantic error as a ContractError at its line."""
    details = max(error.errors(), key=lambda item: len(item["loc"]))
    location = details["loc"]
    line, column = locate(raw, tuple(location))
    where = ".".join(str(part) for part in location if not _is_type_tag(part))
    return ContractError("TC102", f"`{where}`: {details['msg']}", path, line, column)


def _is_type_tag(part: object) -> bool:
    """pydantic puts union member names (``str``, ``EnumTypeSpec``) into ``loc``; skip them."""
    return isinstance(part, str) and (part[:1].isupper() or part in {"str", "int", "dict[str,any]"})


def parse_governance(annotations: dict[str, Any] | None, raw: Any, path: str) -> Governance:
    """Read the governance keys out of an ``annotations`` mapping."""
    if not annotations:
        return Governance()
    fields = {key: annotations[key] for key in GOVERNANCE_KEYS if key in annotations}
    if not fields:
        return Governance()
    try:
        return Governance.model_validate(fields)
    except ValidationError as error:
        raw_annotations = raw.get("annotations") if isinstance(raw, YamlMap) else None
        raise validation_error(error, raw_annotations, path) from None


@dataclass
class _Definition:
    """An attribute definition waiting to become an :class:`Attribute`."""

    key: str
    spec: AttributeSpec | V2AttributeSpec
    raw: Any
    path: str


def _attribute(definition: _Definition) -> Attribute:
    """The resolved attribute of one definition (an attribute names no other contract)."""
    spec = definition.spec
    type_name, members = _attribute_type(spec.type)
    line, column = position(definition.raw)
    if (
        type_name != "enum"
        and type_name not in PRIMITIVE_TYPES
        and not is_template_type(type_name)
    ):
        type_line, type_column = position(definition.raw, "type")
        raise ContractError(
            "TC102",
            f"attribute `{definition.key}` has unknown type `{type_name}`",
            definition.path,
            type_line,
            type_column,
            hint="use string, int, double, boolean, their arrays, template[...] or members",
        )
    return Attribute(
        key=definition.key,
        type=type_name,
        members=members,
        brief=_text(spec.brief),
        note=_optional_text(spec.note),
        examples=spec.examples,
        stability=spec.stability or "development",
        deprecated=_deprecation(spec.deprecated),
        governance=parse_governance(spec.annotations, definition.raw, definition.path),
        source=SourceLocation(file=definition.path, line=line, column=column),
    )


def resolve_attribute(spec: V2AttributeSpec, path: str) -> Attribute:
    """One ``definition/2`` attribute on its own, as :meth:`Resolver.resolve` resolves it.

    For a single attribute written outside any file (a proposal): it needs no other contract,
    so no document, resolver or snapshot is built around it.
    """
    return _attribute(_Definition(spec.key, spec, None, path))


@dataclass
class _Group:
    """A group of attribute references, with what it extends and where it was written."""

    id: str
    path: str
    raw: Any
    entries: list[tuple[RefSpec | AttributeSpec, Any, str | None]]
    extends: str | None = None
    resolved: dict[str, AttributeRef] | None = None
    roles: dict[str, str] = field(default_factory=dict)


def _items(raw: Any, key: str) -> Iterator[Any]:
    """The raw items of list ``key`` in ``raw``, or nothing."""
    value = raw.get(key) if isinstance(raw, YamlMap) else None
    return iter(value) if isinstance(value, YamlSeq) else iter(())


class Resolver:
    """Collects contract documents and resolves them into a :class:`Snapshot`."""

    def __init__(self, dependencies: Sequence[tuple[str, Snapshot]] = ()) -> None:
        self.dependencies = list(dependencies)
        self.external: dict[str, Attribute] = {}
        self.legacy: dict[str, tuple[str, LegacyName]] = {}
        """Names a dependency's history knows: a ref to one resolves to a deprecated attribute."""
        self.dependency_signals: dict[str, tuple[str, Any]] = {}
        """The dependencies' metrics, spans, events and entities by the id a refinement names
        them with (``metric.<name>``, ``span.<type>``...), with their dependency's name; the
        first dependency that defines one wins."""
        for name, snapshot in self.dependencies:
            for attribute in snapshot.attributes:
                self.external.setdefault(attribute.key, attribute)
            for kind, items, field_name in (("metric", snapshot.metrics, "name"),
                                            ("span", snapshot.spans, "type"),
                                            ("event", snapshot.events, "name"),
                                            ("entity", snapshot.entities, "type")):
                for item in items:
                    self.dependency_signals.setdefault(
                        f"{kind}.{getattr(item, field_name)}", (name, item))
            for legacy in snapshot.history:
                if legacy.kind == "attribute":
                    self.legacy.setdefault(legacy.name, (name, legacy))
        self.legacy_used: dict[str, Attribute] = {}
        self.definitions: dict[str, _Definition] = {}
        self.groups: dict[str, _Group] = {}
        self.metric_groups: list[tuple[str, Any, GroupSpec | Any, str]] = []
        self.refinements: list[tuple[str, Any, str, str]] = []
        self.unrefs: list[tuple[str, str, Any, str]] = []
        """(refined signal, key, where it is written, file) of each refinement's ``unref``."""
        self.span_groups: list[tuple[str, Any, Any, str]] = []
        self.event_groups: list[tuple[str, Any, Any, str]] = []
        self.entity_groups: list[tuple[str, Any, Any, str]] = []

    # -- collecting -----------------------------------------------------------------------
    def add(self, document: ContractDocument) -> None:
        """Register the definitions and groups of one document."""
        if isinstance(document.model, V1File):
            self._add_v1(document)
        else:
            self._add_v2(document)

    def _define(self, key: str, spec: AttributeSpec | V2AttributeSpec, raw: Any, path: str) -> None:
        previous = self.definitions.get(key)
        if previous is not None:
            line, column = position(raw)
            first = f"{previous.path}:{position(previous.raw)[0]}"
            raise ContractError(
                "TC104",
                f"attribute `{key}` is defined twice (first at {first})",
                path,
                line,
                column,
            )
        self.definitions[key] = _Definition(key, spec, raw, path)

    def _add_group(self, group: _Group) -> None:
        previous = self.groups.get(group.id)
        if previous is not None:
            line, column = position(group.raw)
            first = f"{previous.path}:{position(previous.raw)[0]}"
            raise ContractError(
                "TC104",
                f"group `{group.id}` is defined twice (first at {first})",
                group.path,
                line,
                column,
            )
        self.groups[group.id] = group

    def _add_v1(self, document: ContractDocument) -> None:
        assert isinstance(document.model, V1File)
        for spec, raw in zip(document.model.groups, _items(document.raw, "groups")):
            entries: list[tuple[RefSpec | AttributeSpec, Any, str | None]] = []
            group = _Group(spec.id, document.path, raw, entries, spec.extends)
            for attribute, raw_attribute in zip(
                spec.attributes or (), _items(raw, "attributes")
            ):
                if attribute.id is not None:
                    key = f"{spec.prefix}.{attribute.id}" if spec.prefix else attribute.id
                    self._define(key, attribute, raw_attribute, document.path)
                    entries.append((attribute, raw_attribute, key))
                else:
                    ref = attribute.ref or ""
                    if attribute.prefix and spec.prefix:
                        ref = f"{spec.prefix}.{ref}"
                    entries.append((attribute, raw_attribute, ref))
                if attribute.role:
                    group.roles[entries[-1][2] or ""] = attribute.role
            for constraint, raw_constraint in zip(
                spec.constraints or (), _items(raw, "constraints")
            ):
                if constraint.include is not None:
                    # older releases' `include`: the other group's attributes join this one
                    entries.append((RefSpec(ref_group=constraint.include), raw_constraint, None))
            self._add_group(group)
            kind = spec.type
            if kind == "metric":
                self.metric_groups.append((spec.id, raw, spec, document.path))
            elif kind == "span":
                self.span_groups.append((spec.id, raw, spec, document.path))
            elif kind == "event":
                self.event_groups.append((spec.id, raw, spec, document.path))
            elif kind in ("entity", "resource"):
                self.entity_groups.append((spec.id, raw, spec, document.path))

    def _add_v2(self, document: ContractDocument) -> None:
        model = document.model
        assert isinstance(model, V2File)
        raw = document.raw
        for attribute, raw_attribute in zip(
            model.attributes, _items(raw, "attributes")
        ):
            self._define(attribute.key, attribute, raw_attribute, document.path)
        sections: list[tuple[str, Sequence[Any], str]] = [
            ("attribute_groups", model.attribute_groups, "id"),
            ("metrics", model.metrics, "name"),
            ("spans", model.spans, "type"),
            ("events", model.events, "name"),
        ]
        for section, specs, id_field in sections:
            for spec, raw_spec in zip(specs, _items(raw, section)):
                group_id = getattr(spec, id_field)
                if section != "attribute_groups":
                    group_id = f"{section[:-1]}.{group_id}"
                entries = [
                    (ref, raw_ref, ref.ref)
                    for ref, raw_ref in zip(
                        spec.attributes, _items(raw_spec, "attributes")
                    )
                ]
                _no_unref(entries, document.path)
                self._add_group(_Group(group_id, document.path, raw_spec, list(entries)))
                target = {
                    "metrics": self.metric_groups,
                    "spans": self.span_groups,
                    "events": self.event_groups,
                }.get(section)
                if target is not None:
                    target.append((group_id, raw_spec, spec, document.path))
        for spec, raw_spec in zip(model.entities, _items(raw, "entities")):
            group_id = f"entity.{spec.type}"
            entries = []
            group = _Group(group_id, document.path, raw_spec, entries)
            for role, refs in (("identifying", spec.identity), ("descriptive", spec.description)):
                for ref, raw_ref in zip(
                    refs,
                    _items(raw_spec, "identity" if role == "identifying" else "description"),
                ):
                    entries.append((ref, raw_ref, ref.ref))
                    if ref.ref:
                        group.roles[ref.ref] = role
            self._add_group(group)
            self.entity_groups.append((group_id, raw_spec, spec, document.path))
        for section in (
            "metric_refinements", "span_refinements", "event_refinements", "entity_refinements"
        ):
            # an entity refinement adds descriptive attributes; the others add `attributes`
            listed = "description" if section == "entity_refinements" else "attributes"
            for spec, raw_spec in zip(getattr(model, section), _items(raw, section)):
                entries = [
                    (ref, raw_ref, ref.ref)
                    for ref, raw_ref in zip(
                        getattr(spec, listed), _items(raw_spec, listed)
                    )
                    # an `unref` leaves an attribute out of this variant of the signal: the
                    # snapshot keeps the signal with the attributes of all its variants
                    if ref.unref is None
                ]
                refined = f"{section.split('_')[0]}.{spec.ref}"
                self.unrefs.extend(
                    (refined, ref.unref, raw_ref, document.path)
                    for ref, raw_ref in zip(getattr(spec, listed), _items(raw_spec, listed))
                    if ref.unref is not None
                )
                group = _Group(spec.id, document.path, raw_spec, list(entries))
                if listed == "description":
                    group.roles.update((key, "descriptive") for _, _, key in entries if key)
                self._add_group(group)
                self.refinements.append((spec.id, raw_spec, refined, document.path))

    # -- resolving ------------------------------------------------------------------------
    def resolve(self, registry: str, version: str, schema_url: str | None) -> Snapshot:
        """Resolve every group and return the snapshot (dependencies' contents included)."""
        attributes = {key: _attribute(d) for key, d in self.definitions.items()}
        for group_id in self.groups:
            self._group_refs(group_id)
        self._check_refined_signals()
        metrics = self._metrics()
        spans = [
            Span(
                type=_span_type(group_id),
                kind=spec.span_kind if isinstance(spec, GroupSpec) else spec.kind,
                attributes=self._refined(group_id),
                **_group_fields(raw, spec, path),
            )
            for group_id, raw, spec, path in self.span_groups
        ]
        events = [
            Event(
                # v1 events without `name` are named by their `prefix` (releases before
                # 1.26 name `exception` so), else by the group id
                name=spec.name or getattr(spec, "prefix", None) or group_id.removeprefix("event."),
                attributes=self._refined(group_id),
                **_group_fields(raw, spec, path),
            )
            for group_id, raw, spec, path in self.event_groups
        ]
        entities = [
            self._entity(group_id, raw, spec, path)
            for group_id, raw, spec, path in self.entity_groups
        ]
        spans = list({span.type: span for span in spans}.values())
        events = list({event.name: event for event in events}.values())
        entities = list({entity.type: entity for entity in entities}.values())
        dependency_infos = []
        for name, snapshot in self.dependencies:
            dependency_infos.append(
                DependencyInfo(name=name, version=snapshot.version, schema_url=snapshot.schema_url)
            )
            _merge(attributes, snapshot.attributes, "key", name)
            _merge(metrics, snapshot.metrics, "name", name)
        for signal in self._refined_dependency_signals():
            if isinstance(signal, Metric):
                metrics[signal.name] = signal
            elif isinstance(signal, Span):
                spans.append(signal)
            elif isinstance(signal, Event):
                events.append(signal)
            else:
                entities.append(signal)
        for key, attribute in self.legacy_used.items():
            attributes.setdefault(key, attribute)
        history = [legacy for _, dependency in self.dependencies for legacy in dependency.history
                   if legacy.name not in (attributes if legacy.kind == "attribute" else metrics)]
        return Snapshot.build(
            registry=registry,
            version=version,
            schema_url=schema_url,
            dependencies=dependency_infos,
            attributes=attributes.values(),
            metrics=metrics.values(),
            spans=spans,
            events=events,
            entities=entities,
            history=list({(n.kind, n.name): n for n in history}.values()),
        )

    def _local_signals(self) -> set[str]:
        """The ids of this registry's own metrics, spans, events and entities."""
        return {group_id for groups in (self.metric_groups, self.span_groups,
                                        self.event_groups, self.entity_groups)
                for group_id, _, _, _ in groups}

    def _check_refined_signals(self) -> None:
        """Every refinement names a metric, span, event or entity of this registry or of a
        dependency: TC103 at its ``ref`` otherwise."""
        known = self._local_signals() | self.dependency_signals.keys()
        for refinement_id, raw, target, path in self.refinements:
            if target not in known:
                kind, _, name = target.partition(".")
                line, column = position(raw, "ref")
                raise ContractError(
                    "TC103", f"refinement `{refinement_id}` refines unknown {kind} `{name}`",
                    path, line, column)
            self._check_refinement_shape(refinement_id, raw, target, path)
        for target, key, raw_ref, path in self.unrefs:
            if key not in self._base_keys(target):
                kind, _, name = target.partition(".")
                line, column = position(raw_ref, "unref")
                raise ContractError(
                    "TC103", f"`unref` names `{key}`, which {kind} `{name}` does not have",
                    path, line, column)

    def _check_refinement_shape(self, refinement_id: str, raw: Any, target: str,
                                path: str) -> None:
        """A refinement that says the refined metric's instrument or unit, or the refined
        span's kind, says what the signal has: a metric name has one unit and one instrument
        (TC104 otherwise)."""
        kind, _, name = target.partition(".")
        keys = {"metric": ("instrument", "unit"), "span": ("kind",)}.get(kind, ())
        shape = self._signal_shape(target) if keys else {}
        for key in keys:
            said = raw.get(key) if isinstance(raw, dict) else None
            if said is not None and said != shape.get(key):
                line, column = position(raw, key)
                raise ContractError(
                    "TC104", f"refinement `{refinement_id}` gives {kind} `{name}` {key} "
                    f"`{said}` where it has `{shape.get(key)}`",
                    path, line, column,
                    hint=f"a {kind} has one {key}: define another {kind} for the other one")

    def _base_keys(self, target: str) -> set[str]:
        """The attribute keys a refined signal has of its own (an entity's, both roles)."""
        if target in self._local_signals():
            return set(self._group_refs(target))
        _, signal = self.dependency_signals[target]
        if isinstance(signal, Entity):
            return {*signal.identifying, *signal.descriptive}
        return {ref.key for ref in signal.attributes}

    def _signal_shape(self, target: str) -> dict[str, Any]:
        """The instrument and unit of a metric, or the kind of a span, of this registry or of
        a dependency."""
        for groups in (self.metric_groups, self.span_groups):
            for group_id, _, spec, _ in groups:
                if group_id == target:
                    return {"instrument": getattr(spec, "instrument", None),
                            "unit": getattr(spec, "unit", None),
                            "kind": getattr(spec, "kind", None) or getattr(spec, "span_kind", None)}
        _, signal = self.dependency_signals[target]
        return {"instrument": getattr(signal, "instrument", None),
                "unit": getattr(signal, "unit", None), "kind": getattr(signal, "kind", None)}

    def _refined_dependency_signals(self) -> list[Metric | Span | Event | Entity]:
        """The dependencies' signals this registry refines, each with the attributes its
        refinements add (descriptive ones for an entity; the dependency's level wins), as this
        registry's snapshot carries them: with the dependency's name as their origin."""
        local = self._local_signals()
        refined = []
        for target in dict.fromkeys(target for _, _, target, _ in self.refinements):
            if target in local:
                continue
            name, signal = self.dependency_signals[target]  # known: _check_refined_signals ran
            update: dict[str, Any] = {"origin": signal.origin or name}
            if isinstance(signal, Entity):
                present = {*signal.identifying, *signal.descriptive}
                added = (ref.key for ref in self._refined(target, ()))
                update["descriptive"] = (*signal.descriptive,
                                         *(key for key in added if key not in present))
            else:
                update["attributes"] = self._refined(target, signal.attributes)
            refined.append(signal.model_copy(update=update))
        return refined

    def _refinements_of(self, group_id: str) -> list[str]:
        """The ids of the refinements of the metric, span, event or entity ``group_id``."""
        return [refinement_id for refinement_id, _, target, _ in self.refinements
                if target == group_id]

    def _refined(self, group_id: str,
                 base: Iterable[AttributeRef] | None = None) -> tuple[AttributeRef, ...]:
        """A signal's refs (its group's, or ``base`` for a dependency's signal), with those its
        refinements add: the base's level wins, then the first refinement's."""
        refs = dict(self._group_refs(group_id)) if base is None else {r.key: r for r in base}
        for refinement_id in self._refinements_of(group_id):
            for key, ref in self._group_refs(refinement_id).items():
                refs.setdefault(key, ref)
        return tuple(refs.values())

    def _metrics(self) -> dict[str, Metric]:
        metrics: dict[str, Metric] = {}
        sources: dict[str, str] = {}
        for group_id, raw, spec, path in self.metric_groups:
            name = _metric_name(spec)
            line, column = position(raw)
            if name in metrics:
                raise ContractError(
                    "TC104",
                    f"metric `{name}` is defined twice (first in {sources[name]})",
                    path,
                    line,
                    column,
                )
            sources[name] = f"{path}:{line}"
            metrics[name] = Metric(
                name=name,
                instrument=spec.instrument,
                unit=spec.unit,
                brief=_text(spec.brief),
                note=_optional_text(spec.note),
                stability=spec.stability or "development",
                deprecated=_deprecation(spec.deprecated),
                attributes=self._refined(group_id),
                entity_associations=tuple(entity_names(spec.entity_associations)),
                governance=parse_governance(spec.annotations, raw, path),
                source=SourceLocation(file=path, line=line, column=column),
            )
        return metrics

    def _entity(self, group_id: str, raw: Any, spec: Any, path: str) -> Entity:
        refs = {ref.key: ref for ref in self._refined(group_id)}
        roles = dict(self.groups[group_id].roles)
        for refinement_id in self._refinements_of(group_id):
            for key, role in self.groups[refinement_id].roles.items():
                roles.setdefault(key, role)
        identifying = tuple(k for k in refs if roles.get(k, "identifying") == "identifying")
        descriptive = tuple(k for k in refs if roles.get(k) == "descriptive")
        return Entity(
            type=spec.name or group_id if isinstance(spec, GroupSpec) else spec.type,
            identifying=identifying,
            descriptive=descriptive,
            **_group_fields(raw, spec, path),
        )

    def _group_refs(self, group_id: str, chain: tuple[str, ...] = ()) -> dict[str, AttributeRef]:
        """The attribute references of a group, with what it extends or includes, in order."""
        group = self.groups[group_id]
        if group.resolved is not None:
            return group.resolved
        if group_id in chain:
            line, column = position(group.raw)
            cycle = " -> ".join((*chain, group_id))
            raise ContractError(
                "TC109", f"groups extend each other in a cycle: {cycle}", group.path, line, column
            )
        chain = (*chain, group_id)
        refs: dict[str, AttributeRef] = {}
        if group.extends is not None:
            if group.extends not in self.groups:
                line, column = position(group.raw, "extends")
                raise ContractError(
                    "TC103",
                    f"`extends` names unknown group `{group.extends}`",
                    group.path,
                    line,
                    column,
                )
            refs.update(self._group_refs(group.extends, chain))
        for entry, raw_entry, key in group.entries:
            if key is None:
                assert isinstance(entry, RefSpec) and entry.ref_group is not None
                include = isinstance(raw_entry, YamlMap) and "include" in raw_entry
                if entry.ref_group not in self.groups:
                    field_name = "include" if include else "ref_group"
                    line, column = position(raw_entry, field_name)
                    raise ContractError(
                        "TC103",
                        f"`{field_name}` names unknown group `{entry.ref_group}`",
                        group.path,
                        line,
                        column,
                    )
                included = self._group_refs(entry.ref_group, chain)
                if include:
                    for included_key, ref in included.items():
                        refs.setdefault(included_key, ref)
                    continue
                for included_key, ref in included.items():
                    refs[included_key] = _with_level(ref, entry.requirement_level)
                continue
            if key in self.legacy and key not in self.definitions and key not in self.external:
                self.legacy_used.setdefault(key, _legacy_attribute(*self.legacy[key]))
            elif key not in self.definitions and key not in self.external:
                line, column = position(raw_entry, "ref")
                raise ContractError(
                    "TC103",
                    f"`ref` names unknown attribute `{key}`",
                    group.path,
                    line,
                    column,
                    hint="define it in an attribute group or fix the name",
                )
            previous = refs.get(key)
            level = entry.requirement_level
            refs[key] = AttributeRef(
                key=key,
                requirement_level=RequirementLevel.parse(level)
                if level is not None
                else (previous.requirement_level if previous else RequirementLevel()),
                note=_optional_text(entry.note),
            )
        group.resolved = refs
        return refs


def _legacy_attribute(origin: str, legacy: LegacyName) -> Attribute:
    """A legacy name a registry refers to, as the deprecated attribute it is."""
    since = f" (last defined by release {legacy.last_release})" if legacy.last_release else ""
    return Attribute(
        key=legacy.name,
        type="any",
        brief=f"A legacy semantic-convention name{since}.",
        deprecated=Deprecation(
            reason="renamed" if legacy.successor else "obsoleted", renamed_to=legacy.successor
        ),
        origin=origin,
    )


def _span_type(group_id: str) -> str:
    """A span's type: its group id without the ``span.`` (or older ``trace.``) prefix."""
    for prefix in ("span.", "trace."):
        if group_id.startswith(prefix):
            return group_id[len(prefix) :]
    return group_id


def _metric_name(spec: GroupSpec | V2MetricSpec) -> str:
    if isinstance(spec, GroupSpec):
        assert spec.metric_name is not None  # the file model requires it for metric groups
        return spec.metric_name
    return spec.name


def _with_level(ref: AttributeRef, level: object) -> AttributeRef:
    if level is None:
        return ref
    return ref.model_copy(update={"requirement_level": RequirementLevel.parse(level)})


def _merge(target: dict[str, Any], items: Iterable[Any], key_field: str, origin: str) -> None:
    """Add a dependency's contracts that this registry does not define itself."""
    for item in items:
        key = getattr(item, key_field)
        if key not in target:
            target[key] = item if item.origin else item.model_copy(update={"origin": origin})


def _attribute_type(raw_type: str | EnumTypeSpec | None) -> tuple[str, tuple[EnumMember, ...]]:
    if isinstance(raw_type, EnumTypeSpec):
        members = tuple(
            EnumMember(
                id=member.id,
                value=member.id if member.value is None else member.value,
                brief=_optional_text(member.brief),
                stability=member.stability,
                deprecated=_deprecation(member.deprecated),
            )
            for member in raw_type.members
        )
        return "enum", members
    return raw_type or "string", ()


def _group_fields(raw: Any, spec: Any, path: str) -> dict[str, Any]:
    """What every span, event and entity takes from its group: text, stability, deprecation
    and where it was written."""
    line, column = position(raw)
    return {"brief": _text(spec.brief), "stability": spec.stability or "development",
            "deprecated": _deprecation(spec.deprecated),
            "source": SourceLocation(file=path, line=line, column=column)}

def _deprecation(raw: object) -> Deprecation | None:
    return None if raw is None else Deprecation.parse(raw)


def _text(value: str | None) -> str:
    return (value or "").strip()


def _optional_text(value: str | None) -> str | None:
    text = _text(value)
    return text or None
