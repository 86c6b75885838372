"""TC7xx: semantic-convention collisions, sensitive data and governance annotations."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.model import Attribute, Metric
from telemetry_contracts.validators.rule import (
    ATTRIBUTES,
    METRICS,
    Context,
    Rule,
    contract,
    namespaces_of,
)

SENSITIVE_WORDS: tuple[tuple[str, ...], ...] = (
    ("email",), ("e", "mail"), ("mail", "address"), ("password",), ("passwd",), ("passphrase",),
    ("pwd",), ("secret",), ("token",), ("api", "key"), ("apikey",), ("access", "key"),
    ("private", "key"), ("client", "secret"), ("ssn",), ("social", "security"),
    ("credit", "card"), ("card", "number"), ("cvv",), ("cvc",), ("iban",), ("phone",),
    ("phone", "number"), ("cookie",), ("passport",), ("birth", "date"),
    ("date", "of", "birth"), ("tax", "id"), ("national", "id"),
)
"""Word sequences in a key that suggest personal data or credentials."""
_FIRST_WORDS = frozenset(pattern[0] for pattern in SENSITIVE_WORDS)
"""A key none of whose words starts a sequence needs no further look."""
METADATA_WORDS = frozenset({
    "arn", "id", "name", "type", "kind", "count", "size", "length", "purpose", "policy",
    "provider", "scheme", "verified", "valid", "expires", "expiry", "format", "version", "source",
    "present", "domain", "hash", "algorithm", "state", "status", "result",
})
"""Last words that make a key describe a secret (``secret.arn``) rather than hold it."""
SENSITIVE_SENSITIVITIES = frozenset({"pii", "secret"})
_WORD_SPLIT = re.compile(r"[._\-]")
FREE_FORM_TYPES = frozenset({"string", "string[]", "any"})


def sensitive_words(key: str) -> str | None:
    """The sensitive-looking words in ``key`` (``user.email`` gives ``email``), else None."""
    words = _WORD_SPLIT.split(key.lower())
    if words[-1] in METADATA_WORDS or _FIRST_WORDS.isdisjoint(words):
        return None
    for pattern in SENSITIVE_WORDS:
        size = len(pattern)
        if any(tuple(words[i:i + size]) == pattern for i in range(len(words) - size + 1)):
            return "_".join(pattern)
    return None


def can_hold_free_text(attribute: Attribute) -> bool:
    """True for types that can carry an arbitrary value; enums and numbers cannot leak one."""
    return not attribute.is_enum and attribute.value_type in FREE_FORM_TYPES


class SemconvNamespaceCollision(Rule):
    code = "TC701"
    name = "semconv-namespace-collision"
    severity = "warning"
    summary = "Custom names stay out of the semantic-convention namespaces."
    rationale = (
        "Namespaces such as `http.`, `db.` or `service.` belong to OpenTelemetry's semantic "
        "conventions. A custom `http.retry_budget` may collide with a future official name of "
        "another meaning, and readers cannot tell it is not standard."
    )
    bad_example = contract("""
        attributes:
          - key: http.retry_budget
            type: int
            brief: Retries left for the request.
    """)
    good_example = contract("""
        attributes:
          - key: acme.http.retry_budget
            type: int
            brief: Retries left for the request.
    """)
    fix = "put custom names under your own namespace (`acme.http.retry_budget`)"

    def check(self, context: Context) -> Iterator[Finding]:
        if context.baseline is None or context.is_opentelemetry_registry:
            return
        for item, known in _custom_items(context):
            name = item.key if isinstance(item, Attribute) else item.name
            if name in known or item.deprecated is not None:
                continue
            taken = [p for p in namespaces_of(name) if p in context.baseline_namespaces]
            if taken:
                yield self.finding(
                    item, f"`{name}` is not a semantic convention but is in the semantic-"
                    f"convention namespace `{taken[-1]}.`", context,
                )


def _custom_items(context: Context) -> Iterator[tuple[Attribute | Metric, Mapping[str, Any]]]:
    for attribute in context.own_attributes:
        yield attribute, context.baseline_attributes
    for metric in context.own_metrics:
        yield metric, context.baseline_metrics


class SemconvRedefinition(Rule):
    code = "TC702"
    name = "semconv-redefinition"
    severity = "error"
    summary = "A semantic-convention name keeps its official type, instrument and unit."
    rationale = (
        "Redefining `http.response.status_code` as a string, or `http.server.active_requests` "
        "as a counter, makes this registry's data incompatible with every dashboard, library and "
        "backend that expects the official definition."
    )
    bad_example = contract("""
        metrics:
          - name: http.server.active_requests
            instrument: counter
            unit: "{request}"
            brief: Active HTTP server requests.
    """)
    good_example = contract("""
        metrics:
          - name: http.server.active_requests
            instrument: updowncounter
            unit: "{request}"
            brief: Active HTTP server requests.
    """)
    fix = "use the official definition, or a name under your own namespace"

    def check(self, context: Context) -> Iterator[Finding]:
        if context.baseline is None or context.is_opentelemetry_registry:
            return
        for attribute in context.own_attributes:
            official = context.baseline_attributes.get(attribute.key)
            if (
                official is not None
                and "any" not in (official.value_type, attribute.value_type)
                and official.value_type != attribute.value_type
            ):
                yield self.finding(
                    attribute, f"`{attribute.key}` is `{attribute.value_type}` here but "
                    f"`{official.value_type}` in the semantic conventions", context,
                )
        for metric in context.own_metrics:
            known = context.baseline_metrics.get(metric.name)
            if known is None:
                continue
            for field in ("instrument", "unit"):
                ours, theirs = getattr(metric, field), getattr(known, field)
                if theirs and ours != theirs:
                    yield self.finding(
                        metric, f"`{metric.name}` has {field} `{ours}` here but `{theirs}` in "
                        "the semantic conventions", context,
                    )


class SensitiveKey(Rule):
    code = "TC703"
    reads = ATTRIBUTES
    name = "sensitive-key-without-sensitivity"
    severity = "warning"
    summary = "Keys that look like personal data or secrets declare their sensitivity."
    rationale = (
        "An attribute named like an e-mail address, token, password or card number probably "
        "carries personal data or credentials. `annotations: {sensitivity: pii}` (or "
        "`secret`) lets the runtime guard redact it before it leaves the process; `public` "
        "or `internal` records that someone checked."
    )
    bad_example = contract("""
        attributes:
          - key: shop.customer.email
            type: string
            brief: The customer's e-mail address.
            examples: [jane@example.com]
    """)
    good_example = contract("""
        attributes:
          - key: shop.customer.email
            type: string
            brief: The customer's e-mail address.
            examples: [jane@example.com]
            annotations: {sensitivity: pii}
    """)
    fix = "add `annotations: {sensitivity: pii}`, or `secret`, `internal`, `public`"

    def check(self, context: Context) -> Iterator[Finding]:
        for attribute in context.own_attributes:
            if attribute.governance.sensitivity is not None or not can_hold_free_text(attribute):
                continue
            words = sensitive_words(attribute.key)
            if words and attribute.deprecated is None:
                yield self.finding(
                    attribute, f"`{attribute.key}` looks sensitive (`{words}`) but declares "
                    "no sensitivity", context,
                )


class SensitiveAttributeOnMetric(Rule):
    code = "TC704"
    reads = METRICS
    name = "sensitive-attribute-on-metric"
    severity = "warning"
    summary = "Metrics do not carry attributes annotated `pii` or `secret`."
    rationale = (
        "Metric attributes become time-series labels: stored for months, indexed, shown in "
        "every dashboard, and impossible to delete one value from. Personal data and secrets "
        "do not belong there, redacted or not, and they explode cardinality."
    )
    bad_example = contract("""
        attributes:
          - key: shop.customer.email
            type: string
            brief: The customer's e-mail address.
            examples: [jane@example.com]
            annotations: {sensitivity: pii}
        metrics:
          - name: shop.order.placed
            instrument: counter
            unit: "{order}"
            brief: Orders placed.
            attributes:
              - ref: shop.customer.email
    """)
    good_example = contract("""
        attributes:
          - key: shop.customer.email
            type: string
            brief: The customer's e-mail address.
            examples: [jane@example.com]
            annotations: {sensitivity: pii}
        metrics:
          - name: shop.order.placed
            instrument: counter
            unit: "{order}"
            brief: Orders placed.
    """)
    fix = "drop the attribute from the metric; keep it on spans or logs if needed at all"

    def check(self, context: Context) -> Iterator[Finding]:
        for metric in context.own_metrics:
            for ref in metric.attributes:
                attribute = context.attribute(ref.key)
                if attribute and attribute.governance.sensitivity in SENSITIVE_SENSITIVITIES:
                    yield self.finding(
                        metric, f"metric `{metric.name}` carries `{ref.key}`, which is "
                        f"{attribute.governance.sensitivity}", context,
                    )
