"""Syntax of Weaver's own releases and test registries beyond the official models: every format
tag Weaver wrote, refinements that restate a metric's instrument and unit or a span's kind, or
leave out an attribute (``unref``), plain scalars typed as YAML 1.2 types them, and the keys of
a newer minor syntax skipped with a warning, as Weaver skips them."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.resolution.yaml_source import parse_yaml
from telemetry_contracts.schemas.findings import ContractError
from tests.resolution.test_release_syntax import ATTRIBUTES, resolve
from tests.resolution.test_resolver import write_files

BASE = """\
file_format: definition/2
metrics:
  - name: shop.orders
    instrument: counter
    unit: "{order}"
    brief: Orders.
    stability: development
    attributes:
      - ref: shop.id
      - ref: shop.region
spans:
  - type: shop.checkout
    kind: server
    brief: Checkout.
    stability: development
    attributes:
      - ref: shop.id
"""


@pytest.mark.parametrize(("tag", "syntax"), [
    ("2.0.0/definition", 2),  # Weaver's first v2 tag
    ("definition/2.0.0", 2),  # as Weaver's v2 syntax document wrote it
    ("definition/2.1", 2),
    ("1.0.0", 1),  # Weaver's first v1 tag
    ("definition/1.0", 1),
])
def test_every_format_tag_weaver_wrote_loads(tmp_path: Path, tag: str, syntax: int) -> None:
    body = ("attributes:\n  - key: shop.note\n    type: string\n    brief: A note.\n"
            "    stability: development\n    examples: [n]\n") if syntax == 2 else (
        "groups:\n  - id: registry.note\n    type: attribute_group\n    brief: Notes.\n"
        "    attributes:\n      - id: shop.note\n        type: string\n        brief: A note.\n"
        "        stability: development\n        examples: [n]\n")
    snapshot = resolve(tmp_path, f'file_format: "{tag}"\n{body}')
    assert "shop.note" in {attribute.key for attribute in snapshot.attributes}


def test_a_format_tag_no_release_wrote_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContractError) as caught:
        resolve(tmp_path, 'file_format: "definition/3"\nattributes: []\n')
    assert caught.value.finding.code == "TC102"
    assert caught.value.finding.location.line == 1


def test_a_refinement_may_restate_its_signal_s_instrument_unit_and_kind(tmp_path: Path) -> None:
    snapshot = resolve(tmp_path, BASE + """\
metric_refinements:
  - id: shop.orders.regional
    ref: shop.orders
    instrument: counter
    unit: "{order}"
    brief: Orders, per region.
    attributes:
      - ref: shop.tier
span_refinements:
  - id: shop.checkout.eu
    ref: shop.checkout
    kind: server
    brief: Checkout in Europe.
    attributes:
      - ref: shop.region
""")
    orders = next(metric for metric in snapshot.metrics if metric.name == "shop.orders")
    assert (orders.unit, [ref.key for ref in orders.attributes]) == (
        "{order}", ["shop.id", "shop.region", "shop.tier"])
    checkout = next(span for span in snapshot.spans if span.type == "shop.checkout")
    assert [ref.key for ref in checkout.attributes] == ["shop.id", "shop.region"]


@pytest.mark.parametrize(("refinement", "said", "had"), [
    ("metric_refinements:\n  - id: shop.orders.ms\n    ref: shop.orders\n    unit: ms\n",
     "unit `ms`", "`{order}`"),
    ("metric_refinements:\n  - id: shop.orders.gauge\n    ref: shop.orders\n"
     "    instrument: gauge\n", "instrument `gauge`", "`counter`"),
    ("span_refinements:\n  - id: shop.checkout.client\n    ref: shop.checkout\n"
     "    kind: client\n", "kind `client`", "`server`"),
])
def test_a_refinement_that_changes_what_its_signal_is_is_refused(
    tmp_path: Path, refinement: str, said: str, had: str
) -> None:
    # the snapshot has one unit and one instrument per metric name, one kind per span
    with pytest.raises(ContractError) as caught:
        resolve(tmp_path, BASE + refinement)
    finding = caught.value.finding
    assert finding.code == "TC104"
    assert said in finding.message and f"where it has {had}" in finding.message
    assert finding.location.file.endswith("case.yaml") and finding.location.line == 21


def test_unref_leaves_an_attribute_out_of_a_refinement_only(tmp_path: Path) -> None:
    refinement = """\
metric_refinements:
  - id: shop.orders.global
    ref: shop.orders
    brief: Orders, everywhere.
    attributes:
      - unref: shop.region
      - ref: shop.tier
