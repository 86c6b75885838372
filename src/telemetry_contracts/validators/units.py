"""TC3xx: metric units (UCUM, base units, annotations) and their fit with name and instrument."""

from __future__ import annotations

from collections.abc import Iterator

from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.model import Metric
from telemetry_contracts.validators.rule import METRICS, Context, Rule, contract
from telemetry_contracts.validators.ucum import (
    ParsedUnit,
    UnitSyntaxError,
    UnknownAtomError,
    parse_unit,
)

TIME_ATOMS = frozenset({"s", "min", "h", "d", "wk", "mo", "a"})
DURATION_SUFFIXES = (".duration", ".time", ".latency", "_time", "_duration", "_latency")
RATIO_SUFFIXES = (".utilization", ".ratio")


def live_metrics(context: Context) -> Iterator[Metric]:
    """This registry's metrics that are not deprecated (their units can no longer change)."""
    return (m for m in context.own_metrics if m.deprecated is None)


def parsed(metric: Metric) -> ParsedUnit | None:
    """The metric's parsed unit; None when it does not parse (TC301/TC302 say why)."""
    try:
        return parse_unit(metric.unit)
    except (UnitSyntaxError, UnknownAtomError):
        return None


def is_duration(metric: Metric) -> bool:
    return metric.name.endswith(DURATION_SUFFIXES)


class UnitSyntax(Rule):
    code = "TC301"
    reads = METRICS
    name = "unit-syntax"
    severity = "error"
    summary = "A metric unit is a well-formed UCUM expression."
    rationale = (
        "Units are UCUM case-sensitive expressions (`By`, `s`, `By/s`, `{request}`, `1`). "
        "Backends parse them to convert and label values; a malformed unit such as `req / s` "
        "or an unclosed `{` is dropped or shown verbatim."
    )
    bad_example = contract("""
        metrics:
          - name: shop.checkout.rate
            instrument: gauge
            unit: "{checkout / s"
            brief: What it measures.
    """)
    good_example = contract("""
        metrics:
          - name: shop.checkout.rate
            instrument: gauge
            unit: "{checkout}/s"
            brief: What it measures.
    """)
    fix = "write a UCUM unit: symbols joined by `.` and `/`, counts as `{thing}`, `1` for none"

    def check(self, context: Context) -> Iterator[Finding]:
        for metric in live_metrics(context):
            try:
                parse_unit(metric.unit)
            except UnitSyntaxError as error:
                yield self.finding(
                    metric, f"metric `{metric.name}` has an invalid unit `{metric.unit}`: "
                    f"{error}", context,
                )
            except UnknownAtomError:
                pass


class UnknownUnit(Rule):
    code = "TC302"
    reads = METRICS
    name = "unit-not-ucum"
    severity = "warning"
    summary = "A metric unit uses symbols that UCUM defines."
    rationale = (
        "Only UCUM symbols convert between backends: `sec`, `bytes` or `rpm` are not UCUM, so "
        "tools cannot scale or label them. Write the UCUM symbol, or an annotation "
        "(`{revolution}/min`) for what UCUM does not name."
    )
    bad_example = contract("""
        metrics:
          - name: shop.cache.size
            instrument: updowncounter
            unit: bytes
            brief: What it measures.
    """)
    good_example = contract("""
        metrics:
          - name: shop.cache.size
            instrument: updowncounter
            unit: By
            brief: What it measures.
    """)
    fix = "use a UCUM symbol such as `s`, `By`, `Hz`, `Cel`, or a `{annotation}`"

    def check(self, context: Context) -> Iterator[Finding]:
        for metric in live_metrics(context):
            try:
                parse_unit(metric.unit)
            except UnknownAtomError as error:
                yield self.finding(
                    metric, f"metric `{metric.name}` has unit `{metric.unit}`: {error}", context
                )
            except UnitSyntaxError:
                pass


class NonBaseUnit(Rule):
    code = "TC303"
    reads = METRICS
    name = "non-base-unit"
    severity = "warning"
    summary = "Metrics use base units: `s` not `ms`, `By` not `MiBy`."
    rationale = (
        "Semantic conventions record values in base units so that metrics from different "
        "services aggregate without conversion; `ms` next to `s` for the same quantity makes "
        "every dashboard and alert pick one and silently misread the other."
    )
    bad_example = contract("""
        metrics:
          - name: shop.cache.size
            instrument: updowncounter
            unit: KiBy
            brief: What it measures.
    """)
    good_example = contract("""
        metrics:
          - name: shop.cache.size
            instrument: updowncounter
            unit: By
            brief: What it measures.
    """)
    fix = "record the value in the base unit and convert at the call site"

    def check(self, context: Context) -> Iterator[Finding]:
        for metric in live_metrics(context):
            unit = parsed(metric)
            for simple in unit.units if unit else ():
                base = "s" if simple.atom in TIME_ATOMS else simple.atom
                if simple.prefix or base != simple.atom:
                    yield self.finding(
                        metric, f"metric `{metric.name}` uses `{simple.prefix}{simple.atom}`, "
                        f"not the base unit `{base}`", context,
                        hint=f"use `{base}` and record values in it",
                    )
                    break


