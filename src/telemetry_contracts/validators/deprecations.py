"""TC5xx: deprecations, renames and sunset dates."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.model import Attribute, Metric
from telemetry_contracts.validators.rule import Context, Rule, contract, subject_of

Renamable = Attribute | Metric


def deprecated_items(context: Context) -> Iterator[tuple[Renamable, Mapping[str, Any]]]:
    """This registry's deprecated attributes and metrics, each with the index its rename
    target must be found in (attributes rename to attributes, metrics to metrics)."""
    for attribute in context.own_attributes:
        if attribute.deprecated is not None:
            yield attribute, context.attributes
    for metric in context.own_metrics:
        if metric.deprecated is not None:
            yield metric, context.metrics


def renames(context: Context) -> Iterator[tuple[Renamable, Renamable | None]]:
    """Each deprecated item with a ``renamed_to``, and the item that name resolves to."""
    for item, index in deprecated_items(context):
        target = item.deprecated.renamed_to if item.deprecated else None
        if target and isinstance(item, Attribute):
            yield item, context.attribute(target)
        elif target:
            yield item, index.get(target)


def final_name(item: Renamable, index: Mapping[str, Any]) -> str | None:
    """Where a chain of renames starting at ``item`` ends; None on a cycle or a dead end."""
    seen = {subject_of(item)}
    current = item
    while current.deprecated is not None and current.deprecated.renamed_to:
        name = current.deprecated.renamed_to
        if name in seen or name not in index:
            return None
        seen.add(name)
        current = index[name]
    return subject_of(current)


class RenamedWithoutTarget(Rule):
    code = "TC501"
    name = "renamed-without-target"
    severity = "error"
    summary = "A deprecation with reason `renamed` names its replacement."
    rationale = (
        "`reason: renamed` promises a replacement; without `renamed_to` the runtime guard "
        "cannot rename old data, the diff cannot report the rename and the schema file cannot "
        "translate it."
    )
    bad_example = contract("""
        attributes:
          - key: shop.customer
            type: string
            brief: The customer.
            deprecated:
              reason: renamed
    """)
    good_example = contract("""
        attributes:
          - key: shop.customer
            type: string
            brief: The customer.
            deprecated:
              reason: renamed
              renamed_to: shop.customer.id
          - key: shop.customer.id
            type: string
            brief: The customer's id.
            examples: [c-42]
    """)
    fix = "add `renamed_to`, or use `reason: obsoleted` when nothing replaces it"

    def check(self, context: Context) -> Iterator[Finding]:
        for item, _ in deprecated_items(context):
            deprecation = item.deprecated
            if deprecation and deprecation.reason == "renamed" and not deprecation.renamed_to:
                yield self.finding(
                    item, f"`{subject_of(item)}` is deprecated as renamed but names no "
                    "replacement", context,
                )


class RenameTargetMissing(Rule):
    code = "TC502"
    name = "rename-target-missing"
    severity = "error"
    summary = "A deprecation's `renamed_to` names a defined attribute or metric."
    rationale = (
        "Users follow `renamed_to` to migrate, and the runtime guard rewrites old names to it; "
        "a target that does not exist sends them and their data nowhere."
    )
    bad_example = contract("""
        attributes:
          - key: shop.customer
            type: string
            brief: The customer.
            deprecated:
              reason: renamed
              renamed_to: shop.client.id
    """)
    good_example = RenamedWithoutTarget.good_example
    fix = "define the replacement, or correct `renamed_to`"

    def check(self, context: Context) -> Iterator[Finding]:
        for item, target in renames(context):
            if target is None:
                kind = "attribute" if isinstance(item, Attribute) else "metric"
                name = item.deprecated.renamed_to if item.deprecated else None
                yield self.finding(
                    item, f"`{subject_of(item)}` is renamed to `{name}`, which is not a "
                    f"defined {kind}", context,
                )


class RenameTargetDeprecated(Rule):
    code = "TC503"
    name = "rename-target-deprecated"
    severity = "warning"
    summary = "A rename points at the final name, not at another deprecated one."
    rationale = (
        "A chain `a -> b -> c` makes users migrate twice and the runtime guard rename to a name "
        "that is itself deprecated; pointing straight at `c` gets everyone there in one step."
    )
    bad_example = contract("""
        attributes:
          - key: shop.client
            type: string
            brief: The customer.
            deprecated: {reason: renamed, renamed_to: shop.customer}
          - key: shop.customer
            type: string
            brief: The customer.
            deprecated: {reason: renamed, renamed_to: shop.customer.id}
          - key: shop.customer.id
            type: string
            brief: The customer's id.
            examples: [c-42]
    """)
    good_example = contract("""
        attributes:
          - key: shop.client
            type: string
            brief: The customer.
            deprecated: {reason: renamed, renamed_to: shop.customer.id}
          - key: shop.customer
            type: string
            brief: The customer.
            deprecated: {reason: renamed, renamed_to: shop.customer.id}
          - key: shop.customer.id
            type: string
            brief: The customer's id.
            examples: [c-42]
    """)

    def check(self, context: Context) -> Iterator[Finding]:
        for item, target in renames(context):
            if target is None or target.deprecated is None:
                continue
            index = context.attributes if isinstance(item, Attribute) else context.metrics
            final = final_name(item, index)
            if final is not None:  # chains into a cycle or nowhere are TC506 and TC502
                yield self.finding(
                    item, f"`{subject_of(item)}` is renamed to `{subject_of(target)}`, which "
                    "is deprecated too", context, hint=f"rename straight to `{final}`",
                )


class RenameChangesType(Rule):
    code = "TC504"
    name = "rename-changes-type"
    severity = "error"
    summary = "An attribute and its rename target have the same value type."
    rationale = (
        "A rename tells the runtime guard and the schema file to carry values over unchanged; "
        "if the target has another type, every renamed value becomes a type violation."
    )
    bad_example = contract("""
        attributes:
          - key: shop.order.size
            type: string
            brief: Items in the order.
            examples: ["3"]
            deprecated: {reason: renamed, renamed_to: shop.order.item_count}
          - key: shop.order.item_count
            type: int
            brief: Items in the order.
    """)
    good_example = contract("""
        attributes:
          - key: shop.order.size
            type: int
            brief: Items in the order.
            deprecated: {reason: renamed, renamed_to: shop.order.item_count}
          - key: shop.order.item_count
            type: int
            brief: Items in the order.
    """)
    fix = "give the new attribute the old type, or deprecate as `obsoleted` instead of renamed"

    def check(self, context: Context) -> Iterator[Finding]:
        for item, target in renames(context):
            if (
                isinstance(item, Attribute)
                and isinstance(target, Attribute)
                and "any" not in (item.value_type, target.value_type)
                and item.value_type != target.value_type
            ):
                name = item.deprecated.renamed_to if item.deprecated else target.key
                yield self.finding(
                    item, f"`{item.key}` ({item.value_type}) is renamed to `{name}` "
                    f"({target.value_type})", context,
                )


class RenameChangesInstrument(Rule):
    code = "TC505"
    name = "rename-changes-instrument"
    severity = "warning"
    summary = "A metric and its rename target share instrument and unit."
    rationale = (
        "Renaming a metric should only change its name: with another instrument or unit, old "
        "and new series cannot be joined or compared, and renaming data points at runtime "
        "produces values in the wrong unit."
    )
    bad_example = contract("""
        metrics:
          - name: shop.queue.length
            instrument: gauge
            unit: "{order}"
            brief: Orders waiting.
            deprecated: {reason: renamed, renamed_to: shop.queue.size}
          - name: shop.queue.size
            instrument: updowncounter
            unit: By
            brief: Orders waiting.
    """)
    good_example = contract("""
        metrics:
          - name: shop.queue.length
            instrument: updowncounter
            unit: "{order}"
            brief: Orders waiting.
            deprecated: {reason: renamed, renamed_to: shop.queue.size}
          - name: shop.queue.size
            instrument: updowncounter
            unit: "{order}"
            brief: Orders waiting.
    """)

    def check(self, context: Context) -> Iterator[Finding]:
        for item, target in renames(context):
            if isinstance(item, Metric) and isinstance(target, Metric):
                changes = [
                    f"{field} `{old}` -> `{new}`"
                    for field, old, new in (
                        ("instrument", item.instrument, target.instrument),
                        ("unit", item.unit, target.unit),
                    )
                    if old != new
                ]
                if changes:
                    yield self.finding(
                        item, f"`{item.name}` is renamed to `{target.name}` with "
                        f"{', '.join(changes)}", context,
                    )


class RenameCycle(Rule):
    code = "TC506"
    name = "rename-cycle"
    severity = "error"
    summary = "Renames form no cycle."
    rationale = (
        "With `a -> b` and `b -> a` there is no current name to migrate to; the runtime guard "
        "would rename back and forth and the schema file cannot be written."
    )
    bad_example = contract("""
        attributes:
          - key: shop.client.id
            type: string
            brief: The customer's id.
            deprecated: {reason: renamed, renamed_to: shop.customer.id}
          - key: shop.customer.id
            type: string
            brief: The customer's id.
            deprecated: {reason: renamed, renamed_to: shop.client.id}
    """)
    good_example = RenamedWithoutTarget.good_example
    fix = "undeprecate the name that is meant to stay"

    def check(self, context: Context) -> Iterator[Finding]:
        for item, index in deprecated_items(context):
            cycle = _cycle_from(item, index)
            if cycle and subject_of(item) == min(cycle):
                yield self.finding(
                    item, "renames form a cycle: " + " -> ".join([*cycle, cycle[0]]), context
                )


def _cycle_from(item: Renamable, index: Mapping[str, Any]) -> list[str] | None:
    """The names of the rename cycle ``item`` is on, in order from it; None when not on one."""
    path = [subject_of(item)]
    current = item
    while current.deprecated is not None and current.deprecated.renamed_to:
        name = current.deprecated.renamed_to
        if name == path[0]:
            return path
        if name in path or name not in index:
            return None
        path.append(name)
        current = index[name]
    return None


class SunsetPassed(Rule):
    code = "TC507"
    name = "sunset-passed"
    severity = "warning"
    summary = "A deprecated contract past its sunset date is removed."
    rationale = (
        "The sunset date is the promise of when a deprecated name goes away; keeping it past "
        "that date lets new code keep using it. Check the deprecation report for remaining "
        "emitters, then remove the definition."
    )
    bad_example = contract("""
        attributes:
          - key: shop.customer
            type: string
            brief: The customer.
            deprecated: {reason: obsoleted}
            annotations: {sunset: 2020-01-31}
    """)
    good_example = contract("""
        attributes:
          - key: shop.customer
            type: string
            brief: The customer.
            deprecated: {reason: obsoleted}
            annotations: {sunset: 2999-01-31}
    """)
    fix = "remove the definition once nothing emits it any more"

    def check(self, context: Context) -> Iterator[Finding]:
        for item, _ in deprecated_items(context):
            sunset = item.governance.sunset
            if sunset is not None and sunset < context.today:
                yield self.finding(
                    item, f"`{subject_of(item)}` passed its sunset date {sunset.isoformat()}",
                    context,
                )


class SunsetWithoutDeprecation(Rule):
    code = "TC508"
    name = "sunset-without-deprecation"
    severity = "warning"
    summary = "Only deprecated contracts have a sunset date."
    rationale = (
        "A sunset date announces removal; on a contract that is not deprecated, users get no "
        "deprecation warning and no replacement before it disappears."
    )
    bad_example = contract("""
        attributes:
          - key: shop.customer
            type: string
            brief: The customer.
            examples: [c-42]
            annotations: {sunset: 2999-01-31}
    """)
    good_example = SunsetPassed.good_example
    fix = "deprecate the contract (with its replacement) or drop the sunset date"

    def check(self, context: Context) -> Iterator[Finding]:
        items: tuple[Renamable, ...] = (*context.own_attributes, *context.own_metrics)
        for item in items:
            if item.governance.sunset is not None and item.deprecated is None:
                yield self.finding(
                    item, f"`{subject_of(item)}` has a sunset date but is not deprecated",
                    context,
                )
