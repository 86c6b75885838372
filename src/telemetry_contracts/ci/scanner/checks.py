"""Judging call sites against a registry: unknown, deprecated, wrong instrument or unit."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from telemetry_contracts.ci.scanner.call_sites import (
    METRIC_FACTORIES,
    CallSites,
    LiteralValue,
    MetricSite,
    NameUse,
)
from telemetry_contracts.resolution.baseline import semconv_constant_for, semconv_metric_factories
from telemetry_contracts.schemas.model import (
    Attribute,
    Deprecation,
    LegacyName,
    Metric,
    find_by_key,
)
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.schemas.violations import Violation

MAX_RENAME_CHAIN = 16


@dataclass(frozen=True, slots=True)
class Problem:
    """A finding before it is given a file: the violation, where, what to say and any fix."""

    violation: Violation
    use: NameUse
    message: str
    hint: str | None = None
    replacement: str | None = None
    """The name a string literal can be rewritten to (``--fix``), for deprecated literals."""
    at: LiteralValue | None = None
    """Where the problem is when not at the name: the value of the wrong type."""

    @property
    def line(self) -> int:
        return self.at.line if self.at else self.use.line

    @property
    def column(self) -> int:
        """UTF-8 byte offset in the line, as :mod:`ast` gives it."""
        return self.at.column if self.at else self.use.column


class RegistryIndex:
    """Lookups the scanner needs: attributes by key (templates by prefix) and metrics by name."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.attributes = {attribute.key: attribute for attribute in snapshot.attributes}
        self.templates = {a.key: a for a in snapshot.attributes if a.is_template}
        self.metrics = {metric.name: metric for metric in snapshot.metrics}
        self.legacy: dict[tuple[str, str], LegacyName] = {
            (name.kind, name.name): name for name in snapshot.history
        }

    def legacy_deprecation(self, kind: str, name: str) -> Deprecation | None:
        """A name only the history knows, as a deprecation pointing at today's name."""
        legacy = self.legacy.get((kind, name))
        if legacy is None:
            return None
        since = (f"last defined by release {legacy.last_release}" if legacy.last_release
                 else "renamed by the official schema files")
        return Deprecation(
            reason="renamed" if legacy.successor else "obsoleted",
            renamed_to=legacy.successor,
            note=f"a legacy semantic-convention name, {since}",
        )

    def attribute(self, key: str) -> Attribute | None:
        """The attribute ``key`` names: itself, or the template whose key is a prefix of it."""
        return find_by_key(key, self.attributes, self.templates)


def _final_name(
    deprecation: Deprecation, contracts: Mapping[str, Attribute | Metric]
) -> str | None:
    """Where a chain of renames ends: the first name that is not itself deprecated."""
    target = deprecation.renamed_to
    for _ in range(MAX_RENAME_CHAIN):
        if target is None:
            return None
        following = contracts.get(target)
        if following is None or following.deprecated is None:
            return target
        target = following.deprecated.renamed_to
    return None


def check_call_sites(sites: CallSites, index: RegistryIndex) -> Iterator[Problem]:
    """Every problem of one file's call sites."""
    for site in sites.metrics:
        yield from _check_metric(site, index)
    for key in sites.attribute_keys:
        attribute = index.attribute(key.value)
        legacy = index.legacy_deprecation("attribute", key.value) if attribute is None else None
        if legacy is not None:
            registered = legacy.renamed_to is not None and (
                index.attribute(legacy.renamed_to) is not None
            )
            yield _deprecated("attribute", key, legacy, legacy.renamed_to, registered,
                              semconv_constant_for)
            continue
        if attribute is None:
            yield Problem(
                Violation.UNKNOWN_ATTRIBUTE, key,
                f"attribute `{key.value}` is not in the registry",
                "register it, or use a registered key",
            )
            continue
        if attribute.deprecated is not None:
            replacement = _final_name(attribute.deprecated, index.attributes)
            if replacement is not None and attribute.key != key.value:  # a template's key
                replacement += key.value[len(attribute.key):]
            registered = replacement is not None and index.attribute(replacement) is not None
            yield _deprecated("attribute", key, attribute.deprecated, replacement, registered,
                              semconv_constant_for)
        if key.literal is not None and not _type_fits(attribute.value_type, key.literal.type):
            written = "an empty sequence" if key.literal.type == "[]" else key.literal.type
            yield Problem(
                Violation.WRONG_TYPE, key,
                f"attribute `{key.value}` takes {attribute.value_type} values, not {written}",
                f"pass a value of type {attribute.value_type}", at=key.literal,
            )


