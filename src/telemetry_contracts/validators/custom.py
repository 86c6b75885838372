"""Declared rules: an organisation's own conventions written as data (``[[rules]]`` in
``[tool.telemetry-contracts]`` or the service's rules file), codes TCD001-TCD999."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from telemetry_contracts.schemas.backports import tomllib
from telemetry_contracts.schemas.findings import ContractError, Finding, Severity
from telemetry_contracts.schemas.model import Attribute, Event, Instrument, Metric, Span
from telemetry_contracts.validators.rule import COLLECTIONS, Context, Rule, contract

DECLARED_CODE = re.compile(r"TCD\d\d\d")
"""The range reserved for declared rules."""
Kind = Literal["attribute", "metric", "span", "event"]
Annotation = Literal["owner", "sensitivity", "cardinality_limit", "sunset"]
CONSTRAINTS = ("require_attributes", "require_annotations", "name_pattern", "units",
               "forbid_keys")
DEFAULT_KINDS: dict[str, tuple[Kind, ...]] = {
    "require_attributes": ("metric", "span", "event"),
    "require_annotations": ("attribute", "metric"),
    "name_pattern": ("attribute", "metric", "span", "event"),
    "units": ("metric",),
    "forbid_keys": ("attribute", "metric", "span", "event"),
}
ANNOTATION_EXAMPLES = {"owner": "team-example", "sensitivity": "internal",
                       "cardinality_limit": 100, "sunset": "2099-12-31"}
Subject = Attribute | Metric | Span | Event
M = TypeVar("M", bound=BaseModel)


def kebab(name: str) -> str:
    return name.replace("_", "-")


class DeclaredRuleSpec(BaseModel):
    """One declared rule: where it looks (``namespace``, ``kind``, ``instrument``) and exactly
    one constraint (``require-attributes``, ``require-annotations``, ``name-pattern``,
    ``units``, ``forbid-keys``)."""

    model_config = ConfigDict(extra="forbid", alias_generator=kebab, populate_by_name=True,
                              frozen=True)

    code: str
    name: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    message: str = Field(min_length=1)
    severity: Severity = "error"
    namespace: str | None = None
    """``payments`` (or ``payments.``): the rule looks at names under it; all names if unset."""
    kind: list[Kind] = Field(default_factory=list)
    instrument: list[Instrument] = Field(default_factory=list)
    require_attributes: list[str] = Field(default_factory=list)
    require_annotations: list[Annotation] = Field(default_factory=list)
    name_pattern: str | None = None
    """A regular expression every selected name must match in full."""
    units: list[str] = Field(default_factory=list)
    """The units allowed for the selected metrics."""
    forbid_keys: list[str] = Field(default_factory=list)
    """Attribute keys (``fnmatch`` globs: ``*_id``) no contract may define or reference."""
    rationale: str | None = None
    fix: str | None = None
    bad_example: str | None = None
    good_example: str | None = None

    @model_validator(mode="after")
    def _one_constraint(self) -> DeclaredRuleSpec:
        if not DECLARED_CODE.fullmatch(self.code):
            raise ValueError(f"`{self.code}` is not in the declared-rule range TCD001-TCD999")
        given = [name for name in CONSTRAINTS if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("a declared rule needs exactly one of "
                             + ", ".join(f"`{kebab(c)}`" for c in CONSTRAINTS))
        wrong = set(self.kind) - set(DEFAULT_KINDS[given[0]])
        if wrong:
            raise ValueError(f"`{kebab(given[0])}` does not apply to {sorted(wrong)}")
        if self.name_pattern is not None:
            try:
                re.compile(self.name_pattern)
            except re.error as error:
                raise ValueError(f"`name-pattern` is not a regular expression: {error}") from None
        return self

    @property
    def constraint(self) -> str:
        return next(name for name in CONSTRAINTS if getattr(self, name))

    @property
    def kinds(self) -> tuple[Kind, ...]:
        return tuple(self.kind) or DEFAULT_KINDS[self.constraint]

    @property
    def prefix(self) -> str:
        return (self.namespace or "").rstrip(".")


class RuleSettings(BaseModel):
    """Declared rules and the codes switched off or re-graded: what ``[tool.telemetry-contracts]``
    and the registry service's rules file share."""

    model_config = ConfigDict(extra="forbid", alias_generator=kebab, populate_by_name=True)

    rules: list[DeclaredRuleSpec] = Field(default_factory=list)
    """Declared rules (``[[tool.telemetry-contracts.rules]]``)."""
    ignore: list[str] = Field(default_factory=list)
    """Rule codes (or prefixes) never to report."""
    severity: dict[str, Severity] = Field(default_factory=dict)
    """Code (or prefix) to the severity its findings are reported with: ``{TC2 = "warning"}``."""


