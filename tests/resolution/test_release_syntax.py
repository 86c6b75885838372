"""Keys and tags that the syntax of official releases allowed load, and what they resolve to.

Each fixture is written the way that syntax wrote it: the build-tools syntax of the releases
v1.21.0 to v1.25.0, and Weaver's v1 and ``definition/2`` syntax of the releases after them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.findings import ContractError
from telemetry_contracts.schemas.snapshot import Snapshot
from tests.resolution.test_resolver import write_files

ATTRIBUTES = """\
groups:
  - id: registry.shop
    type: attribute_group
    brief: Shop attributes.
    attributes:
      - id: shop.id
        type: string
        brief: Shop id.
        stability: development
        examples: [s-1]
      - id: shop.region
        type: string
        brief: Shop region.
        stability: development
        examples: [eu]
      - id: shop.tier
        type: int
        brief: Shop tier.
        stability: development
"""


def resolve(tmp_path: Path, text: str) -> Snapshot:
    """The snapshot of the shop attributes and ``text`` as one more file."""
    write_files(tmp_path, {"attributes.yaml": ATTRIBUTES, "case.yaml": text})
    return load_registry(tmp_path).snapshot


def test_nested_any_of_constraint_loads(tmp_path: Path) -> None:
    # build-tools syntax (releases v1.21.0-v1.25.0): an `any_of` item may be a list of keys
    # that must all be set
    snapshot = resolve(tmp_path, """\
groups:
  - id: shop.checkout
    type: span
    span_kind: server
    brief: Checkout.
    attributes:
      - ref: shop.id
      - ref: shop.region
    constraints:
      - any_of:
          - [shop.id, shop.region]
          - shop.tier
""")
    span = next(span for span in snapshot.spans if span.type == "shop.checkout")
    assert [ref.key for ref in span.attributes] == ["shop.id", "shop.region"]


def test_metric_requirement_level_is_read_and_not_kept(tmp_path: Path) -> None:
    # Weaver's v1 syntax: `metric_requirement_level` on a metric group
    snapshot = resolve(tmp_path, """\
groups:
  - id: metric.shop.orders
    type: metric
    metric_name: shop.orders
    instrument: counter
    unit: "{order}"
    brief: Orders placed.
    stability: development
    metric_requirement_level: opt_in
    attributes:
      - ref: shop.id
""")
    metric = next(metric for metric in snapshot.metrics if metric.name == "shop.orders")
    assert metric.instrument == "counter" and [ref.key for ref in metric.attributes] == ["shop.id"]


def test_metric_requirement_level_keeps_its_vocabulary(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="metric_requirement_level"):
        resolve(tmp_path, """\
groups:
  - id: metric.shop.orders
    type: metric
    metric_name: shop.orders
    instrument: counter
    unit: "{order}"
    brief: Orders placed.
    metric_requirement_level: sometimes
""")


def test_entity_association_expressions_name_their_entities(tmp_path: Path) -> None:
    # Weaver's syntax: an association is an entity name or a nested `one_of` / `all_of`
    snapshot = resolve(tmp_path, """\
file_format: definition/2
metrics:
  - name: shop.orders
    instrument: counter
    unit: "{order}"
    brief: Orders placed.
    stability: development
    entity_associations:
      - all_of:
          - tenant
          - one_of: [host, container]
      - host
""")
    metric = next(metric for metric in snapshot.metrics if metric.name == "shop.orders")
    assert metric.entity_associations == ("tenant", "host", "container")


def test_an_entity_association_has_one_operator(tmp_path: Path) -> None:
    with pytest.raises(ContractError) as caught:
        resolve(tmp_path, """\
file_format: definition/2
metrics:
  - name: shop.orders
    instrument: counter
    unit: "{order}"
    brief: Orders placed.
    entity_associations:
      - one_of: [host]
        all_of: [tenant]
""")
    finding = caught.value.finding
    assert "exactly one of `one_of` or `all_of`" in finding.message
    assert finding.location.file.endswith("case.yaml") and finding.location.line == 8


def test_imports_of_every_signal_kind_load(tmp_path: Path) -> None:
    # Weaver's syntax: `spans` and `attribute_groups` imports; its first syntax wrote one list
    resolve(tmp_path, """\
file_format: definition/2
imports:
  metrics: [http.*]
  spans: [http.client]
  attribute_groups: [client.*]