def _type_fits(expected: str, written: str) -> bool:
    """Whether a literal of type ``written`` is a value of the registry type ``expected``."""
    if expected in ("any", written):
        return True
    if written == "[]":
        return expected.endswith("[]")
    return (expected, written) in (("double", "int"), ("double[]", "int[]"))


def _check_metric(site: MetricSite, index: RegistryIndex) -> Iterator[Problem]:
    name = site.name
    metric = index.metrics.get(name.value)
    legacy = index.legacy_deprecation("metric", name.value) if metric is None else None
    if legacy is not None:
        spelling = semconv_constant_for if site.factory in METRIC_FACTORIES else _semconv_helper
        yield _deprecated("metric", name, legacy, legacy.renamed_to,
                          legacy.renamed_to in index.metrics, spelling)
        return
    if metric is None:
        yield Problem(
            Violation.UNKNOWN_METRIC, name, f"metric `{name.value}` is not in the registry",
            "register it, or use a registered metric name",
        )
        return
    if metric.deprecated is not None:
        replacement = _final_name(metric.deprecated, index.metrics)
        spelling = semconv_constant_for if site.factory in METRIC_FACTORIES else _semconv_helper
        yield _deprecated("metric", name, metric.deprecated, replacement,
                          replacement in index.metrics, spelling)
    if metric.instrument != site.instrument:
        yield Problem(
            Violation.INSTRUMENT_MISMATCH, name,
            f"metric `{name.value}` is a {metric.instrument} in the registry, "
            f"but `{site.factory}` makes a {site.instrument}",
            f"create it with a {metric.instrument} factory",
        )
    if site.unit is not None and site.unit != metric.unit:
        yield Problem(
            Violation.UNIT_MISMATCH, name,
            f"metric `{name.value}` has unit `{metric.unit}` in the registry, "
            + (f"not `{site.unit}`" if site.unit else "but the call passes no unit"),
            f'pass unit="{metric.unit}"',
        )


def _semconv_helper(metric: str) -> str | None:
    """The semconv ``create_<metric>`` helper that creates ``metric``, if there is one."""
    constant = semconv_constant_for(metric)
    if constant is None:
        return None
    module, _, name = constant.rpartition(".")
    function = f"create_{name.lower()}"
    return f"{module}.{function}" if function in semconv_metric_factories(module) else None


def _deprecated(
    kind: str,
    use: NameUse,
    deprecation: Deprecation,
    replacement: str | None,
    registered: bool,
    semconv_spelling: Callable[[str], str | None],
) -> Problem:
    """TC803, with the replacement to rewrite a literal to when the registry defines it.

    A name written as a constant or a semconv helper is not rewritten; the hint names the
    semconv spelling of the replacement (``semconv_spelling``) when there is one.
    """
    if replacement is None:
        note = f": {' '.join(deprecation.note.split())}" if deprecation.note else ""
        return Problem(
            Violation.DEPRECATED_NAME, use,
            f"{kind} `{use.value}` is deprecated and has no single replacement{note}",
        )
    message = f"{kind} `{use.value}` is deprecated: use `{replacement}`"
    if use.constant is not None and use.defined_on:
        hint = (f"written as the constant `{use.constant}` (line {use.defined_on}), which --fix "
                "does not rewrite: change its value by hand")
        return Problem(Violation.DEPRECATED_NAME, use, message, hint)
    if use.constant is not None:
        spelling = semconv_spelling(replacement)
        instead = f" with `{spelling}`" if spelling else ""
        hint = (f"written as `{use.constant}`, which --fix does not rewrite: "
                f"replace it by hand{instead}")
        return Problem(Violation.DEPRECATED_NAME, use, message, hint)
    if not registered:
        hint = f"`{replacement}` is not in the registry either, so --fix leaves it"
        return Problem(Violation.DEPRECATED_NAME, use, message, hint)
    return Problem(Violation.DEPRECATED_NAME, use, message, "--fix rewrites it",
                   replacement=replacement)