def in_namespace(name: str, prefix: str) -> bool:
    return not prefix or name == prefix or name.startswith(prefix + ".")


def _name(item: Subject) -> str:
    if isinstance(item, Attribute):
        return item.key
    return item.type if isinstance(item, Span) else item.name


class DeclaredRule(Rule):
    """A rule made from a :class:`DeclaredRuleSpec` (see :func:`declared_rule`)."""

    spec: DeclaredRuleSpec

    def check(self, context: Context) -> Iterator[Finding]:
        spec = self.spec
        for item in self._selected(context):
            for detail in self._problems(item, context):
                yield self.finding(item, f"{spec.message}: {detail}", context)

    def _selected(self, context: Context) -> Iterator[Subject]:
        spec = self.spec
        collections: dict[Kind, Iterable[Subject]] = {
            "attribute": context.own_attributes, "metric": context.own_metrics,
            "span": (s for s in context.snapshot.spans if s.origin is None),
            "event": (e for e in context.snapshot.events if e.origin is None),
        }
        for kind in spec.kinds:
            for item in collections[kind]:
                if not in_namespace(_name(item), spec.prefix):
                    continue
                if spec.instrument and not (isinstance(item, Metric)
                                            and item.instrument in spec.instrument):
                    continue
                yield item

    def _problems(self, item: Subject, context: Context) -> Iterator[str]:
        spec, name = self.spec, _name(item)
        if spec.require_attributes and not isinstance(item, Attribute):
            present = {ref.key for ref in item.attributes}
            missing = [key for key in spec.require_attributes if key not in present]
            if missing:
                yield f"`{name}` does not carry {_listed(missing)}"
        elif spec.require_annotations and isinstance(item, Attribute | Metric):
            absent = [key for key in spec.require_annotations
                      if getattr(item.governance, key) is None]
            if absent:
                yield f"`{name}` has no {_listed(absent)} annotation"
        elif spec.name_pattern and not re.fullmatch(spec.name_pattern, name):
            yield f"`{name}` does not match `{spec.name_pattern}`"
        elif spec.units and isinstance(item, Metric) and item.unit not in spec.units:
            yield f"`{name}` has unit `{item.unit}`, allowed: {_listed(spec.units)}"
        elif spec.forbid_keys:
            keys = [name] if isinstance(item, Attribute) else [
                ref.key for ref in item.attributes]
            for key in keys:
                if forbidden(key, spec.forbid_keys):
                    yield f"`{key}` is forbidden" if key == name else (
                        f"`{name}` carries forbidden `{key}`")


def forbidden(key: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns)


def _listed(items: Iterable[str]) -> str:
    return ", ".join(f"`{item}`" for item in items)


