"""TC4xx: attribute types, enum members, examples, references and briefs."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.model import Attribute, Entity, Metric
from telemetry_contracts.validators.rule import (
    ATTRIBUTES,
    ENTITIES,
    SIGNALS,
    Context,
    Rule,
    contract,
    subject_of,
)

MEMBER_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*)*$")
TEXT_TYPES = frozenset({"string", "string[]"})


def live_attributes(context: Context) -> Iterator[Attribute]:
    """This registry's attributes that are not deprecated."""
    return (a for a in context.own_attributes if a.deprecated is None)


def scalar_matches(value: Any, type_name: str) -> bool:
    """True when ``value`` is a valid value of the scalar type ``type_name``."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "double":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True


def example_values(examples: Any, type_name: str) -> list[Any]:
    """The individual example values: one per list item, or one array for array types."""
    if examples is None:
        return []
    items = list(examples) if isinstance(examples, list | tuple) else [examples]
    if type_name.endswith("[]") and items and not any(isinstance(i, list) for i in items):
        return [items]
    return items


def mismatched_example(attribute: Attribute) -> Any | None:
    """The first example that is not a value of the attribute's type, else None."""
    type_name = attribute.value_type
    if type_name == "any":
        return None
    for value in example_values(attribute.examples, type_name):
        if type_name.endswith("[]"):
            element = type_name[:-2]
            if not isinstance(value, list) or not all(scalar_matches(v, element) for v in value):
                return value
        elif not scalar_matches(value, type_name):
            return value
    return None


class ExampleType(Rule):
    code = "TC401"
    reads = ATTRIBUTES
    name = "example-type-mismatch"
    severity = "error"
    summary = "Examples are values of the attribute's type."
    rationale = (
        "Examples document what a value looks like and are used to generate test data and "
        "documentation; an `int` attribute whose example is the string `\"200\"` teaches users "
        "to send the wrong type, which the runtime guard then rejects."
    )
    bad_example = contract("""
        attributes:
          - key: shop.order.item_count
            type: int
            brief: Items in the order.
            examples: ["3"]
    """)
    good_example = contract("""
        attributes:
          - key: shop.order.item_count
            type: int
            brief: Items in the order.
            examples: [3]
    """)
    fix = "write the examples as values of the declared type"

    def check(self, context: Context) -> Iterator[Finding]:
        for attribute in live_attributes(context):
            wrong = mismatched_example(attribute)
            if wrong is not None:
                yield self.finding(
                    attribute, f"example {wrong!r} of `{attribute.key}` is not a "
                    f"`{attribute.value_type}`", context,
                )


class EnumMixedTypes(Rule):
    code = "TC402"
    reads = ATTRIBUTES
    name = "enum-mixed-types"
    severity = "error"
    summary = "All members of an enum have values of one type."
    rationale = (
        "An enum's value type is the type of its members; mixing strings and numbers leaves the "
        "attribute without a type, so instrumentations disagree on what to send and queries "
        "on the value miss half of the data."
    )
    bad_example = contract("""
        attributes:
          - key: shop.order.priority
            brief: Order priority.
            type:
              members:
                - {id: low, value: "low"}
                - {id: high, value: 2}
    """)
    good_example = contract("""
        attributes:
          - key: shop.order.priority
            brief: Order priority.
            type:
              members:
                - {id: low, value: "low"}
                - {id: high, value: "high"}
    """)
    fix = "give every member a value of the same type"

    def check(self, context: Context) -> Iterator[Finding]:
        for attribute in live_attributes(context):
            kinds = {_kind(member.value) for member in attribute.members}
            if len(kinds - {"int"} if kinds == {"int", "double"} else kinds) > 1:
                yield self.finding(
                    attribute, f"enum `{attribute.key}` mixes member value types: "
                    f"{', '.join(sorted(kinds))}", context,
                )


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    return "string"


class EnumDuplicate(Rule):
    code = "TC403"
    reads = ATTRIBUTES
    name = "enum-duplicate-member"
    severity = "error"
    summary = "Enum member ids and values are unique."
    rationale = (
        "Two members with one value cannot be told apart in telemetry, and two members with one "
        "id generate clashing constants in code generators."
    )
    bad_example = contract("""
        attributes:
          - key: shop.payment.method
            brief: How the order was paid.
            type:
              members:
                - {id: card, value: card}
                - {id: credit_card, value: card}
    """)
    good_example = contract("""
        attributes:
          - key: shop.payment.method
            brief: How the order was paid.
            type:
              members:
                - {id: card, value: card}
                - {id: invoice, value: invoice}
    """)
    fix = "remove the duplicate, or deprecate it in favour of the other member"

    def check(self, context: Context) -> Iterator[Finding]:
        for attribute in live_attributes(context):
            live = [m for m in attribute.members if m.deprecated is None]
            ids = Counter(m.id for m in live)
            values = Counter(repr(m.value) for m in live)
            duplicates = [f"id `{i}`" for i, n in ids.items() if n > 1] + [
                f"value {v}" for v, n in values.items() if n > 1
            ]
            if duplicates:
                yield self.finding(
                    attribute, f"enum `{attribute.key}` repeats {', '.join(duplicates)}", context
                )


