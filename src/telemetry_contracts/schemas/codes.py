"""The codes that are not lint rules, documented once: TC1xx input errors, TC8xx telemetry
violations, TC9xx compatibility changes. Lint rules (TC2xx-TC7xx) document themselves."""

from __future__ import annotations

from dataclasses import dataclass
from textwrap import dedent
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from telemetry_contracts.schemas.findings import Severity

DECLARED_RANGE = "TCD001-TCD999"
"""Codes of an organisation's declared rules (``[[tool.telemetry-contracts.rules]]``)."""
PLUGIN_RANGE = "TCX001-TCX999"
"""Codes of plugin rules."""
PLUGIN_GROUP = "telemetry_contracts.rules"
"""The entry-point group plugin rules are registered in."""


@dataclass(frozen=True)
class CodeDoc:
    """Everything a user needs about one code: what, why, a bad and a good example, the fix."""

    code: str
    name: str
    severity: Severity
    summary: str
    rationale: str
    bad_example: str
    good_example: str
    fix: str | None = None
    language: str = "yaml"
    """The language of the examples, for syntax highlighting."""


def _doc(
    code: str, name: str, summary: str, rationale: str, bad: str, good: str, fix: str,
    severity: Severity = "error", language: str = "yaml",
) -> CodeDoc:
    return CodeDoc(code, name, severity, summary, rationale, dedent(bad).strip("\n") + "\n",
                   dedent(good).strip("\n") + "\n", fix, language)


