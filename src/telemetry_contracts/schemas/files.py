"""Contract file formats as OpenTelemetry Weaver reads them: v1 ``groups:`` and ``definition/2``.

These models validate what a YAML file says before resolution; their JSON Schema is published
under ``schemas/`` in the repository.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

from telemetry_contracts.schemas.model import Deprecation, Instrument, normalize_stability
from telemetry_contracts.schemas.model import Stability as ModelStability

Stability = Literal[ModelStability, "experimental"]
"""Stability as files may write it; ``experimental`` (legacy) is read as ``development``."""
StabilityField = Annotated[Optional[Stability], BeforeValidator(normalize_stability)]
"""A ``stability`` field of a file model: read as the resolved model reads it."""

GroupType = Literal[
    "attribute_group", "metric", "span", "event", "entity", "resource", "scope", "metric_group"
]


def _readable_deprecation(value: str | dict[str, Any] | None) -> str | dict[str, Any] | None:
    """Refuse a ``deprecated`` mapping the resolver could not read, where the file says it."""
    if value is not None:
        try:
            Deprecation.parse(value)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ValueError(f"{where + ': ' if where else ''}{first['msg']}") from None
    return value


DeprecatedField = Annotated[
    Union[str, dict[str, Any], None],
    AfterValidator(_readable_deprecation),
    Field(
        description=(
            "Legacy text (`Replaced by `x`.`) or {reason: renamed|obsoleted|uncategorized, "
            "renamed_to, note}; Weaver's earlier `reason: unspecified|deprecated` are read too."
        )
    ),
]
RequirementLevelField = Annotated[
    Union[str, dict[str, Any], None],
    Field(description="`required`, `recommended`, `opt_in`, or {conditionally_required: text}."),
]
SignalRequirementLevelField = Annotated[
    Optional[Literal["required", "recommended", "opt_in"]],
    Field(description="Whether a signal is emitted by default; not kept in the snapshot."),
]
AnnotationsField = Annotated[
    Optional[dict[str, Any]],
    Field(
        description=(
            "Free-form annotations. Governance keys read by telemetry-contracts: owner, "
            "sensitivity (public|internal|pii|secret), cardinality_limit, sunset (YYYY-MM-DD)."
        )
    ),
]


class FileModel(BaseModel):
    """Base of the file models: unknown keys are errors, the legacy stability is normalised.

    Each model builds its validator when first used, so a run that reads only ``definition/2``
    files never builds the v1 models (``defer_build``: start-up of ``lint``)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class EntityAssociationSpec(FileModel):
    """A nested entity association: ``one_of`` or ``all_of`` further associations (Weaver
    reads a plain list as an implicit ``one_of``)."""

    one_of: list[EntityAssociation] | None = None
    all_of: list[EntityAssociation] | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> EntityAssociationSpec:
        if (self.one_of is None) == (self.all_of is None):
            raise ValueError("an entity association has exactly one of `one_of` or `all_of`")
        return self

    def entity_names(self) -> list[str]:
        """The entities named anywhere below, in order."""
        return entity_names(self.one_of or self.all_of or ())


def _association_kind(value: object) -> str:
    return "EntityName" if isinstance(value, str) else "EntityAssociationSpec"


EntityAssociation = Annotated[
    Union[Annotated[str, Tag("EntityName")],
          Annotated[EntityAssociationSpec, Tag("EntityAssociationSpec")]],
    Discriminator(_association_kind),
]
"""An entity a signal is associated with, or a ``one_of``/``all_of`` expression of them (a
mapping is only ever read as an expression, so its errors are the expression's)."""


def entity_names(associations: Sequence[EntityAssociation] | None) -> list[str]:
    """The entity names an ``entity_associations`` list mentions, each once, in order; the
    snapshot records which entities a signal goes with, not the expression joining them."""
    names: list[str] = []
    for association in associations or ():
        found = [association] if isinstance(association, str) else association.entity_names()
        names.extend(name for name in found if name not in names)
    return names


class EnumMemberSpec(FileModel):
    """An enum member as written in a file; without ``value`` the value is the ``id``."""

    id: str
    value: str | int | float | bool | None = None
    brief: str | None = None
    note: str | None = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    annotations: AnnotationsField = None


class EnumTypeSpec(FileModel):
    """An enum attribute type: its members (``allow_custom_values`` is read for v1.26)."""

    members: list[EnumMemberSpec]
    allow_custom_values: bool | None = None


