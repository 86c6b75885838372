"""TC2xx: semantic-convention naming of attributes, metrics and events."""

from __future__ import annotations

import re
from collections.abc import Iterator

from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.model import Attribute, Event, Metric
from telemetry_contracts.validators.rule import METRICS, Context, Rule, contract, namespaces_of

SNAKE_CASE_PART = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
NAME_CHARACTERS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
MAX_NAME_LENGTH = 255
"""The longest name a store column, an exporter or a backend is asked to hold."""
RESERVED_NAMESPACES = ("otel",)
UNIT_WORDS = frozenset({
    "second", "seconds", "sec", "secs", "millisecond", "milliseconds", "millis", "ms",
    "microsecond", "microseconds", "us", "nanosecond", "nanoseconds", "ns", "minute", "minutes",
    "hour", "hours", "byte", "bytes", "kb", "mb", "gb", "kib", "mib", "gib", "kilobytes",
    "megabytes", "gigabytes", "percent", "pct", "celsius", "fahrenheit",
})
TYPE_WORDS = frozenset({"total", "counter", "gauge", "histogram", "summary", "updowncounter"})

Named = Attribute | Metric | Event


def named(item: Named) -> str:
    return item.key if isinstance(item, Attribute) else item.name


def own_contracts(context: Context) -> Iterator[Named]:
    """This registry's attributes, metrics and events, deprecated or not."""
    snapshot = context.snapshot
    items: tuple[Named, ...] = (*snapshot.attributes, *snapshot.metrics, *snapshot.events)
    for item in items:
        if item.origin is None:
            yield item


def named_contracts(context: Context) -> Iterator[Named]:
    """:func:`own_contracts` less the deprecated ones (names kept for compatibility cannot be
    changed, so style findings on them help nobody) and those TC209 refuses outright."""
    for item in own_contracts(context):
        if item.deprecated is None and well_formed(named(item)):
            yield item


def well_formed(name: str) -> bool:
    """Whether ``name`` passes TC209: allowed characters and length."""
    return len(name) <= MAX_NAME_LENGTH and NAME_CHARACTERS.fullmatch(name) is not None


def shown(name: str, limit: int = 60) -> str:
    """A name quoted for a message: escapes visible, clipped to ``limit`` characters."""
    text = ascii(name[:limit])
    return f"{text}... ({len(name):,} characters)" if len(name) > limit else text


def last_words(name: str) -> list[str]:
    """The snake_case words of a name's last dotted part: ``request_duration_seconds``."""
    return name.rsplit(".", 1)[-1].split("_")


class NameCharacters(Rule):
    code = "TC209"
    name = "name-characters"
    severity = "error"
    summary = (
        f"Every name, deprecated or not: 1-{MAX_NAME_LENGTH} ASCII letters, digits, `.`, `_`, `-`."
    )
    rationale = (
        "Names travel into databases, exporters, dashboards, web pages and Markdown. An empty "
        "name, a line break, a right-to-left override, HTML or a name of thousands of "
        "characters breaks them or hides what a name really is. Deprecation does not exempt a "
        "name: a deprecated name is still stored, served and exported."
    )
    bad_example = contract("""
        attributes:
          - key: "shop.<img src=x onerror=alert(1)>"
            type: string
            brief: What it holds.
            examples: ["x"]
            deprecated:
              reason: obsoleted
    """)
    good_example = contract("""
        attributes:
          - key: shop.image.source
            type: string
            brief: What it holds.
            examples: ["x"]
            deprecated:
              reason: obsoleted
    """)
    fix = "rename it with letters, digits, `.` and `_` only"

    def check(self, context: Context) -> Iterator[Finding]:
        for item in own_contracts(context):
            name = named(item)
            if not name:
                yield self.finding(item, "the name is empty", context)
            elif len(name) > MAX_NAME_LENGTH:
                yield self.finding(
                    item, f"name {shown(name)} is over {MAX_NAME_LENGTH} characters", context
                )
            elif not NAME_CHARACTERS.fullmatch(name):
                # A name of safe characters fails only by its first one (`_x`, `.x`).
                bad = next((c for c in name if not NAME_CHARACTERS.fullmatch("a" + c)), name[0])
                yield self.finding(
                    item, f"name {shown(name)} holds the character {bad!a}", context
                )