INPUT_ERRORS: tuple[CodeDoc, ...] = (
    _doc("TC100", "unreadable-input",
         "A file, directory, git revision, URL or configuration cannot be read.",
         "Nothing can be checked that cannot be read; the command stops with exit code 2 rather "
         "than report a clean result it never established.",
         "$ telemetry-contracts lint telemetri   # a typo: no such directory",
         "$ telemetry-contracts lint telemetry",
         "fix the path, revision or URL the message names", language="text"),
    _doc("TC101", "yaml-syntax", "A contract file is not valid YAML.",
         "A file that does not parse says nothing reliable about any contract in it.",
         """
         attributes:
           - key: shop.cart.items
              type: int
         """,
         """
         attributes:
           - key: shop.cart.items
             type: int
         """, "fix the YAML at the line and column given"),
    _doc("TC102", "invalid-structure",
         "A contract file or snapshot does not have the shape of the format.",
         "An unknown field is usually a typo that would silently drop information (`unti: s`); "
         "a wrong type cannot be enforced.",
         """
         metrics:
           - name: shop.checkout.duration
             instrument: histogram
             unti: s
         """,
         """
         metrics:
           - name: shop.checkout.duration
             instrument: histogram
             unit: s
         """, "use the field names and types of the semantic-convention format"),
    _doc("TC103", "dangling-reference",
         "A `ref`, `ref_group`, `extends` or refinement names something that is not defined.",
         "A reference to nothing cannot be resolved; the resolved snapshot would miss the "
         "attribute the author meant.",
         """
         metrics:
           - name: shop.checkout.duration
             attributes:
               - ref: shop.cart.itms
         """,
         """
         metrics:
           - name: shop.checkout.duration
             attributes:
               - ref: shop.cart.items
         """, "define the target, add the dependency that defines it, or fix the name"),
    _doc("TC104", "duplicate-definition", "An attribute, metric or group is defined twice.",
         "Two definitions of one name disagree sooner or later, and which one wins would depend "
         "on file order.",
         """
         attributes:
           - key: shop.cart.items
             type: int
           - key: shop.cart.items
             type: string
         """,
         """
         attributes:
           - key: shop.cart.items
             type: int
         """, "keep one definition; refine it with `ref` where a group needs changes"),
    _doc("TC105", "input-too-large", "A file is over the size limit.",
         "Contract files are small; a huge one is a mistake or an attack on the CI machine, "
         "and is refused before it is read.",
         "telemetry/all-in-one.yaml   # 9 MiB", "telemetry/checkout.yaml    # a few KiB",
         "split the file; generated data does not belong in contract files", language="text"),
    _doc("TC106", "input-too-deep", "A YAML document nests deeper than the limit.",
         "Deep nesting has no use in contract files and is how parsers are made to exhaust "
         "their stack.",
         "x: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]"
         "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
         """
         attributes:
           - key: shop.cart.items
             type: int
         """, "flatten the document"),
    _doc("TC107", "duplicate-yaml-key", "A YAML mapping repeats a key.",
         "YAML keeps the last value of a repeated key and drops the first without a word.",
         """
         - key: shop.cart.items
           type: int
           type: string
         """,
         """
         - key: shop.cart.items
           type: int
         """, "remove one of the keys"),
    _doc("TC108", "invalid-manifest", "`manifest.yaml` or a dependency in it is invalid.",
         "The manifest names the registry and where its dependencies come from; a wrong one "
         "resolves against the wrong contracts.",
         """
         name: shop
         dependencies:
           - name: otel
             registry_path: ../missing
         """,
         """
         name: shop
         dependencies:
           - name: otel
             registry_path: semconv
         """, "point each dependency at a directory, git:REV[:SUBDIR], snapshot or `semconv`"),
    _doc("TC109", "extends-cycle", "Groups extend each other in a cycle.",
         "A cycle of `extends` has no resolution: each group would contain itself.",
         """
         groups:
           - id: a
             type: attribute_group
             extends: b
           - id: b
             type: attribute_group
             extends: a
         """,
         """
         groups:
           - id: a
             type: attribute_group
           - id: b
             type: attribute_group
             extends: a
         """, "break the cycle"),
    _doc("TC110", "url-not-allowed",
         "A checked file names a URL whose origin the user did not allow.",
         "A manifest or `pyproject.toml` in a pull request must not make the CI machine fetch "
         "arbitrary URLs or send it the CI token; URLs in checked files are opt-in per origin.",
         """
         dependencies:
           - name: platform
             registry_path: https://registry.example.com
         # telemetry-contracts lint   (no --allow-url)
         """,
         """
         dependencies:
           - name: platform
             registry_path: https://registry.example.com
         # telemetry-contracts lint --allow-url https://registry.example.com
         """,
         "pass --allow-url ORIGIN or set TELEMETRY_CONTRACTS_ALLOW_URLS if you trust the origin"),
    _doc("TC111", "newer-syntax-key-skipped",
         "A file in a newer minor version of the syntax has a key this release does not read.",
         "A file tagged with a minor version newer than the syntax this release reads "
         "(`definition/2.1`, say) may use keys added since; they are skipped, as Weaver skips "
         "them, so the rest of the registry still loads, and each is reported so that nothing "
         "is dropped unseen. In a file of a syntax this release knows, an unknown key is an "
         "error (TC102): most likely a typo.",
         """
         file_format: definition/2.1
         spans:
           - type: shop.checkout
             kind: server
             brief: Checkout.
             links:            # added by a later syntax: skipped here
               - ref: shop.cart
         """,
         """
         file_format: definition/2
         spans:
           - type: shop.checkout
             kind: server
             brief: Checkout.
         """,
         "upgrade telemetry-contracts to a release that reads the newer syntax, or leave the "
         "key out if this release must enforce the file", severity="warning"),
    _doc("TC120", "plugin-not-loaded",
         "An installed rule plugin cannot be loaded or one of its rules is invalid.",
         "A broken plugin must not stop every other check: it is reported in one line with its "
         "entry-point name (a warning, so the run's exit code is the other rules' verdict) and "
         "its rules do not run until it is fixed.",
         """
         [project.entry-points."telemetry_contracts.rules"]
         acme = "acme_rules:RULES"   # acme_rules imports a module that is not installed
         """,
         """
         [project.entry-points."telemetry_contracts.rules"]
         acme = "acme_rules:RULES"   # imports cleanly; every rule has a TCX code and its docs
         """,
         "fix or uninstall the plugin the message names", severity="warning",
         language="toml"),
    _doc("TC121", "rule-failed",
         "A declared or plugin rule raised an exception while checking.",
         "One faulty rule must not hide the findings of all the others: the exception is "
         "reported in one line naming the rule and its class, and the rest of the run goes on. "
         "The failed rule's own findings are missing from the result.",
         """
         def check(self, context):
             return context.metrics["shop.orders"].unit   # KeyError on other registries
         """,
         """
         def check(self, context):
             for metric in context.own_metrics:
                 ...
         """,
         "fix the rule's `check` (its class is named in the message)", severity="warning",
         language="python"),
)
"""Input that cannot be read or resolved: the command stops with exit code 2 (TC120 and
TC121 are warnings: the other rules run)."""