class DurationUnit(Rule):
    code = "TC304"
    reads = METRICS
    name = "duration-not-seconds"
    severity = "error"
    summary = "Durations and times are measured in seconds (`s`)."
    rationale = (
        "A metric named `.duration`, `.time` or `.latency` measures time; semantic conventions "
        "fix its unit to `s` so histograms from every service share bucket boundaries and "
        "dashboards need no per-service conversion."
    )
    bad_example = contract("""
        metrics:
          - name: shop.payment.duration
            instrument: histogram
            unit: "{millisecond}"
            brief: What it measures.
    """)
    good_example = contract("""
        metrics:
          - name: shop.payment.duration
            instrument: histogram
            unit: s
            brief: What it measures.
    """)
    fix = "set `unit: s` and record seconds as a float"

    def check(self, context: Context) -> Iterator[Finding]:
        for metric in live_metrics(context):
            if is_duration(metric) and metric.unit != "s":
                yield self.finding(
                    metric, f"metric `{metric.name}` measures time but its unit is "
                    f"`{metric.unit}`", context,
                )


class CountUnit(Rule):
    code = "TC305"
    reads = METRICS
    name = "count-unit-not-annotation"
    severity = "warning"
    summary = "Counts of things use an annotation unit such as `{request}`."
    rationale = (
        "Semantic conventions write counts of things as a curly-brace annotation naming the "
        "thing (`{request}`, `{packet}`); `1` means a dimensionless ratio, so a count in `1` "
        "reads as a fraction and loses what it counts."
    )
    bad_example = contract("""
        metrics:
          - name: shop.order.count
            instrument: updowncounter
            unit: "1"
            brief: What it measures.
    """)
    good_example = contract("""
        metrics:
          - name: shop.order.count
            instrument: updowncounter
            unit: "{order}"
            brief: What it measures.
    """)
    fix = "name the counted thing in the unit: `{order}`"

    def check(self, context: Context) -> Iterator[Finding]:
        for metric in live_metrics(context):
            unit = parsed(metric)
            if metric.name.endswith(".count") and unit is not None and not unit.annotations:
                yield self.finding(
                    metric, f"metric `{metric.name}` counts things but its unit is "
                    f"`{metric.unit}`", context,
                )


class RatioUnit(Rule):
    code = "TC306"
    reads = METRICS
    name = "ratio-unit-not-one"
    severity = "warning"
    summary = "Ratios and utilizations use unit `1` with values from 0 to 1."
    rationale = (
        "Semantic conventions record fractions as values between 0 and 1 with unit `1`; a "
        "percentage (`%`) or a `.utilization` in another unit is scaled differently from every "
        "other ratio and breaks comparisons and alert thresholds."
    )
    bad_example = contract("""
        metrics:
          - name: shop.cache.utilization
            instrument: gauge
            unit: "%"
            brief: What it measures.
    """)
    good_example = contract("""
        metrics:
          - name: shop.cache.utilization
            instrument: gauge
            unit: "1"
            brief: What it measures.
    """)
    fix = "set `unit: \"1\"` and record a fraction between 0 and 1"

    def check(self, context: Context) -> Iterator[Finding]:
        for metric in live_metrics(context):
            ratio_name = metric.name.endswith(RATIO_SUFFIXES)
            if metric.unit == "%" or (ratio_name and metric.unit != "1"):
                yield self.finding(
                    metric, f"metric `{metric.name}` is a ratio but its unit is "
                    f"`{metric.unit}`", context,
                )


class DurationInstrument(Rule):
    code = "TC307"
    reads = METRICS
    name = "duration-not-histogram"
    severity = "info"
    summary = "Durations of operations are recorded with a histogram."
    rationale = (
        "A `.duration` metric describes how long operations take; only a histogram keeps the "
        "distribution (percentiles, counts, sums) that latency analysis needs. A gauge keeps "
        "the last value and a counter only a sum."
    )
    bad_example = contract("""
        metrics:
          - name: shop.payment.duration
            instrument: gauge
            unit: s
            brief: What it measures.
    """)
    good_example = contract("""
        metrics:
          - name: shop.payment.duration
            instrument: histogram
            unit: s
            brief: What it measures.
    """)
    fix = "use `instrument: histogram`"

    def check(self, context: Context) -> Iterator[Finding]:
        for metric in live_metrics(context):
            if metric.name.endswith(".duration") and metric.instrument != "histogram":
                yield self.finding(
                    metric, f"metric `{metric.name}` is a duration recorded as a "
                    f"{metric.instrument}", context,
                )