class LowerCaseName(Rule):
    code = "TC201"
    name = "name-not-lower-case"
    severity = "error"
    summary = "Attribute keys, metric and event names are lower case."
    rationale = (
        "Semantic-convention names are case-sensitive and always lower case; `http.Method` and "
        "`http.method` would be two different attributes to every backend."
    )
    bad_example = contract("""
        attributes:
          - key: shop.orderId
            type: string
            brief: What it holds.
            examples: ["x"]
    """)
    good_example = contract("""
        attributes:
          - key: shop.order_id
            type: string
            brief: What it holds.
            examples: ["x"]
    """)
    fix = "write the name in lower case, words separated by `_`"

    def check(self, context: Context) -> Iterator[Finding]:
        for item in named_contracts(context):
            if named(item) != named(item).lower():
                yield self.finding(item, f"`{named(item)}` is not lower case", context)


class NameFormat(Rule):
    code = "TC202"
    name = "name-not-snake-case"
    severity = "error"
    summary = "A name is dot-separated namespaces of snake_case words."
    rationale = (
        "Dots separate namespaces (`http.request`), underscores separate words inside one part "
        "(`status_code`). Hyphens, spaces, empty parts, leading digits or doubled underscores "
        "break tooling that splits names on those characters."
    )
    bad_example = contract("""
        attributes:
          - key: my-service..retry__count
            type: int
            brief: What it holds.
    """)
    good_example = contract("""
        attributes:
          - key: my_service.retry.count
            type: int
            brief: What it holds.
    """)
    fix = "use `namespace.sub_namespace.word_word`: letters, digits, single `_` and `.`"

    def check(self, context: Context) -> Iterator[Finding]:
        for item in named_contracts(context):
            bad = [p for p in named(item).lower().split(".") if not SNAKE_CASE_PART.match(p)]
            if bad:
                yield self.finding(
                    item, f"`{named(item)}`: `{bad[0]}` is not a snake_case name part", context
                )


class MissingNamespace(Rule):
    code = "TC203"
    name = "missing-namespace"
    severity = "warning"
    summary = "Attribute keys and metric names live under a namespace (`service.name`)."
    rationale = (
        "Names without a namespace (`status`) collide across teams and with future semantic "
        "conventions; the namespace says which component or domain the name belongs to."
    )
    bad_example = contract("""
        attributes:
          - key: status
            type: string
            brief: What it holds.
            examples: ["x"]
    """)
    good_example = contract("""
        attributes:
          - key: payment.status
            type: string
            brief: What it holds.
            examples: ["x"]
    """)
    fix = "prefix the name with its domain's namespace"

    def check(self, context: Context) -> Iterator[Finding]:
        for item in named_contracts(context):
            if not isinstance(item, Event) and "." not in named(item):
                yield self.finding(item, f"`{named(item)}` has no namespace", context)


class UnitInMetricName(Rule):
    code = "TC204"
    reads = METRICS
    name = "unit-in-metric-name"
    severity = "warning"
    summary = "A metric name does not carry its unit (`_seconds`, `_bytes`, `_ms`)."
    rationale = (
        "The unit is part of the metric's definition (`unit: s`); exporters such as Prometheus "
        "append it themselves, so a unit in the name is doubled (`duration_seconds_seconds`) and "
        "goes stale when the unit changes."
    )
    bad_example = contract("""
        metrics:
          - name: shop.checkout.duration_seconds
            instrument: histogram
            unit: s
            brief: What it measures.
    """)
    good_example = contract("""
        metrics:
          - name: shop.checkout.duration
            instrument: histogram
            unit: s
            brief: What it measures.
    """)
    fix = "drop the unit word from the name; the `unit` field carries it"

    def check(self, context: Context) -> Iterator[Finding]:
        for metric in context.own_metrics:
            if metric.deprecated is None:
                words = [w for w in last_words(metric.name) if w in UNIT_WORDS]
                if words:
                    yield self.finding(
                        metric, f"metric `{metric.name}` has the unit `{words[0]}` in its name",
                        context,
                    )


