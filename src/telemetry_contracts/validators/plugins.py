"""Plugin rules: :class:`~telemetry_contracts.validators.rule.Rule` classes that installed
distributions register under the entry-point group ``telemetry_contracts.rules`` (codes
TCX001-TCX999). A plugin that cannot load is reported as a TC120 finding, never raised."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint
from typing import Any

from telemetry_contracts.schemas.codes import PLUGIN_GROUP
from telemetry_contracts.schemas.findings import Finding, Location
from telemetry_contracts.validators.rule import Rule

GROUP = PLUGIN_GROUP
PLUGIN_CODE = re.compile(r"TCX\d\d\d")
"""The range reserved for plugin rules."""
DOCUMENTED = ("name", "summary", "rationale", "bad_example", "good_example")


@dataclass(frozen=True)
class Plugins:
    """The rules the installed plugins provide, and a finding for each one that failed."""

    rules: tuple[Rule, ...] = ()
    problems: tuple[Finding, ...] = ()


@cache
def installed_plugins() -> Plugins:
    """The plugins of this environment, loaded once per process."""
    from importlib.metadata import entry_points

    return plugins_of(entry_points(group=GROUP))


def plugins_of(points: Iterable[EntryPoint]) -> Plugins:
    """Load ``points``: each names a ``Rule`` subclass, an instance, or a list of either."""
    rules: dict[str, Rule] = {}
    problems: list[Finding] = []
    for point in sorted(points, key=lambda p: (p.name, p.value)):
        try:
            candidates = _rules_in(point.load())
        except Exception as error:  # a plugin's import may raise anything
            problems.append(plugin_problem(point, f"cannot be loaded: {described(error)}"))
            continue
        for rule in candidates:
            problem = _invalid(rule, rules)
            if problem:
                problems.append(plugin_problem(point, problem))
            else:
                rules[rule.code] = rule
    return Plugins(tuple(sorted(rules.values(), key=lambda r: r.code)), tuple(problems))


def _rules_in(loaded: Any) -> list[Any]:
    items = list(loaded) if isinstance(loaded, list | tuple) else [loaded]
    return [item() if isinstance(item, type) and issubclass(item, Rule) else item
            for item in items]


def _invalid(rule: Any, taken: dict[str, Rule]) -> str | None:
    """Why ``rule`` cannot be used, or None."""
    if not isinstance(rule, Rule):
        return f"`{rule!r}` is not a telemetry_contracts.validators.rule.Rule"
    code = getattr(rule, "code", "")
    if not PLUGIN_CODE.fullmatch(str(code)):
        return f"rule `{type(rule).__name__}` has code `{code}`, not one of TCX001-TCX999"
    missing = [field for field in DOCUMENTED if not getattr(rule, field, None)]
    if missing:
        return f"rule {code} lacks {', '.join(f'`{field}`' for field in missing)}"
    if getattr(rule, "severity", None) not in ("error", "warning", "info"):
        return f"rule {code} has severity `{getattr(rule, 'severity', None)}`"
    if code in taken:
        return f"rule {code} is already provided by {type(taken[code]).__module__}"
    return None


def described(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".rstrip(": ")


def plugin_problem(point: EntryPoint, problem: str) -> Finding:
    """The TC120 finding of a plugin that cannot be used."""
    return Finding(code="TC120", severity="warning",
                   message=f"plugin `{point.name}` ({point.value}) {problem}",
                   location=Location(file=f"entry point {point.name}"))