class EnumMemberId(Rule):
    code = "TC404"
    reads = ATTRIBUTES
    name = "enum-member-id-format"
    severity = "warning"
    summary = "Enum member ids are snake_case (dots allowed between parts)."
    rationale = (
        "Member ids become constant names in generated code (`PaymentMethod.CREDIT_CARD`); ids "
        "with hyphens, spaces or capitals produce invalid or inconsistent identifiers."
    )
    bad_example = contract("""
        attributes:
          - key: shop.payment.method
            brief: How the order was paid.
            type:
              members:
                - {id: Credit-Card, value: credit_card}
    """)
    good_example = contract("""
        attributes:
          - key: shop.payment.method
            brief: How the order was paid.
            type:
              members:
                - {id: credit_card, value: credit_card}
    """)
    fix = "write the member id in snake_case"

    def check(self, context: Context) -> Iterator[Finding]:
        for attribute in live_attributes(context):
            bad = [m.id for m in attribute.members if not MEMBER_ID.match(m.id)]
            if bad:
                yield self.finding(
                    attribute, f"enum `{attribute.key}` has member id `{bad[0]}` that is not "
                    "snake_case", context,
                )


class EmptyEnum(Rule):
    code = "TC405"
    reads = ATTRIBUTES
    name = "enum-without-members"
    severity = "error"
    summary = "An enum has at least one member."
    rationale = (
        "An enum without members allows no value at all; every value sent would be a "
        "violation. Declare the members, or use a `string` type for free-form values."
    )
    bad_example = contract("""
        attributes:
          - key: shop.payment.method
            brief: How the order was paid.
            type:
              members: []
    """)
    good_example = contract("""
        attributes:
          - key: shop.payment.method
            brief: How the order was paid.
            type:
              members:
                - {id: card, value: card}
    """)

    def check(self, context: Context) -> Iterator[Finding]:
        for attribute in live_attributes(context):
            if attribute.is_enum and not attribute.members:
                yield self.finding(attribute, f"enum `{attribute.key}` has no members", context)


class MissingExamples(Rule):
    code = "TC406"
    reads = ATTRIBUTES
    name = "missing-examples"
    severity = "warning"
    summary = "Free-form string attributes show examples of their values."
    rationale = (
        "A string's type says nothing of its shape (an id, a path, a URL, a host name?); "
        "examples make the expected format and its cardinality clear to instrumenters and "
        "reviewers. Semantic conventions give every string attribute examples."
    )
    bad_example = contract("""
        attributes:
          - key: shop.order.id
            type: string
            brief: The order's identifier.
    """)
    good_example = contract("""
        attributes:
          - key: shop.order.id
            type: string
            brief: The order's identifier.
            examples: ["ord-2024-000123"]
    """)
    fix = "add `examples:` with one to three realistic values"

    def check(self, context: Context) -> Iterator[Finding]:
        for attribute in live_attributes(context):
            if attribute.value_type in TEXT_TYPES and not attribute.is_enum and (
                attribute.examples is None
            ):
                yield self.finding(attribute, f"`{attribute.key}` has no examples", context)


class UnknownReference(Rule):
    code = "TC407"
    reads = SIGNALS | ENTITIES
    name = "unknown-attribute-reference"
    severity = "error"
    summary = "Metrics, spans, events and entities only reference defined attributes."
    rationale = (
        "A reference to an attribute that is not defined cannot be typed, documented or "
        "enforced; it usually is a typo or an attribute that was removed."
    )
    bad_example = contract("""
        metrics:
          - name: shop.order.placed
            instrument: counter
            unit: "{order}"
            brief: Orders placed.
            attributes:
              - ref: shop.payment.method
    """)
    good_example = contract("""
        attributes:
          - key: shop.payment.method
            type: string
            brief: How the order was paid.
            examples: [card]
        metrics:
          - name: shop.order.placed
            instrument: counter
            unit: "{order}"
            brief: Orders placed.
            attributes:
              - ref: shop.payment.method
    """)
    fix = "define the attribute, or correct the key"

    def check(self, context: Context) -> Iterator[Finding]:
        holders: tuple[Any, ...] = (*context.own_signals, *context.own_entities)
        for holder in holders:
            keys = _referenced_keys(holder)
            for key in keys:
                if context.attribute(key) is None:
                    yield self.finding(
                        holder, f"{type(holder).__name__.lower()} `{subject_of(holder)}` "
                        f"references unknown attribute `{key}`", context,
                    )


def _referenced_keys(holder: Any) -> list[str]:
    if isinstance(holder, Entity):
        return [*holder.identifying, *holder.descriptive]
    return [ref.key for ref in holder.attributes]


class MissingBrief(Rule):
    code = "TC408"
    name = "missing-brief"
    severity = "warning"
    summary = "Attributes and metrics carry a brief description."
    rationale = (
        "The brief is what documentation, code completion and the registry's review page show; "
        "a contract without one cannot be reviewed for meaning or reused correctly."
    )
    bad_example = contract("""
        metrics:
          - name: shop.order.placed
            instrument: counter
            unit: "{order}"
    """)
    good_example = contract("""
        metrics:
          - name: shop.order.placed
            instrument: counter
            unit: "{order}"
            brief: Orders placed at checkout.
    """)
    fix = "add a one-sentence `brief`"

    def check(self, context: Context) -> Iterator[Finding]:
        items: tuple[Attribute | Metric, ...] = (*context.own_attributes, *context.own_metrics)
        for item in items:
            if item.deprecated is None and not item.brief.strip():
                yield self.finding(item, f"`{subject_of(item)}` has no brief", context)