class AttributeSpec(FileModel):
    """An attribute entry of a v1 group: a definition (``id``) or a reference (``ref``)."""

    id: str | None = None
    ref: str | None = None
    type: str | EnumTypeSpec | None = None
    brief: str | None = None
    note: str | None = None
    examples: Any = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    requirement_level: RequirementLevelField = None
    sampling_relevant: bool | None = None
    tag: str | None = None
    role: str | None = None
    prefix: bool = Field(
        default=False, description="On a `ref`: the group's `prefix` is put before the key."
    )
    annotations: AnnotationsField = None

    @model_validator(mode="after")
    def _id_or_ref(self) -> AttributeSpec:
        if (self.id is None) == (self.ref is None):
            raise ValueError("an attribute entry has exactly one of `id` or `ref`")
        if self.id is not None and self.type is None:
            raise ValueError(f"attribute `{self.id}` has no `type`")
        return self


class BodyFieldSpec(FileModel):
    """A field of an event body (kept for completeness; bodies are not enforced)."""

    id: str
    type: str | EnumTypeSpec
    brief: str | None = None
    note: str | None = None
    examples: Any = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    requirement_level: RequirementLevelField = None
    members: list[EnumMemberSpec] | None = None
    fields: list[BodyFieldSpec] | None = None


class ConstraintSpec(FileModel):
    """An older releases' constraint: ``any_of`` keys, or ``include`` another group's attributes."""

    any_of: list[str | list[str]] | None = Field(
        default=None,
        description="Keys of which one must be set; a list item that is a list needs all its keys.",
    )
    include: str | None = None


class GroupSpec(FileModel):
    """A v1 group: attribute group, metric, span, event or entity.

    A group without ``type`` is a span, as the tooling of the releases that wrote them read it.
    """

    id: str
    type: GroupType = "span"
    brief: str = ""
    note: str | None = None
    prefix: str | None = None
    extends: str | None = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    display_name: str | None = None
    attributes: list[AttributeSpec] | None = None
    name: str | None = None
    span_kind: str | None = None
    events: list[str] | None = None
    metric_name: str | None = None
    instrument: Instrument | None = None
    unit: str | None = None
    annotations: AnnotationsField = None
    entity_associations: list[EntityAssociation] | None = None
    body: BodyFieldSpec | None = None
    constraints: list[ConstraintSpec] | None = None
    visibility: Literal["public", "internal"] | None = None
    # whether instrumentations emit the metric by default: guidance the snapshot does not keep
    metric_requirement_level: SignalRequirementLevelField = None
    # the number type of a metric's measurements, in Weaver's v1 syntax of 2025: the same
    value_type: Literal["int", "double"] | None = None

    @model_validator(mode="after")
    def _metric_fields(self) -> GroupSpec:
        if self.type == "metric":
            missing = [f for f in ("metric_name", "instrument", "unit") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"metric group `{self.id}` lacks {', '.join(missing)}")
        return self


class ImportsSpec(FileModel):
    """Signals a file imports from its dependencies, by name or ``*`` wildcard; every contract
    of a dependency is part of the resolved snapshot already, so these only document intent."""

    metrics: list[str] | None = None
    events: list[str] | None = None
    entities: list[str] | None = None
    spans: list[str] | None = None
    attribute_groups: list[str] | None = None


class V1File(FileModel):
    """A v1 contract file: a list of groups (``file_format: definition/1``, or Weaver's earlier
    ``version: "1"``, may say so)."""

    file_format: Annotated[str, Field(pattern=V1_FILE_FORMAT)] | None = None
    version: Literal["1", 1] | None = None
    groups: list[GroupSpec] = []
    imports: ImportsSpec | list[str] | None = Field(
        default=None,
        description="Signals imported by kind; Weaver first wrote one list of group wildcards.",
    )