def declared_rule(spec: DeclaredRuleSpec, source: str = "pyproject.toml") -> Rule:
    """The rule ``spec`` declares, documented like a built-in one (its examples generated
    unless given); :class:`ContractError` (TC100) naming ``source`` when no example can be
    made for it."""
    bad, good = spec.bad_example, spec.good_example
    if bad is None or good is None:
        made = _examples(spec)
        if made is None:
            raise ContractError("TC100", f"declared rule {spec.code}: give `bad-example` and "
                                "`good-example` (none can be made for it)", source)
        bad, good = bad or made[0], good or made[1]
    where = f" under `{spec.prefix}.`" if spec.prefix else ""
    attributes: dict[str, Any] = {
        "code": spec.code, "name": spec.name, "severity": spec.severity,
        "summary": spec.message[0].upper() + spec.message[1:].rstrip(".") + ".",
        "rationale": spec.rationale or (
            f"Declared in {source}: a `{kebab(spec.constraint)}` rule on "
            f"{', '.join(spec.kinds)} contracts{where}."),
        "bad_example": bad, "good_example": good, "fix": spec.fix, "spec": spec,
        "reads": COLLECTIONS,
    }
    return type(f"Declared{spec.code}", (DeclaredRule,), attributes)()


Examples = tuple[str, str] | None
"""A bad and a good contract file, or None when none can be made."""


def _examples(spec: DeclaredRuleSpec) -> Examples:
    writer = _ExampleWriter(spec)
    made: Examples = getattr(writer, spec.constraint)()
    return made


class _ExampleWriter:
    """Makes the bad and good examples of a declared rule: one method per constraint."""

    def __init__(self, spec: DeclaredRuleSpec) -> None:
        self.spec = spec
        self.prefix = spec.prefix or "example"
        self.instrument = spec.instrument[0] if spec.instrument else "counter"

    def metric(self, extra: str = "", unit: str | None = None, name: str | None = None) -> str:
        unit = unit or ("{item}" if self.instrument == "counter" else "s")
        return (f"  - name: {name or self.prefix + '.items'}\n    instrument: {self.instrument}"
                f"\n    unit: \"{unit}\"\n    brief: An example.\n{extra}")

    @staticmethod
    def attribute(key: str, extra: str = "") -> str:
        return f"  - key: {key}\n    type: string\n    brief: An example.\n{extra}"

    @staticmethod
    def refs(keys: Iterable[str]) -> str:
        return "    attributes:\n" + "".join(f"      - ref: {key}\n" for key in keys)

    def require_attributes(self) -> Examples:
        keys = self.spec.require_attributes
        if "metric" not in self.spec.kinds:
            return None
        defined = "attributes:\n" + "".join(self.attribute(key) for key in keys)
        return (contract(f"metrics:\n{self.metric()}"),
                contract(f"{defined}metrics:\n{self.metric(self.refs(keys))}"))

    def require_annotations(self) -> Examples:
        keys = self.spec.require_annotations
        values = ", ".join(f"{key}: {ANNOTATION_EXAMPLES[key]}" for key in keys)
        annotated = f"    annotations: {{{values}}}\n"
        if "attribute" in self.spec.kinds:
            key = self.prefix + ".name"
            return (contract(f"attributes:\n{self.attribute(key)}"),
                    contract(f"attributes:\n{self.attribute(key, annotated)}"))
        return (contract(f"metrics:\n{self.metric()}"),
                contract(f"metrics:\n{self.metric(annotated)}"))

    def units(self) -> Examples:
        allowed = self.spec.units
        other = next((u for u in ("ms", "s", "By", "1", "{request}") if u not in allowed), None)
        if other is None:
            return None
        return (contract(f"metrics:\n{self.metric(unit=other)}"),
                contract(f"metrics:\n{self.metric(unit=allowed[0])}"))

    def forbid_keys(self) -> Examples:
        spec, prefix = self.spec, self.prefix
        stem = f"{spec.prefix}.example" if spec.prefix else "example"
        key = spec.forbid_keys[0].replace("*", stem).replace("?", "x")
        allowed = next((k for k in (f"{prefix}.name", f"{prefix}.kind", f"{prefix}.value.kind")
                        if not forbidden(k, spec.forbid_keys)), None)
        if not forbidden(key, spec.forbid_keys) or allowed is None:
            return None
        if in_namespace(key, spec.prefix) and "attribute" in spec.kinds:
            return (contract(f"attributes:\n{self.attribute(key)}"),
                    contract(f"attributes:\n{self.attribute(allowed)}"))
        if "metric" not in spec.kinds:
            return None
        defined = f"attributes:\n{self.attribute(key)}"
        return (contract(f"{defined}metrics:\n{self.metric(self.refs([key]))}"),
                contract(f"{defined}metrics:\n{self.metric()}"))

    def name_pattern(self) -> Examples:
        pattern, kinds = self.spec.name_pattern or "", self.spec.kinds
        candidates = [f"{self.prefix}.{tail}" for tail in (
            "name", "items", "request.count", "Name", "item_id", "item.id", "Item-Name",
            "request.duration_ms")] + ["Example", "x"]
        matching = [c for c in candidates if re.fullmatch(pattern, c)]
        failing = [c for c in candidates if not re.fullmatch(pattern, c)]
        if not matching or not failing or not set(kinds) & {"attribute", "metric"}:
            return None
        if "metric" in kinds:
            return (contract(f"metrics:\n{self.metric(name=failing[0])}"),
                    contract(f"metrics:\n{self.metric(name=matching[0])}"))
        return (contract(f"attributes:\n{self.attribute(failing[0])}"),
                contract(f"attributes:\n{self.attribute(matching[0])}"))


