"""TC6xx: stability guarantees between a contract and the attributes it uses."""

from __future__ import annotations

from collections.abc import Iterator

from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.model import Attribute, Metric
from telemetry_contracts.validators.rule import (
    ENTITIES,
    SIGNALS,
    Context,
    Rule,
    contract,
    kind_of,
    subject_of,
)

UNSTABLE = frozenset({"development", "alpha", "beta"})
"""Stabilities that may still change incompatibly (``release_candidate`` may not)."""
REQUIRING_LEVELS = frozenset({"required", "conditionally_required"})


class StableRequiresUnstable(Rule):
    code = "TC601"
    reads = SIGNALS
    name = "stable-requires-unstable-attribute"
    severity = "error"
    summary = "A stable metric, span or event requires no development attribute."
    rationale = (
        "A stable contract promises not to change incompatibly. If it requires an attribute "
        "that is still in development, that attribute may be renamed or removed, and the "
        "stable contract breaks with it."
    )
    bad_example = contract("""
        attributes:
          - key: shop.payment.method
            type: string
            brief: How the order was paid.
            examples: [card]
            stability: development
        metrics:
          - name: shop.order.placed
            instrument: counter
            unit: "{order}"
            brief: Orders placed.
            stability: stable
            attributes:
              - ref: shop.payment.method
                requirement_level: required
    """)
    good_example = contract("""
        attributes:
          - key: shop.payment.method
            type: string
            brief: How the order was paid.
            examples: [card]
            stability: development
        metrics:
          - name: shop.order.placed
            instrument: counter
            unit: "{order}"
            brief: Orders placed.
            stability: stable
            attributes:
              - ref: shop.payment.method
                requirement_level: opt_in
    """)
    fix = "stabilize the attribute first, or make it `recommended`/`opt_in` on this contract"

    def check(self, context: Context) -> Iterator[Finding]:
        for signal in context.own_signals:
            if signal.stability != "stable" or signal.deprecated is not None:
                continue
            for ref in signal.attributes:
                attribute = context.attribute(ref.key)
                if (
                    attribute is not None
                    and attribute.stability in UNSTABLE
                    and ref.requirement_level.level in REQUIRING_LEVELS
                ):
                    yield self.finding(
                        signal, f"stable {kind_of(signal)} `{subject_of(signal)}` requires "
                        f"`{ref.key}`, which is {attribute.stability}", context,
                    )


class StableUsesDeprecated(Rule):
    code = "TC602"
    reads = SIGNALS
    name = "stable-uses-deprecated-attribute"
    severity = "warning"
    summary = "A stable metric, span or event does not use deprecated attributes."
    rationale = (
        "Listing a deprecated attribute on a stable contract keeps instrumentations emitting "
        "the old name; reference its replacement instead."
    )
    bad_example = contract("""
        attributes:
          - key: shop.customer
            type: string
            brief: The customer.
            deprecated: {reason: obsoleted}
        metrics:
          - name: shop.order.placed
            instrument: counter
            unit: "{order}"
            brief: Orders placed.
            stability: stable
            attributes:
              - ref: shop.customer
    """)
    good_example = contract("""
        attributes:
          - key: shop.customer
            type: string
            brief: The customer.
            deprecated: {reason: obsoleted}
        metrics:
          - name: shop.order.placed
            instrument: counter
            unit: "{order}"
            brief: Orders placed.
            stability: stable
    """)
    fix = "reference the replacement attribute"

    def check(self, context: Context) -> Iterator[Finding]:
        for signal in context.own_signals:
            if signal.stability != "stable" or signal.deprecated is not None:
                continue
            for ref in signal.attributes:
                attribute = context.attribute(ref.key)
                if attribute is not None and attribute.deprecated is not None:
                    replacement = attribute.deprecated.renamed_to
                    yield self.finding(
                        signal, f"stable {kind_of(signal)} `{subject_of(signal)}` uses "
                        f"deprecated `{ref.key}`", context,
                        hint=f"use `{replacement}`" if replacement else None,
                    )


class StableEntityIdentity(Rule):
    code = "TC603"
    reads = ENTITIES
    name = "stable-entity-unstable-identity"
    severity = "error"
    summary = "A stable entity is identified only by stable attributes."
    rationale = (
        "Identifying attributes decide which telemetry belongs to which entity; if one of them "
        "changes, every stored series and resource is split in two."
    )
    bad_example = contract("""
        attributes:
          - key: shop.store.id
            type: string
            brief: The store's id.
            examples: [s-1]
            stability: development
        entities:
          - type: shop.store
            brief: A store.
            stability: stable
            identity:
              - ref: shop.store.id
    """)
    good_example = contract("""
        attributes:
          - key: shop.store.id
            type: string
            brief: The store's id.
            examples: [s-1]
            stability: stable
        entities:
          - type: shop.store
            brief: A store.
            stability: stable
            identity:
              - ref: shop.store.id
    """)

    def check(self, context: Context) -> Iterator[Finding]:
        for entity in context.own_entities:
            if entity.stability != "stable" or entity.deprecated is not None:
                continue
            for key in entity.identifying:
                attribute = context.attribute(key)
                if attribute is not None and attribute.stability in UNSTABLE:
                    yield self.finding(
                        entity, f"stable entity `{entity.type}` is identified by `{key}`, "
                        f"which is {attribute.stability}", context,
                    )


class DeprecatedStabilityWithoutDeprecation(Rule):
    code = "TC604"
    name = "deprecated-stability-without-reason"
    severity = "warning"
    summary = "`stability: deprecated` comes with a `deprecated:` reason."
    rationale = (
        "The stability level alone says nothing about what to use instead; the `deprecated` "
        "field carries the reason and the replacement that tools act on."
    )
    bad_example = contract("""
        attributes:
          - key: shop.customer
            type: string
            brief: The customer.
            examples: [c-42]
            stability: deprecated
    """)
    good_example = contract("""
        attributes:
          - key: shop.customer
            type: string
            brief: The customer.
            stability: deprecated
            deprecated: {reason: obsoleted, note: No longer recorded.}
    """)
    fix = "add `deprecated:` with `reason` (and `renamed_to` for a rename)"

    def check(self, context: Context) -> Iterator[Finding]:
        items: tuple[Attribute | Metric, ...] = (*context.own_attributes, *context.own_metrics)
        for item in items:
            if item.stability == "deprecated" and item.deprecated is None:
                yield self.finding(
                    item, f"`{subject_of(item)}` has stability `deprecated` but no "
                    "deprecation reason", context,
                )