class TypeInMetricName(Rule):
    code = "TC205"
    reads = METRICS
    name = "type-in-metric-name"
    severity = "warning"
    summary = "A metric name does not carry its instrument type (`_total`, `_counter`)."
    rationale = (
        "The instrument is part of the definition; Prometheus exporters add `_total` to "
        "counters themselves, and semantic conventions forbid `total` because an up-down "
        "counter named that way reads like a monotonic sum."
    )
    bad_example = contract("""
        metrics:
          - name: shop.orders_total
            instrument: counter
            unit: '{order}'
            brief: What it measures.
    """)
    good_example = contract("""
        metrics:
          - name: shop.orders
            instrument: counter
            unit: '{order}'
            brief: What it measures.
    """)
    fix = "drop the type word; use `.count` for an up-down counter of things"

    def check(self, context: Context) -> Iterator[Finding]:
        for metric in context.own_metrics:
            if metric.deprecated is None:
                word = last_words(metric.name)[-1]
                if word in TYPE_WORDS:
                    yield self.finding(
                        metric, f"metric `{metric.name}` ends in the type word `{word}`", context
                    )


class ReservedNamespace(Rule):
    code = "TC206"
    name = "reserved-namespace"
    severity = "error"
    summary = "The `otel.` namespace is reserved for OpenTelemetry itself."
    rationale = (
        "The OpenTelemetry specification reserves `otel.*` for attributes and metrics that the "
        "SDKs and the specification define; a custom name there can clash with a future one."
    )
    bad_example = contract("""
        attributes:
          - key: otel.team
            type: string
            brief: What it holds.
            examples: ["x"]
    """)
    good_example = contract("""
        attributes:
          - key: acme.team
            type: string
            brief: What it holds.
            examples: ["x"]
    """)
    fix = "move the name under your organisation's namespace"

    def check(self, context: Context) -> Iterator[Finding]:
        if context.is_opentelemetry_registry:
            return
        for item in named_contracts(context):
            name = named(item)
            namespace = name.split(".", 1)[0]
            known = name in context.baseline_attributes or name in context.baseline_metrics
            if namespace in RESERVED_NAMESPACES and "." in name and not known:
                yield self.finding(
                    item, f"`{name}` is in the reserved `{namespace}.` namespace", context
                )


class NameIsNamespace(Rule):
    code = "TC207"
    name = "name-is-namespace"
    severity = "warning"
    summary = "No attribute key is also the namespace of another key."
    rationale = (
        "Semantic conventions keep names and namespaces apart: with `service.instance.id` "
        "defined, an attribute `service.instance` makes nested exports (JSON, logs) ambiguous "
        "because one path is both a value and an object."
    )
    bad_example = contract("""
        attributes:
          - key: shop.cart
            type: string
            brief: What it holds.
            examples: ["x"]
          - key: shop.cart.size
            type: int
            brief: What it holds.
    """)
    good_example = contract("""
        attributes:
          - key: shop.cart.id
            type: string
            brief: What it holds.
            examples: ["x"]
          - key: shop.cart.size
            type: int
            brief: What it holds.
    """)
    fix = "rename the shorter key by adding a last part (`shop.cart.id`)"

    def check(self, context: Context) -> Iterator[Finding]:
        live = [a for a in context.snapshot.attributes if a.deprecated is None]
        namespaces = {prefix: a.key for a in live for prefix in namespaces_of(a.key)}
        for attribute in live:
            if attribute.origin is None and attribute.key in namespaces:
                yield self.finding(
                    attribute, f"`{attribute.key}` is also the namespace of "
                    f"`{namespaces[attribute.key]}`", context,
                )


class CountSuffixInstrument(Rule):
    code = "TC208"
    reads = METRICS
    name = "count-suffix-on-counter"
    severity = "info"
    summary = "A metric named `.count` is an up-down counter of things in its namespace."
    rationale = (
        "Semantic conventions use `.count` for the current number of things (an up-down "
        "counter, `system.process.count`); a monotonic counter of events is named for what "
        "happens (`shop.order.placed`) and its `{annotation}` unit says what is counted."
    )
    bad_example = contract("""
        metrics:
          - name: shop.order.count
            instrument: counter
            unit: '{order}'
            brief: What it measures.
    """)
    good_example = contract("""
        metrics:
          - name: shop.order.placed
            instrument: counter
            unit: '{order}'
            brief: What it measures.
    """)

    def check(self, context: Context) -> Iterator[Finding]:
        for metric in context.own_metrics:
            if (
                metric.deprecated is None
                and metric.name.endswith(".count")
                and metric.instrument not in ("updowncounter", "gauge")
            ):
                yield self.finding(
                    metric, f"metric `{metric.name}` ends in `.count` but is a "
                    f"{metric.instrument}", context,
                    hint="use an up-down counter, or name the event that is counted",
                )