VIOLATIONS: tuple[CodeDoc, ...] = (
    _doc("TC801", "unknown-metric", "Metric name not in the registry.",
         "Telemetry nobody registered has no owner, no documented meaning and no budget; the "
         "guard drops it by default and the registry lists it as shadow telemetry.",
         'meter.create_counter("shop.orders.placed.v2")',
         'meter.create_counter("shop.order.placed")',
         "register the metric, or use the registered name", language="python"),
    _doc("TC802", "unknown-attribute",
         "Attribute key not in the registry (or not allowed on this metric).",
         "Unregistered keys grow cardinality and cost without anyone deciding they should; "
         "keys outside a metric's attribute list break its aggregations.",
         'span.set_attribute("shop.debug.blob", payload)',
         'span.set_attribute("shop.cart.items", len(cart))',
         "register the attribute (and add it to the metric), or drop it", language="python"),
    _doc("TC803", "deprecated-name", "Deprecated metric name or attribute key.",
         "A deprecated name splits dashboards and alerts between old and new names; the guard "
         "renames it where there is one successor, `check-code --fix` rewrites the literal.",
         'span.set_attribute("http.method", "POST")',
         'span.set_attribute("http.request.method", "POST")',
         "use the successor the message names (`check-code --fix` does it)",
         language="python"),
    _doc("TC804", "wrong-type", "Attribute value of the wrong type.",
         "Backends index a key by its type; a string where an int was promised breaks queries "
         "and aggregations.",
         'span.set_attribute("shop.cart.items", "3")',
         'span.set_attribute("shop.cart.items", 3)',
         "convert the value to the registered type", language="python"),
    _doc("TC805", "enum-value", "Attribute value outside the enum members.",
         "Closed sets keep dashboards and alerts complete; an unknown member silently falls "
         "outside every filter.",
         'span.set_attribute("http.request.method", "get")',
         'span.set_attribute("http.request.method", "GET")',
         "use a registered member, or propose a new one", language="python"),
    _doc("TC806", "sensitive-value", "Value of an attribute annotated pii or secret.",
         "Personal data and secrets must not leave the process in telemetry; the guard redacts "
         "them, and never lets them pass even when it cannot enforce.",
         'span.set_attribute("user.email", user.email)',
         'span.set_attribute("user.id", user.id)',
         "do not record the value, or record a non-sensitive stand-in", language="python"),
    _doc("TC807", "cardinality", "More distinct attribute sets than the metric's cardinality "
         "limit.",
         "Every distinct attribute set is a time series to store and query; an unbounded one "
         "(a user id, a URL) multiplies cost and slows every query.",
         'requests.add(1, {"url.full": request.url})',
         'requests.add(1, {"http.route": route})',
         "use bounded attribute values, or raise `cardinality_limit` deliberately",
         language="python"),
    _doc("TC808", "instrument-mismatch", "Instrument differs from the metric contract.",
         "A counter and a histogram of the same name aggregate differently; consumers read the "
         "registry's instrument.",
         'meter.create_counter("shop.checkout.duration")',
         'meter.create_histogram("shop.checkout.duration", unit="s")',
         "create the instrument the registry declares", language="python"),
    _doc("TC809", "unit-mismatch", "Unit differs from the metric contract.",
         "Milliseconds read as seconds are off by a factor of 1,000 on every dashboard.",
         'meter.create_histogram("shop.checkout.duration", unit="ms")',
         'meter.create_histogram("shop.checkout.duration", unit="s")',
         "record in the registry's unit", language="python"),
    _doc("TC810", "missing-required-attribute",
         "A metric data point or an event lacks an attribute its contract requires.",
         "A required attribute is what every query of the metric groups or filters by; points "
         "without it fall outside every dashboard built on the contract.",
         'requests.add(1, {"http.route": route})   # the contract requires http.request.method',
         'requests.add(1, {"http.route": route, "http.request.method": method})',
         "set the attribute on every measurement, or relax its requirement level",
         language="python"),
)
"""Telemetry that does not conform, as `check-code`, the API, `live-check` and the guard
report it: the same code everywhere."""