class RefSpec(FileModel):
    """A v2 attribute reference: one attribute (``ref``) or a whole group (``ref_group``); in a
    refinement, ``unref`` leaves out an attribute the refined signal has."""

    ref: str | None = None
    ref_group: str | None = None
    unref: str | None = None
    requirement_level: RequirementLevelField = None
    brief: str | None = None
    note: str | None = None
    examples: Any = None
    sampling_relevant: bool | None = None
    role: str | None = None
    annotations: AnnotationsField = None
    # a signal may narrow an attribute's stability or deprecate it for that signal alone; the
    # snapshot keeps both on the attribute itself, so these are read for validity only
    stability: StabilityField = None
    deprecated: DeprecatedField = None

    @model_validator(mode="after")
    def _ref_or_group(self) -> RefSpec:
        if [self.ref, self.ref_group, self.unref].count(None) != 2:
            raise ValueError("a reference has exactly one of `ref`, `ref_group` or `unref`")
        return self


class V2AttributeSpec(FileModel):
    """A v2 attribute definition."""

    key: str
    type: str | EnumTypeSpec
    brief: str = ""
    note: str | None = None
    examples: Any = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    annotations: AnnotationsField = None


class V2AttributeGroupSpec(FileModel):
    """A v2 named attribute group, public or internal."""

    id: str
    visibility: Literal["public", "internal"] = "internal"
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    brief: str | None = None
    note: str | None = None
    annotations: AnnotationsField = None
    attributes: list[RefSpec] = []


class V2MetricSpec(FileModel):
    """A v2 metric definition."""

    name: str
    instrument: Instrument
    unit: str
    brief: str = ""
    note: str | None = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    requirement_level: RequirementLevelField = None
    annotations: AnnotationsField = None
    attributes: list[RefSpec] = []
    entity_associations: list[EntityAssociation] | None = None


class V2SpanNameSpec(FileModel):
    """How a v2 span's name is formed: in words (``note``), or, as Weaver's later syntax
    writes it, as templates tried in turn (``{http.request.method} {url.template}``)."""

    note: str | None = None
    templates: list[str] | None = None

    @model_validator(mode="after")
    def _said(self) -> V2SpanNameSpec:
        if self.note is None and not self.templates:
            raise ValueError("a span name has a `note` or `templates`")
        return self


class V2SpanSpec(FileModel):
    """A v2 span definition."""

    type: str
    kind: str
    # how the span is named: Weaver's first `definition/2` syntax wrote the pattern as text
    name: str | V2SpanNameSpec | None = None
    brief: str = ""
    note: str | None = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    requirement_level: RequirementLevelField = None
    annotations: AnnotationsField = None
    attributes: list[RefSpec] = []
    entity_associations: list[EntityAssociation] | None = None


class V2RefinementBase(FileModel):
    """What every v2 refinement says: its id, the signal it refines and its own text."""

    id: str
    ref: str
    brief: str | None = None
    note: str | None = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    annotations: AnnotationsField = None


class V2RefinementSpec(V2RefinementBase):
    """A v2 refinement: a variant of a metric, span or event with more attributes.

    Its ``entity_associations`` are read for validity only: the refined signal keeps its own."""

    requirement_level: RequirementLevelField = None
    attributes: list[RefSpec] = []
    entity_associations: list[EntityAssociation] | None = None


class V2MetricRefinementSpec(V2RefinementSpec):
    """A v2 metric refinement; its ``instrument`` and ``unit``, when it says them, are the
    refined metric's."""

    instrument: Instrument | None = None
    unit: str | None = None


class V2SpanRefinementSpec(V2RefinementSpec):
    """A v2 span refinement; ``name`` (how the span is named) is not kept in the snapshot, and
    its ``kind``, when it says one, is the refined span's."""

    name: V2SpanNameSpec | None = None
    kind: str | None = None


class V2EntityRefinementSpec(V2RefinementBase):
    """A v2 entity refinement: more descriptive attributes for an entity."""

    description: list[RefSpec] = []


class V2EventSpec(FileModel):
    """A v2 event definition."""

    name: str
    brief: str = ""
    note: str | None = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    # whether instrumentations emit the event by default: guidance the snapshot does not keep
    requirement_level: SignalRequirementLevelField = None
    annotations: AnnotationsField = None
    attributes: list[RefSpec] = []
    # read for validity only: the snapshot records entity associations of metrics alone
    entity_associations: list[EntityAssociation] | None = None


class V2EntitySpec(FileModel):
    """A v2 entity definition with identifying and descriptive attributes."""

    type: str
    brief: str = ""
    note: str | None = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    # whether the entity is described by default: guidance the snapshot does not keep
    requirement_level: SignalRequirementLevelField = None
    annotations: AnnotationsField = None
    identity: list[RefSpec] = []
    description: list[RefSpec] = []