"""
    snapshot = resolve(tmp_path, BASE + refinement)
    orders = next(metric for metric in snapshot.metrics if metric.name == "shop.orders")
    # the metric keeps the attributes of all its variants: the base's region stays
    assert [ref.key for ref in orders.attributes] == ["shop.id", "shop.region", "shop.tier"]
    with pytest.raises(ContractError) as unknown:
        resolve(tmp_path, BASE + refinement.replace("unref: shop.region", "unref: shop.tier"))
    assert unknown.value.finding.code == "TC103"
    assert "`shop.tier`, which metric `shop.orders` does not have" in unknown.value.finding.message
    unref_on_a_base = BASE.replace("      - ref: shop.region\n", "      - unref: shop.region\n")
    with pytest.raises(ContractError) as on_a_base:
        resolve(tmp_path, unref_on_a_base)
    assert on_a_base.value.finding.code == "TC102"
    assert on_a_base.value.finding.location.line == 10


def test_plain_scalars_are_typed_as_yaml_1_2_types_them() -> None:
    document = parse_yaml(
        b"values: [yes, no, on, off, y, true, FALSE, ~, null, 010, 0o17, 0x1f, 1_000, 1:30,\n"
        b"         1.5, 1e3, .5, -.inf, .nan, +7, 2024-01-01, '07', -x]\nempty:\n", "x.yaml")
    values = document["values"]
    assert values[:19] == ["yes", "no", "on", "off", "y", True, False, None, None, 10, 15, 31,
                           "1_000", "1:30", 1.5, 1000.0, 0.5, -math.inf, values[18]]
    assert math.isnan(values[18])
    assert values[19:] == [7, "2024-01-01", "07", "-x"]
    assert document["empty"] is None


def test_an_enum_of_on_and_off_keeps_its_words(tmp_path: Path) -> None:
    snapshot = resolve(tmp_path, """\
file_format: definition/2
attributes:
  - key: shop.feature.state
    type:
      members:
        - id: on
          value: on
          brief: Enabled.
          stability: development
        - id: off
          value: off
          brief: Disabled.
          stability: development
    brief: A feature's state.
    stability: development
""")
    state = next(a for a in snapshot.attributes if a.key == "shop.feature.state")
    assert [member.value for member in state.members] == ["on", "off"]
    assert state.value_type == "string"


NEWER = """\
file_format: definition/2.1
spans:
  - type: shop.checkout
    kind: server
    brief: Checkout.
    stability: development
    links:
      - ref: shop.cart
    attributes:
      - ref: shop.id
        sampled_by_default: true
"""


def test_keys_of_a_newer_minor_syntax_are_skipped_and_reported(tmp_path: Path) -> None:
    write_files(tmp_path, {"attributes.yaml": ATTRIBUTES, "case.yaml": NEWER})
    loaded = load_registry(tmp_path)
    checkout = next(span for span in loaded.snapshot.spans if span.type == "shop.checkout")
    assert [ref.key for ref in checkout.attributes] == ["shop.id"]
    skipped = [finding for document in loaded.documents for finding in document.skipped]
    assert [(f.code, f.severity, f.location.line, f.message.split("`")[1]) for f in skipped] == [
        ("TC111", "warning", 8, "spans.0.links"),
        ("TC111", "warning", 11, "spans.0.attributes.0.sampled_by_default"),
    ]
    assert "`definition/2.1` is newer than the syntax this release reads" in skipped[0].message


@pytest.mark.parametrize("tag", ["definition/2", "definition/2.0", "definition/2.0.0"])
def test_an_unknown_key_of_a_known_syntax_is_still_an_error(tmp_path: Path, tag: str) -> None:
    with pytest.raises(ContractError) as caught:
        resolve(tmp_path, NEWER.replace("definition/2.1", tag))
    assert caught.value.finding.code == "TC102"
    assert caught.value.finding.location.line == 11  # the deepest of the two


def test_a_newer_syntax_s_other_errors_still_stop_it(tmp_path: Path) -> None:
    with pytest.raises(ContractError) as caught:
        resolve(tmp_path, NEWER.replace("kind: server", "kind: [server]"))
    assert caught.value.finding.code == "TC102"
    assert "spans.0.kind" in caught.value.finding.message


def test_a_span_name_given_as_templates_loads(tmp_path: Path) -> None:
    snapshot = resolve(tmp_path, BASE.replace("    kind: server\n", (
        "    kind: server\n    name:\n      templates:\n"
        "        - \"{shop.region} checkout {shop.id}\"\n        - checkout\n"), 1))
    assert any(span.type == "shop.checkout" for span in snapshot.spans)
    with pytest.raises(ContractError) as caught:
        resolve(tmp_path, BASE.replace("    kind: server\n", "    kind: server\n    name: {}\n"))
    assert caught.value.finding.code == "TC102"
    assert "spans.0.name" in caught.value.finding.message