def _change(code: str, name: str, summary: str, rationale: str, before: str, broken: str,
            kept: str, fix: str) -> CodeDoc:
    return _doc(code, name, f"Compatibility: {summary}", rationale,
                f"# baseline\n{before}\n# head\n{broken}", f"# baseline\n{before}\n# head\n{kept}",
                fix)


CHANGES: tuple[CodeDoc, ...] = (
    _change("TC901", "contract-removed", "a contract was removed.",
            "Producers and dashboards that still use the name break at once.",
            "- key: shop.user.tier", "# (gone)",
            "- key: shop.user.tier\n  deprecated: {reason: renamed, renamed_to: shop.tier}",
            "deprecate it (with renamed_to when it has a replacement) instead of removing it, "
            "or release a new major version"),
    _change("TC902", "type-changed", "an attribute's type changed.",
            "Stored data of the old type and queries on it no longer match new data.",
            "- key: shop.cart.items\n  type: string", "- key: shop.cart.items\n  type: int",
            "- key: shop.cart.items\n  type: string\n- key: shop.cart.item_count\n  type: int",
            "add a new attribute with the new type and deprecate this one"),
    _change("TC903", "unit-changed", "a metric's unit changed.",
            "Old and new points of one series mean different things (ms against s).",
            "- name: shop.checkout.duration\n  unit: s",
            "- name: shop.checkout.duration\n  unit: ms",
            "- name: shop.checkout.duration\n  unit: s",
            "add a new metric with the new unit and deprecate this one"),
    _change("TC904", "instrument-changed", "a metric's instrument changed.",
            "A counter and a gauge aggregate differently; series across the change are wrong.",
            "- name: shop.queue.size\n  instrument: counter",
            "- name: shop.queue.size\n  instrument: gauge",
            "- name: shop.queue.size\n  instrument: counter\n"
            "- name: shop.queue.length\n  instrument: gauge",
            "add a new metric with the new instrument and deprecate this one"),
    _change("TC905", "enum-member-removed", "an enum member was removed.",
            "Producers still sending the member are now out of contract.",
            "members: [{id: card, value: card}, {id: cash, value: cash}]",
            "members: [{id: card, value: card}]",
            "members: [{id: card, value: card}, {id: cash, value: cash, deprecated: ...}]",
            "deprecate the member instead of removing it"),
    _change("TC906", "requirement-tightened", "an attribute became required.",
            "Existing producers that do not set it are now out of contract.",
            "- ref: shop.user.tier\n  requirement_level: recommended",
            "- ref: shop.user.tier\n  requirement_level: required",
            "- ref: shop.user.tier\n  requirement_level: recommended",
            "keep the attribute optional on existing signals, or release a new major version"),
    _change("TC907", "stability-lowered", "stability was lowered.",
            "Stability is a promise to consumers; it may only be raised.",
            "stability: stable", "stability: development", "stability: stable",
            "stability may only be raised"),
    _change("TC908", "requirement-loosened",
            "a required attribute became optional (FORWARD modes).",
            "Consumers on the old registry rely on the attribute always being there.",
            "requirement_level: required", "requirement_level: recommended",
            "requirement_level: required",
            "keep the attribute required while old consumers rely on it"),
    _change("TC909", "enum-member-added", "an enum member was added (FORWARD modes).",
            "Consumers on the old registry do not know the new value.",
            "members: [{id: card, value: card}]",
            "members: [{id: card, value: card}, {id: cash, value: cash}]",
            "members: [{id: card, value: card}]",
            "consumers on the old registry do not know the new value"),
    _change("TC910", "signal-shape-changed", "a span, event or entity changed shape.",
            "Consumers matching the signal's kind or identity no longer find it.",
            "- type: shop.checkout\n  span_kind: server",
            "- type: shop.checkout\n  span_kind: internal",
            "- type: shop.checkout\n  span_kind: server",
            "add a new signal and deprecate this one"),
)
"""Changes between two registries that break a compatibility mode: `diff` reports them."""


def non_rule_codes() -> tuple[CodeDoc, ...]:
    """TC1xx, TC8xx and TC9xx, in code order."""
    return (*INPUT_ERRORS, *VIOLATIONS, *CHANGES)


def doc_of(code: str) -> CodeDoc | None:
    return next((doc for doc in non_rule_codes() if doc.code == code), None)