""")
    (tmp_path / "case.yaml").write_text("imports: [metric.*, entity.host]\ngroups: []\n")
    assert load_registry(tmp_path).snapshot.attributes


@pytest.mark.parametrize(
    ("deprecated", "reason", "renamed_to"),
    [
        # Weaver's `definition/2` schema: the legacy text kept under `reason: unspecified`
        ("{reason: unspecified, note: 'Replaced by `shop.id`.'}", "renamed", "shop.id"),
        ("{reason: unspecified, note: Split in two.}", "uncategorized", None),
        # Weaver's first structured form: `reason: deprecated`, and before it `action`
        ("{reason: deprecated, note: Gone.}", "uncategorized", None),
        ("{action: renamed, new_name: shop.id}", "renamed", "shop.id"),
        ("{action: deprecated}", "uncategorized", None),
    ],
)
def test_earlier_structured_deprecations_resolve(
    tmp_path: Path, deprecated: str, reason: str, renamed_to: str | None
) -> None:
    snapshot = resolve(tmp_path, f"""\
file_format: definition/2
attributes:
  - key: shop.legacy_id
    type: string
    brief: Old shop id.
    stability: development
    deprecated: {deprecated}
""")
    attribute = next(a for a in snapshot.attributes if a.key == "shop.legacy_id")
    assert attribute.deprecated is not None
    assert (attribute.deprecated.reason, attribute.deprecated.renamed_to) == (reason, renamed_to)


def test_an_unreadable_deprecation_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ContractError) as caught:
        resolve(tmp_path, """\
file_format: definition/2
attributes:
  - key: shop.legacy_id
    type: string
    brief: Old shop id.
    deprecated: {reason: renamd, renamed_to: shop.id}
""")
    finding = caught.value.finding
    assert finding.code == "TC102" and "reason" in finding.message
    assert finding.location.file.endswith("case.yaml") and finding.location.line == 6


def test_attribute_refs_refine_stability_and_deprecation(tmp_path: Path) -> None:
    # Weaver's `definition/2` syntax: a signal's attribute ref may narrow `stability` or
    # deprecate the attribute for that signal; the snapshot keeps both on the attribute
    snapshot = resolve(tmp_path, """\
file_format: definition/2
spans:
  - type: shop.checkout
    kind: server
    name: {note: checkout}
    brief: Checkout.
    stability: development
    attributes:
      - ref: shop.id
        requirement_level: required
        stability: development
      - ref: shop.region
        deprecated: {reason: obsoleted, note: Regions are gone.}
""")
    span = next(span for span in snapshot.spans if span.type == "shop.checkout")
    assert [ref.key for ref in span.attributes] == ["shop.id", "shop.region"]
    assert span.attributes[0].requirement_level.level == "required"
    region = next(a for a in snapshot.attributes if a.key == "shop.region")
    assert region.deprecated is None


def test_signal_requirement_levels_and_event_associations_load(tmp_path: Path) -> None:
    # Weaver's `definition/2` syntax: events and entities carry a signal requirement level,
    # events carry entity associations
    snapshot = resolve(tmp_path, """\
file_format: definition/2
events:
  - name: shop.opened
    brief: A shop opened.
    stability: development
    requirement_level: opt_in
    entity_associations: [shop]
    attributes:
      - ref: shop.region
entities:
  - type: shop
    brief: A shop.
    stability: development
    requirement_level: recommended
    identity:
      - ref: shop.id
""")
    event = next(event for event in snapshot.events if event.name == "shop.opened")
    assert [ref.key for ref in event.attributes] == ["shop.region"]
    assert next(e for e in snapshot.entities if e.type == "shop").identifying == ("shop.id",)


def test_entity_refinements_add_descriptive_attributes(tmp_path: Path) -> None:
    # Weaver's `definition/2` syntax: `entity_refinements` describe an entity further
    snapshot = resolve(tmp_path, """\
file_format: definition/2
entities:
  - type: shop
    brief: A shop.
    stability: development
    identity:
      - ref: shop.id
    description:
      - ref: shop.region
entity_refinements:
  - id: entity.shop.tiered
    ref: shop
    brief: A shop with a tier.
    description:
      - ref: shop.tier
        requirement_level: opt_in
""")
    entity = next(entity for entity in snapshot.entities if entity.type == "shop")
    assert entity.identifying == ("shop.id",)
    assert entity.descriptive == ("shop.region", "shop.tier")


def test_refinements_carry_associations_and_span_names(tmp_path: Path) -> None:
    # Weaver's `definition/2` syntax: refinements may restate entity associations, and a span
    # refinement may restate how the span is named
    snapshot = resolve(tmp_path, """\
file_format: definition/2
metrics:
  - name: shop.orders
    instrument: counter
    unit: "{order}"
    brief: Orders placed.
    stability: development
    entity_associations: [shop]
spans:
  - type: shop.checkout
    kind: server
    name: {note: checkout}
    brief: Checkout.
    stability: development
metric_refinements:
  - id: metric.shop.orders.regional
    ref: shop.orders
    entity_associations: [host]
    attributes:
      - ref: shop.region