V2_FILE_FORMAT = r"^(definition/2(\.\d+)*|2\.0\.0/definition)$"
"""``definition/2``, with any minor version Weaver wrote (``definition/2.0``,
``definition/2.0.0``), or its first tag ``2.0.0/definition``."""
V1_FILE_FORMAT = r"^(definition/1(\.\d+)*|1\.0\.0)$"
"""``definition/1``, with any minor version, or Weaver's first tag ``1.0.0``."""


class V2File(FileModel):
    """A ``file_format: definition/2`` contract file (Weaver first tagged it ``version: "2"``)."""

    file_format: Annotated[str, Field(pattern=V2_FILE_FORMAT)] | None = None
    version: Literal["2", 2] | None = None
    attributes: list[V2AttributeSpec] = []
    attribute_groups: list[V2AttributeGroupSpec] = []
    metrics: list[V2MetricSpec] = []
    metric_refinements: list[V2MetricRefinementSpec] = []
    spans: list[V2SpanSpec] = []
    span_refinements: list[V2SpanRefinementSpec] = []
    event_refinements: list[V2RefinementSpec] = []
    entity_refinements: list[V2EntityRefinementSpec] = []
    imports: ImportsSpec | None = None
    events: list[V2EventSpec] = []
    entities: list[V2EntitySpec] = []

    @model_validator(mode="after")
    def _tagged(self) -> V2File:
        if self.file_format is None and self.version is None:
            raise ValueError("a v2 file says `file_format: definition/2`")
        return self


class DependencySpec(FileModel):
    """A registry this one depends on: a directory, ``git:REV[:SUBDIR]``, ``semconv``, or (as
    Weaver writes it) a ``schema_url`` with an optional ``registry_path``."""

    name: str | None = None
    schema_url: str | None = None
    registry_path: str | None = Field(
        default=None,
        description=(
            "A directory (relative to the manifest), `git:REV[:SUBDIR]`, `semconv`, a snapshot "
            "`.json`, an archive (`PATH.zip[SUBDIR]`, `PATH.tar.gz[SUBDIR]`, on disk or at a URL), "
            "or a published registry (its `manifest/2.0` manifest or `resolved/2.0` "
            "file, or their earlier `2.0.0` forms). An official release named by its schema URL "
            "or release archive is `semconv`, and so is an `opentelemetry.io/schemas/...` "
            "`schema_url` without a `registry_path`."
        ),
    )

    @model_validator(mode="after")
    def _named(self) -> DependencySpec:
        if self.name is None and self.schema_url is None:
            raise ValueError("a dependency has a `name` or a `schema_url`")
        official = "opentelemetry.io/schemas/" in (self.schema_url or "")
        if self.registry_path is None and not official:
            raise ValueError("a dependency needs `registry_path` unless it is the official model")
        return self

    @property
    def label(self) -> str:
        """What the dependency is called: its name, else its schema URL without the version."""
        return self.name or (self.schema_url or "").rstrip("/").rpartition("/")[0]


class ManifestSpec(FileModel):
    """``manifest.yaml`` (or Weaver's earlier ``registry_manifest.yaml``) of a registry
    directory, with the fields of every Weaver release that wrote one."""

    file_format: Literal["manifest/2.0", "manifest/2.0.0", "definition_manifest/2.0"] | None = None
    """``manifest/2.0`` (earlier ``manifest/2.0.0``): a registry Weaver published, read from
    ``resolved_registry_uri`` (earlier ``resolved_schema_uri``); ``definition_manifest/2.0``:
    Weaver's later tag of an ordinary manifest."""
    name: str | None = None
    version: str | None = None
    description: str | None = None
    schema_url: str | None = None
    schema_base_url: str | None = None
    semconv_version: str | None = None
    repository_url: str | None = None
    """Where the registry's sources live (informational, as in Weaver)."""
    resolved_registry_uri: str | None = None
    resolved_schema_uri: str | None = None
    stability: StabilityField = None
    dependencies: list[DependencySpec] = []

    @property
    def registry_schema_url(self) -> str | None:
        """``schema_url``, else Weaver's earlier ``schema_base_url`` joined with
        ``semconv_version``."""
        if self.schema_url or not (self.schema_base_url and self.semconv_version):
            return self.schema_url
        return f"{self.schema_base_url.rstrip('/')}/{self.semconv_version}"
