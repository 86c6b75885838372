"""Field-level diff of two registry snapshots and its compatibility classification.

Compatibility is meant in the schema-registry sense, translated to telemetry, where producers
(instrumented services) write data and consumers (dashboards, alerts, queries, backends and the
runtime guard) read it:

* **BACKWARD** — consumers that use the *new* registry can read telemetry produced under the
  *old* one: everything old producers may still emit conforms to the new contracts. Broken by
  removing a contract old producers emit, changing a type, unit or instrument, removing an enum
  member, making an attribute required, or lowering a stable contract's stability.
* **FORWARD** — consumers still on the *old* registry can read telemetry produced under the *new*
  one: what they query is still there with the same meaning. Broken by removals and by type, unit,
  instrument or stability changes as above, and also by adding an enum member (an old consumer
  meets a value it does not know) or by loosening a ``required`` attribute.
* **FULL** — both; **NONE** — nothing is breaking. The ``*_TRANSITIVE`` variants check the newest
  version against every earlier one (:func:`check_history`), not only against the previous.

Adding optional contracts, deprecating, renaming through a deprecation (the old name stays, marked
``renamed_to``) and documentation edits break neither direction. Only ``stable`` contracts carry a
promise: changes to ``development``/``alpha``/``beta``/``release_candidate`` contracts, and removal
of contracts that were already deprecated, are reported but never breaking.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, computed_field

from telemetry_contracts.schemas.compatibility import CompatibilityMode
from telemetry_contracts.schemas.model import (
    Attribute,
    AttributeRef,
    Deprecation,
    EnumMember,
    Metric,
    SourceLocation,
)
from telemetry_contracts.schemas.snapshot import Snapshot

ChangeKind = Literal["added", "removed", "renamed", "obsoleted", "deprecated", "changed"]
SubjectKind = Literal[
    "attribute", "metric", "span", "event", "entity", "enum_member", "attribute_ref"
]
Bump = Literal["major", "minor", "patch", "none"]

CHANGE_CODES: dict[str, str] = {
    "TC901": "contract removed",
    "TC902": "type changed",
    "TC903": "unit changed",
    "TC904": "instrument changed",
    "TC905": "enum member removed",
    "TC906": "requirement tightened",
    "TC907": "stability lowered",
    "TC908": "requirement loosened",
    "TC909": "enum member added",
    "TC910": "signal shape changed",
}
"""Codes of the changes that can break compatibility (the diff's findings)."""

DOC_FIELDS = frozenset({"brief", "note", "examples"})
"""Fields whose changes only touch documentation: a patch bump."""

_STABILITY_RANK = {"development": 0, "alpha": 1, "beta": 2, "release_candidate": 3, "stable": 4}
_LEVEL_RANK = {"opt_in": 0, "recommended": 1, "conditionally_required": 2, "required": 3}


class Change(BaseModel):
    """One difference between two registries, with the compatibility it breaks."""

    model_config = ConfigDict(frozen=True)

    kind: ChangeKind
    subject_kind: SubjectKind
    subject: str
    """The attribute key or signal name; for enum members and attribute refs, the member value or
    attribute key (``parent`` names the enum attribute or the signal)."""
    parent: str | None = None
    parent_kind: SubjectKind | None = None
    field: str | None = None
    """For ``changed``: type, unit, instrument, requirement_level, stability, deprecated, ..."""
    old: Any = None
    new: Any = None
    renamed_to: str | None = None
    stability: str | None = None
    """Stability of the contract in the old registry (what decides whether a promise was made)."""
    backward_breaking: bool = False
    forward_breaking: bool = False
    code: str | None = None
    """A TC9xx code when the change can break compatibility in some mode."""
    location: SourceLocation | None = None
    """Where the contract is defined: in the new registry, or the old one when it was removed."""
    against: str | None = None
    """The old registry version this change was found against (set by :func:`check_history`)."""

    def breaks(self, mode: CompatibilityMode | str = "BACKWARD") -> bool:
        """True when this change breaks compatibility under ``mode``."""
        base = str(mode).upper().removesuffix("_TRANSITIVE")
        if base == "BACKWARD":
            return self.backward_breaking
        if base == "FORWARD":
            return self.forward_breaking
        if base == "FULL":
            return self.backward_breaking or self.forward_breaking
        if base == "NONE":
            return False
        raise ValueError(f"unknown compatibility mode {mode!r}")

    @property
    def qualified_subject(self) -> str:
        """``parent`` and ``subject`` together, e.g. ``http.request.method=GET``."""
        if self.subject_kind == "enum_member":
            return f"{self.parent}={self.subject}"
        if self.parent:
            return f"{self.parent} [{self.subject}]"
        return self.subject

    def describe(self) -> str:
        """A one-line human description, e.g. ``metric m: unit changed from ms to s``."""
        what = f"{_KIND_NAMES[self.subject_kind]} `{self.qualified_subject}`"
        if self.subject_kind == "attribute_ref":
            what = f"attribute `{self.subject}` of {self.parent_kind} `{self.parent}`"
        if self.kind == "changed" and self.field in DOC_FIELDS:
            return f"{what}: {self.field} changed"
        if self.kind == "changed":
            return f"{what}: {self.field} changed from {_show(self.old)} to {_show(self.new)}"
        if self.kind == "renamed":
            return f"{what} renamed to `{self.renamed_to}`"
        if self.kind == "added" and self.subject_kind == "attribute_ref":
            return f"{what} added as {self.new}"
        return f"{what} {self.kind}"

    def bump(self) -> Bump:
        """The semver bump this change alone needs (breaking means BACKWARD-breaking)."""
        if self.backward_breaking:
            return "major"
        if self.kind == "changed" and self.field in DOC_FIELDS:
            return "patch"
        return "minor"


_KIND_NAMES = {
    "attribute": "attribute", "metric": "metric", "span": "span", "event": "event",
    "entity": "entity", "enum_member": "enum member", "attribute_ref": "attribute",
}


def _show(value: object, limit: int = 80) -> str:
    if value is None:
        return "(none)"
    text = f"`{value}`" if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


class RegistryDiff(BaseModel):
    """Every change from ``old_version`` to ``new_version``, in a stable order."""

    model_config = ConfigDict(frozen=True)

    registry: str
    old_version: str
    new_version: str
    changes: list[Change]

    def breaking(self, mode: CompatibilityMode | str = "BACKWARD") -> list[Change]:
        """The changes that break compatibility under ``mode``."""
        return [change for change in self.changes if change.breaks(mode)]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def bump(self) -> Bump:
        """The semver bump the new version needs: breaking → major, additions and deprecations →
        minor, documentation only → patch, nothing → none."""
        return max_bump(change.bump() for change in self.changes)

    @property
    def renames(self) -> dict[str, dict[str, str]]:
        """``{"attribute": {old: new}, "metric": {old: new}, ...}`` of the renames found."""
        found: dict[str, dict[str, str]] = {}
        for change in self.changes:
            if change.kind == "renamed" and change.renamed_to:
                found.setdefault(change.subject_kind, {})[change.subject] = change.renamed_to
        return found


_BUMP_ORDER: tuple[Bump, ...] = ("none", "patch", "minor", "major")


def max_bump(bumps: Iterable[Bump]) -> Bump:
    """The largest of ``bumps``; ``none`` when there are none."""
    return max(bumps, key=_BUMP_ORDER.index, default="none")


def compare(old: Snapshot, new: Snapshot) -> RegistryDiff:
    """The field-level diff from ``old`` to ``new``, each change classified."""
    head = _Head(new)
    changes: list[Change] = []
    changes += _compare_named(
        old.attributes, new.attributes, lambda a: a.key, "attribute", _attribute_fields, head
    )
    changes += _compare_named(old.metrics, new.metrics, lambda m: m.name, "metric",
                              _metric_fields, head)
    changes += _compare_named(old.spans, new.spans, lambda s: s.type, "span", _span_fields, head)
    changes += _compare_named(old.events, new.events, lambda e: e.name, "event", _refs_only, head)
    changes += _compare_named(old.entities, new.entities, lambda e: e.type, "entity",
                              _entity_fields, head)
    return RegistryDiff(
        registry=new.registry, old_version=old.version, new_version=new.version, changes=changes
    )


def check_history(
    versions: Sequence[Snapshot], mode: CompatibilityMode | str = "BACKWARD_TRANSITIVE"
) -> list[Change]:
    """Breaking changes of the newest of ``versions`` (oldest first) under ``mode``.

    A ``*_TRANSITIVE`` mode compares the newest against every earlier version, so a change undone
    and redone across versions, or a removal spread over several releases, is still caught; the
    other modes compare against the previous version only. Each change carries ``against``.
    """
    if len(versions) < 2:
        return []
    newest = versions[-1]
    earlier = versions[:-1] if str(mode).upper().endswith("_TRANSITIVE") else versions[-2:-1]
    found: dict[tuple[object, ...], Change] = {}
    for baseline in earlier:
        for change in compare(baseline, newest).breaking(mode):
            identity = (change.kind, change.subject_kind, change.subject, change.parent,
                        change.field, change.new)
            found.setdefault(identity, change.model_copy(update={"against": baseline.version}))
    return list(found.values())


# --- per-kind comparison ------------------------------------------------------------------------

FieldComparer = Callable[[Any, Any, "_Context"], list[Change]]


class _Head:
    """What the comparisons need to know of the new registry's attributes."""

    def __init__(self, new: Snapshot) -> None:
        self.attribute_types = {a.key: a.value_type for a in new.attributes}
        self.attribute_renames = {a.key: a.deprecated.renamed_to for a in new.attributes
                                  if a.deprecated is not None and a.deprecated.renamed_to}
        self.successors: dict[tuple[str, str], str] = {
            (legacy.kind, legacy.name): legacy.successor
            for legacy in new.history if legacy.successor
        }
        """Names the new registry's history knows: a removal of one is its rename."""


class _Context:
    """What a field comparison needs to build its changes."""

    def __init__(self, subject_kind: SubjectKind, subject: str, old: Any, new: Any,
                 head: _Head) -> None:
        self.subject_kind = subject_kind
        self.subject = subject
        self.stability = old.stability
        self.promised = old.stability == "stable" and old.deprecated is None
        self.location = new.source or old.source
        self.head = head

    def change(self, field: str, old: object, new: object, *, code: str | None = None,
               backward: bool = False, forward: bool = False) -> Change:
        return Change(
            kind="changed", subject_kind=self.subject_kind, subject=self.subject, field=field,
            old=old, new=new, stability=self.stability, code=code,
            backward_breaking=backward and self.promised,
            forward_breaking=forward and self.promised,
            location=self.location,
        )


def _compare_named(
    old_items: Sequence[Any],
    new_items: Sequence[Any],
    name_of: Callable[[Any], str],
    subject_kind: SubjectKind,
    compare_fields: FieldComparer,
    head: _Head,
) -> list[Change]:
    old_by_name = {name_of(item): item for item in old_items}
    new_by_name = {name_of(item): item for item in new_items}
    changes: list[Change] = []
    for name in sorted(old_by_name.keys() | new_by_name.keys()):
        old, new = old_by_name.get(name), new_by_name.get(name)
        if old is None and new is not None:
            changes.append(Change(kind="added", subject_kind=subject_kind, subject=name,
                                  stability=new.stability, location=new.source))
        elif old is not None and new is None:
            removal = _removed(subject_kind, name, old)
            successor = head.successors.get((subject_kind, name))
            if successor is not None and successor in new_by_name:
                removal = removal.model_copy(update={"kind": "renamed", "renamed_to": successor})
            changes.append(removal)
        elif old is not None:
            context = _Context(subject_kind, name, old, new, head)
            changes += _deprecation_change(old, new, context)
            changes += compare_fields(old, new, context)
    return changes


def _removed(subject_kind: SubjectKind, name: str, old: Any) -> Change:
    promised = old.stability == "stable" and old.deprecated is None
    return Change(kind="removed", subject_kind=subject_kind, subject=name, stability=old.stability,
                  code="TC901", backward_breaking=promised, forward_breaking=promised,
                  location=old.source)


def _deprecation_change(old: Any, new: Any, context: _Context) -> list[Change]:
    """renamed / obsoleted / deprecated when ``new`` is newly deprecated or re-targeted."""
    before: Deprecation | None = old.deprecated
    after: Deprecation | None = new.deprecated
    if after is None:
        if before is not None:
            return [context.change("deprecated", before.reason, None)]
        return []
    target = _rename_target(context, after)
    if before is not None:
        previous = _rename_target(context, before)
        if previous == target:
            return []
        # Already deprecated: a re-targeted replacement, not a new rename.
        return [context.change("renamed_to", previous, target)]
    kind: ChangeKind = "renamed" if target else (
        "obsoleted" if after.reason == "obsoleted" else "deprecated")
    return [Change(kind=kind, subject_kind=context.subject_kind, subject=context.subject,
                   renamed_to=target, stability=context.stability, location=context.location,
                   old=before.reason if before else None, new=after.reason)]


def _rename_target(context: _Context, deprecation: Deprecation) -> str | None:
    """The new name of a rename; None for a self-reference or an attribute whose replacement has
    another value type (data could not simply be moved to the new key)."""
    target = deprecation.renamed_to
    if not target or target == context.subject:
        return None
    types = context.head.attribute_types
    if context.subject_kind == "attribute" and target in types and (
            types[target] != types.get(context.subject)):
        return None
    return target


def _attribute_fields(old: Attribute, new: Attribute, context: _Context) -> list[Change]:
    changes: list[Change] = []
    if old.value_type != new.value_type or old.is_template != new.is_template:
        known = "any" not in (old.value_type, new.value_type)
        changes.append(context.change("type", old.type, new.type, code="TC902",
                                      backward=known, forward=known))
    elif old.is_enum != new.is_enum:
        # Same value type, enum opened (widening: old consumers meet unknown values) or closed.
        changes.append(context.change("type", old.type, new.type, code="TC902",
                                      backward=new.is_enum, forward=old.is_enum))
    if old.is_enum and new.is_enum:
        changes += _compare_members(old, new, context)
    changes += _stability_change(old, new, context)
    changes += _plain_fields(old, new, context, ("brief", "note", "examples", "governance"))
    return changes


def _compare_members(old: Attribute, new: Attribute, context: _Context) -> list[Change]:
    old_members = {str(m.value): m for m in old.members}
    new_members = {str(m.value): m for m in new.members}
    changes: list[Change] = []
    for value in sorted(old_members.keys() - new_members.keys()):
        member = old_members[value]
        promised = context.promised and _member_promised(member, old)
        changes.append(Change(
            kind="removed", subject_kind="enum_member", subject=value, parent=old.key,
            parent_kind="attribute", stability=member.stability or old.stability, code="TC905",
            backward_breaking=promised, forward_breaking=promised, location=context.location,
        ))
    for value in sorted(new_members.keys() - old_members.keys()):
        member = new_members[value]
        changes.append(Change(
            kind="added", subject_kind="enum_member", subject=value, parent=new.key,
            parent_kind="attribute", stability=member.stability or new.stability, code="TC909",
            forward_breaking=context.promised, location=context.location,
        ))
    for value in sorted(old_members.keys() & new_members.keys()):
        before, after = old_members[value].deprecated, new_members[value].deprecated
        if after is not None and before is None:
            changes.append(Change(
                kind="deprecated", subject_kind="enum_member", subject=value, parent=new.key,
                parent_kind="attribute", new=after.reason, location=context.location,
                stability=old_members[value].stability or old.stability,
            ))
    return changes


def _member_promised(member: EnumMember, attribute: Attribute) -> bool:
    return (member.stability or attribute.stability) == "stable" and member.deprecated is None


def _stability_change(old: Any, new: Any, context: _Context) -> list[Change]:
    if old.stability == new.stability or "deprecated" in (old.stability, new.stability):
        return []
    lowered = _STABILITY_RANK[new.stability] < _STABILITY_RANK[old.stability]
    return [context.change("stability", old.stability, new.stability,
                           code="TC907" if lowered else None, backward=lowered, forward=lowered)]


def _plain_fields(old: Any, new: Any, context: _Context, fields: Iterable[str]) -> list[Change]:
    changes = []
    for field in fields:
        before, after = getattr(old, field), getattr(new, field)
        if before != after:
            changes.append(context.change(field, _plain(before), _plain(after)))
    return changes


def _plain(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, tuple):
        return list(value)
    return value


def _metric_fields(old: Metric, new: Metric, context: _Context) -> list[Change]:
    changes: list[Change] = []
    if old.instrument != new.instrument:
        changes.append(context.change("instrument", old.instrument, new.instrument, code="TC904",
                                      backward=True, forward=True))
    if old.unit != new.unit:
        changes.append(context.change("unit", old.unit, new.unit, code="TC903",
                                      backward=True, forward=True))
    changes += _stability_change(old, new, context)
    changes += _compare_refs(old.attributes, new.attributes, context)
    changes += _plain_fields(old, new, context,
                             ("brief", "note", "entity_associations", "governance"))
    return changes


def _span_fields(old: Any, new: Any, context: _Context) -> list[Change]:
    changes: list[Change] = []
    if old.kind != new.kind:
        changes.append(context.change("kind", old.kind, new.kind, code="TC910",
                                      backward=True, forward=True))
    return changes + _refs_only(old, new, context)


def _refs_only(old: Any, new: Any, context: _Context) -> list[Change]:
    return (_stability_change(old, new, context)
            + _compare_refs(old.attributes, new.attributes, context)
            + _plain_fields(old, new, context, ("brief",)))


def _entity_fields(old: Any, new: Any, context: _Context) -> list[Change]:
    changes: list[Change] = []
    if set(old.identifying) != set(new.identifying):
        changes.append(context.change("identifying", sorted(old.identifying),
                                      sorted(new.identifying), code="TC910",
                                      backward=True, forward=True))
    return (changes + _stability_change(old, new, context)
            + _plain_fields(old, new, context, ("brief", "descriptive")))


def _compare_refs(
    old_refs: Sequence[AttributeRef], new_refs: Sequence[AttributeRef], context: _Context
) -> list[Change]:
    """Attributes added to, removed from, or re-levelled on one signal."""
    old_by_key = {ref.key: ref for ref in old_refs}
    new_by_key = {ref.key: ref for ref in new_refs}
    changes: list[Change] = []

    def ref_change(kind: ChangeKind, key: str, **fields: Any) -> Change:
        return Change(kind=kind, subject_kind="attribute_ref", subject=key, parent=context.subject,
                      parent_kind=context.subject_kind, stability=context.stability,
                      location=context.location, **fields)

    added = new_by_key.keys() - old_by_key.keys()
    renamed = {key: context.head.attribute_renames[key]
               for key in old_by_key.keys() - new_by_key.keys()
               if context.head.attribute_renames.get(key) in added}
    for key in sorted(old_by_key.keys() - new_by_key.keys()):
        # A rename on a stable signal still moves data consumers query: breaking like a removal.
        changes.append(ref_change("renamed" if key in renamed else "removed", key, code="TC901",
                                  old=old_by_key[key].requirement_level.level,
                                  renamed_to=renamed.get(key),
                                  backward_breaking=context.promised,
                                  forward_breaking=context.promised))
    for key in sorted(added - set(renamed.values())):
        level = new_by_key[key].requirement_level.level
        required = level == "required" and context.promised
        changes.append(ref_change("added", key, new=level, code="TC906" if required else None,
                                  backward_breaking=required))
    for key in sorted(old_by_key.keys() & new_by_key.keys()):
        before = old_by_key[key].requirement_level.level
        after = new_by_key[key].requirement_level.level
        if before == after:
            continue
        tightened = after == "required"
        loosened = before == "required"
        code = "TC906" if tightened else "TC908" if loosened else None
        changes.append(ref_change(
            "changed", key, field="requirement_level", old=before, new=after, code=code,
            backward_breaking=tightened and context.promised,
            forward_breaking=loosened and context.promised,
        ))
    return changes