span_refinements:
  - id: span.shop.checkout.regional
    ref: shop.checkout
    name: {note: "checkout {shop.region}"}
    entity_associations: [host]
    attributes:
      - ref: shop.region
""")
    metric = next(metric for metric in snapshot.metrics if metric.name == "shop.orders")
    assert metric.entity_associations == ("shop",)
    assert [ref.key for ref in metric.attributes] == ["shop.region"]
    span = next(span for span in snapshot.spans if span.type == "shop.checkout")
    assert [ref.key for ref in span.attributes] == ["shop.region"]


def test_a_name_is_not_a_key_of_a_metric_refinement(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match=re.escape("`metric_refinements.0.name`")):
        resolve(tmp_path, """\
file_format: definition/2
metric_refinements:
  - id: metric.shop.orders.regional
    ref: shop.orders
    name: {note: orders}
""")


def test_an_enum_member_without_value_is_its_id(tmp_path: Path) -> None:
    # Weaver's `definition/2` syntax: a member's `value` defaults to its `id`
    snapshot = resolve(tmp_path, """\
file_format: definition/2
attributes:
  - key: shop.state
    brief: Shop state.
    stability: development
    type:
      members:
        - id: open
          stability: development
        - id: closed
          value: shut
          stability: development
""")
    state = next(a for a in snapshot.attributes if a.key == "shop.state")
    assert [(member.id, member.value) for member in state.members] == [
        ("open", "open"), ("closed", "shut")
    ]


@pytest.mark.parametrize(
    "header",
    [
        'version: "2"',  # Weaver's first `definition/2` tag
        "version: 2",
        "file_format: definition/2.0",  # Weaver's later form with a minor version
    ],
)
def test_v2_files_tagged_the_earlier_and_later_way_load(tmp_path: Path, header: str) -> None:
    snapshot = resolve(tmp_path, f"""\
{header}
attributes:
  - key: shop.owner
    type: string
    brief: Shop owner.
    stability: development
""")
    assert "shop.owner" in {attribute.key for attribute in snapshot.attributes}


def test_v1_files_tagged_version_1_load(tmp_path: Path) -> None:
    # Weaver's first tag of the v1 syntax
    snapshot = resolve(tmp_path, """\
version: "1"
groups:
  - id: registry.shop.extra
    type: attribute_group
    brief: More shop attributes.
    attributes:
      - id: shop.owner
        type: string
        brief: Shop owner.
        stability: development
""")
    assert "shop.owner" in {attribute.key for attribute in snapshot.attributes}


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ('version: "3"', "unsupported version `3` (expected 1 or 2)"),
        ("file_format: definition/3", "unsupported file_format `definition/3`"),
    ],
)
def test_an_unknown_syntax_tag_is_refused_where_written(
    tmp_path: Path, header: str, message: str
) -> None:
    with pytest.raises(ContractError) as caught:
        resolve(tmp_path, f"# a comment\n{header}\nattributes: []\n")
    finding = caught.value.finding
    assert message in finding.message
    assert finding.location.file.endswith("case.yaml") and finding.location.line == 2


@pytest.mark.parametrize(
    ("text", "where", "line"),
    [
        # `displayname` for `display_name`: no syntax ever had it
        ("groups:\n  - id: registry.x\n    type: attribute_group\n    brief: x\n"
         "    displayname: X\n    attributes: [{ref: shop.id}]\n", "groups.0.displayname", 5),
        # `stabilty` on a v2 attribute ref
        ("file_format: definition/2\nevents:\n  - name: shop.closed\n    brief: Closed.\n"
         "    attributes:\n      - ref: shop.id\n        stabilty: stable\n",
         "events.0.attributes.0.stabilty", 7),
        # `identity` belongs to an entity, not to its refinement
        ("file_format: definition/2\nentity_refinements:\n  - id: entity.shop.more\n"
         "    ref: shop\n    identity: [{ref: shop.id}]\n", "entity_refinements.0.identity", 5),
    ],
)
def test_a_key_no_syntax_had_is_refused_with_file_and_line(
    tmp_path: Path, text: str, where: str, line: int
) -> None:
    with pytest.raises(ContractError) as caught:
        resolve(tmp_path, text)
    finding = caught.value.finding
    assert finding.code == "TC102" and f"`{where}`" in finding.message
    assert "Extra inputs are not permitted" in finding.message
    assert finding.location.file.endswith("case.yaml") and finding.location.line == line


VOCABULARY = """\
groups:
  - id: registry.vocabulary
    type: attribute_group
    brief: Every attribute type and stability the official releases wrote.
    attributes:
{attributes}
  - id: span.vocabulary
    type: span
    span_kind: {span_kind}
    brief: A span.
    stability: stable
    attributes:
      - ref: v.string
        requirement_level: required
      - ref: v.int
        requirement_level: {{conditionally_required: when known}}
      - ref: v.double
        requirement_level: recommended
      - ref: v.boolean
        requirement_level: {{recommended: when cheap}}
      - ref: v.string_array
        requirement_level: opt_in
      - ref: v.int_array
        requirement_level: {{opt_in: when asked}}
{metrics}
  - {{id: metric_attributes.vocabulary, type: metric_group, brief: m, attributes: [ref: v.any]}}
  - {{id: scope.vocabulary, type: scope, brief: s, attributes: [ref: v.any]}}
  - {{id: resource.vocabulary, type: resource, brief: r, attributes: [ref: v.any]}}
  - {{id: event.vocabulary, type: event, name: vocabulary, brief: e, attributes: [ref: v.any]}}
