"""Contract file formats as OpenTelemetry Weaver reads them: v1 ``groups:`` and ``definition/2``.

These models validate what a YAML file says before resolution; their JSON Schema is published
under ``schemas/`` in the repository.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from telemetry_contracts.schemas.model import Instrument, normalize_stability
from telemetry_contracts.schemas.model import Stability as ModelStability

Stability = Literal[ModelStability, "experimental"]
"""Stability as files may write it; ``experimental`` (legacy) is read as ``development``."""
StabilityField = Annotated[Stability | None, BeforeValidator(normalize_stability)]
"""A ``stability`` field of a file model: read as the resolved model reads it."""

GroupType = Literal[
    "attribute_group", "metric", "span", "event", "entity", "resource", "scope", "metric_group"
]

DeprecatedField = Annotated[
    str | dict[str, Any] | None,
    Field(description="Legacy text (`Replaced by `x`.`) or {reason, renamed_to, note}."),
]
RequirementLevelField = Annotated[
    str | dict[str, Any] | None,
    Field(description="`required`, `recommended`, `opt_in`, or {conditionally_required: text}."),
]
AnnotationsField = Annotated[
    dict[str, Any] | None,
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


class EnumMemberSpec(FileModel):
    """An enum member as written in a file."""

    id: str
    value: str | int | float | bool
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

    any_of: list[str] | None = None
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
    entity_associations: list[str] | None = None
    body: BodyFieldSpec | None = None
    constraints: list[ConstraintSpec] | None = None
    visibility: Literal["public", "internal"] | None = None

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


class V1File(FileModel):
    """A v1 contract file: a list of groups (``file_format: definition/1`` may say so)."""

    file_format: Literal["definition/1"] | None = None
    groups: list[GroupSpec] = []
    imports: ImportsSpec | None = None


class RefSpec(FileModel):
    """A v2 attribute reference: one attribute (``ref``) or a whole group (``ref_group``)."""

    ref: str | None = None
    ref_group: str | None = None
    requirement_level: RequirementLevelField = None
    brief: str | None = None
    note: str | None = None
    examples: Any = None
    sampling_relevant: bool | None = None
    role: str | None = None
    annotations: AnnotationsField = None

    @model_validator(mode="after")
    def _ref_or_group(self) -> RefSpec:
        if (self.ref is None) == (self.ref_group is None):
            raise ValueError("a reference has exactly one of `ref` or `ref_group`")
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
    entity_associations: list[str] | None = None


class V2SpanNameSpec(FileModel):
    """How a v2 span's name is formed."""

    note: str


class V2SpanSpec(FileModel):
    """A v2 span definition."""

    type: str
    kind: str
    name: V2SpanNameSpec | None = None
    brief: str = ""
    note: str | None = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    requirement_level: RequirementLevelField = None
    annotations: AnnotationsField = None
    attributes: list[RefSpec] = []
    entity_associations: list[str] | None = None


class V2RefinementSpec(FileModel):
    """A v2 refinement: a variant of a metric or span with more attributes."""

    id: str
    ref: str
    brief: str | None = None
    note: str | None = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    annotations: AnnotationsField = None
    requirement_level: RequirementLevelField = None
    attributes: list[RefSpec] = []


class V2EventSpec(FileModel):
    """A v2 event definition."""

    name: str
    brief: str = ""
    note: str | None = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    annotations: AnnotationsField = None
    attributes: list[RefSpec] = []


class V2EntitySpec(FileModel):
    """A v2 entity definition with identifying and descriptive attributes."""

    type: str
    brief: str = ""
    note: str | None = None
    stability: StabilityField = None
    deprecated: DeprecatedField = None
    annotations: AnnotationsField = None
    identity: list[RefSpec] = []
    description: list[RefSpec] = []


class V2File(FileModel):
    """A ``file_format: definition/2`` contract file."""

    file_format: Literal["definition/2"]
    attributes: list[V2AttributeSpec] = []
    attribute_groups: list[V2AttributeGroupSpec] = []
    metrics: list[V2MetricSpec] = []
    metric_refinements: list[V2RefinementSpec] = []
    spans: list[V2SpanSpec] = []
    span_refinements: list[V2RefinementSpec] = []
    event_refinements: list[V2RefinementSpec] = []
    imports: ImportsSpec | None = None
    events: list[V2EventSpec] = []
    entities: list[V2EntitySpec] = []


class DependencySpec(FileModel):
    """A registry this one depends on: a directory, ``git:REV[:SUBDIR]``, ``semconv``, or (as
    Weaver writes it) a ``schema_url`` with an optional ``registry_path``."""

    name: str | None = None
    schema_url: str | None = None
    registry_path: str | None = Field(
        default=None,
        description=(
            "A directory (relative to the manifest), `git:REV[:SUBDIR]`, `semconv`, a snapshot "
            "`.json`, or a published registry (its `manifest/2.0.0` manifest or `resolved/2.0.0` "
            "file). Without it, an `opentelemetry.io/schemas/...` `schema_url` is `semconv`."
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
    """``manifest.yaml`` of a registry directory."""

    file_format: Literal["manifest/2.0.0"] | None = None
    """``manifest/2.0.0``: a registry Weaver published, read from ``resolved_schema_uri``."""
    name: str | None = None
    version: str | None = None
    description: str | None = None
    schema_url: str | None = None
    schema_base_url: str | None = None
    semconv_version: str | None = None
    resolved_schema_uri: str | None = None
    stability: StabilityField = None
    dependencies: list[DependencySpec] = []