def declared_rules(settings: RuleSettings, source: str = "pyproject.toml") -> tuple[Rule, ...]:
    """The rules ``settings`` declares, in code order; TC100 on a code declared twice."""
    codes = [spec.code for spec in settings.rules]
    twice = sorted({code for code in codes if codes.count(code) > 1})
    if twice:
        raise ContractError("TC100", f"declared rule code {twice[0]} is used twice", source)
    return tuple(declared_rule(spec, source) for spec in sorted(settings.rules,
                                                                 key=lambda s: s.code))


def regraded(findings: Iterable[Finding], severities: Mapping[str, Severity]) -> list[Finding]:
    """``findings`` with the severity ``severities`` gives their code (the longest matching
    code or prefix wins)."""
    table = sorted(((k.strip().upper(), v) for k, v in severities.items()),
                   key=lambda item: -len(item[0]))
    result = []
    for finding in findings:
        severity = next((v for k, v in table if finding.code.startswith(k)), finding.severity)
        result.append(finding if severity == finding.severity
                      else finding.model_copy(update={"severity": severity}))
    return result


def read_rule_settings(path: Path) -> RuleSettings:
    """The rule settings of a TOML file: its top level, or ``[tool.telemetry-contracts]`` when
    it has one (so the service can read a project's ``pyproject.toml``); TC100 when invalid."""
    try:
        text = path.read_text()
        document = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ContractError("TC100", f"cannot read rules: {error}", str(path)) from None
    table = document.get("tool", {}).get("telemetry-contracts", document)
    wanted = {key: table[key] for key in ("rules", "ignore", "severity") if key in table}
    return validated(RuleSettings, wanted, str(path), text)


def validated(model: type[M], data: Mapping[str, Any], source: str, text: str = "") -> M:
    """``model`` from ``data``; TC100 naming ``source``, the first wrong field and, for a
    declared rule, the line of its ``[[...rules]]`` header in ``text``, otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        details = error.errors()[0]
        location = details["loc"]
        where = ".".join(str(part) for part in location)
        line = 0
        if len(location) > 1 and location[0] == "rules" and isinstance(location[1], int):
            line = _header_line(text, location[1])
        raise ContractError("TC100", f"[tool.telemetry-contracts] `{where}`: {details['msg']}",
                            source, line) from None


def _header_line(text: str, index: int) -> int:
    """The line of the ``index``-th ``[[rules]]`` (or ``[[tool.telemetry-contracts.rules]]``)
    header of ``text``; 0 when it cannot be told."""
    headers = [number for number, line in enumerate(text.splitlines(), 1)
               if re.fullmatch(r"\s*\[\[\s*(tool\.telemetry-contracts\.)?rules\s*\]\]\s*(#.*)?",
                               line)]
    return headers[index] if index < len(headers) else 0