"""
TYPES = ["string", "int", "double", "boolean", "string[]", "int[]", "double[]", "boolean[]", "any"]
STABILITIES = [
    "stable", "development", "experimental", "alpha", "beta", "release_candidate", "deprecated"
]


@pytest.mark.parametrize("span_kind", ["client", "server", "producer", "consumer", "internal"])
def test_the_vocabularies_of_official_releases_load(tmp_path: Path, span_kind: str) -> None:
    # types: `any` (v1.26.0 on) and `template[...]` of each (v1.21.0 on); stabilities: build-tools'
    # `experimental` and `deprecated`, Weaver's `development`, `alpha`, `beta`, `release_candidate`
    lines = []
    for index, type_name in enumerate(TYPES):
        key = type_name.replace("[]", "_array")
        stability = STABILITIES[index % len(STABILITIES)]
        for prefix, written in (("v", type_name), ("v.template", f"template[{type_name}]")):
            lines.append(f"      - {{id: {prefix}.{key}, type: '{written}', brief: t, "
                         f"stability: {stability}}}")
    metrics = "\n".join(
        f"  - {{id: metric.v.{instrument}, type: metric, metric_name: v.{instrument}, "
        f"instrument: {instrument}, unit: '1', brief: m, stability: stable}}"
        for instrument in ("counter", "updowncounter", "histogram", "gauge")
    )
    snapshot = resolve(tmp_path, VOCABULARY.format(
        attributes="\n".join(lines), span_kind=span_kind, metrics=metrics
    ))
    attributes = {attribute.key: attribute for attribute in snapshot.attributes}
    assert attributes["v.template.string_array"].value_type == "string[]"
    assert attributes["v.template.any"].is_template
    assert {attributes[f"v.{t.replace('[]', '_array')}"].stability for t in TYPES} == (
        set(STABILITIES) - {"experimental"}
    )
    span = next(span for span in snapshot.spans if span.type == "vocabulary")
    assert span.kind == span_kind
    assert [(ref.requirement_level.level, ref.requirement_level.condition)
            for ref in span.attributes] == [
        ("required", None), ("conditionally_required", "when known"), ("recommended", None),
        ("recommended", "when cheap"), ("opt_in", None), ("opt_in", "when asked"),
    ]
    instruments = {m.name: m.instrument for m in snapshot.metrics if m.name.startswith("v.")}
    assert instruments == {f"v.{i}": i for i in ("counter", "updowncounter", "histogram", "gauge")}
    assert {"vocabulary", "resource.vocabulary"} <= (
        {event.name for event in snapshot.events} | {entity.type for entity in snapshot.entities}
    )


def test_a_manifest_tagged_as_a_definition_manifest_loads(tmp_path: Path) -> None:
    # Weaver's later manifest tag; the v1.44.0 manifest has none and is read the same way
    write_files(tmp_path, {"manifest.yaml": (
        "file_format: definition_manifest/2.0\n"
        "schema_url: https://example.com/schemas/shop/2.3.0\n"
        "description: Shop conventions.\nstability: development\n"
    )})
    snapshot = resolve(tmp_path, "groups: []\n")
    assert (snapshot.version, snapshot.schema_url) == (
        "2.3.0", "https://example.com/schemas/shop/2.3.0"
    )


def test_a_span_name_written_as_text_loads(tmp_path: Path) -> None:
    # Weaver's first `definition/2` syntax: `name` is the pattern itself, later `{note: ...}`
    snapshot = resolve(tmp_path, """\
version: "2"
spans:
  - type: shop.checkout
    kind: server
    name: "checkout {shop.region}"
    brief: Checkout.
    stability: development
    attributes:
      - ref: shop.region
        sampling_relevant: true
""")
    span = next(span for span in snapshot.spans if span.type == "shop.checkout")
    assert (span.kind, [ref.key for ref in span.attributes]) == ("server", ["shop.region"])
