"""Validation rules and compatibility classification on top of the contract model.

``check(snapshot)`` runs every lint rule on a resolved snapshot; ``all_rules()`` lists them.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.validators.rule import COLLECTIONS, Context, Rule, rule_failed

__all__ = ["Rule", "all_rules", "check", "code_matches"]


def all_rules() -> tuple[Rule, ...]:
    """Every lint rule, in code order."""
    from telemetry_contracts.validators.catalog import RULES

    return RULES


@cache
def _builtin() -> frozenset[Rule]:
    return frozenset(all_rules())


@cache
def _rules_for(present: frozenset[str]) -> tuple[Rule, ...]:
    """The rules that may find something in a snapshot whose non-empty collections are
    ``present`` (see :attr:`Rule.reads`)."""
    return tuple(rule for rule in all_rules() if rule.reads & present)


def code_matches(code: str, patterns: Iterable[str]) -> bool:
    """True when ``code`` equals or starts with one of ``patterns`` (``TC2`` matches ``TC201``)."""
    return any(code.startswith(pattern.strip().upper()) for pattern in patterns if pattern.strip())


def check(
    snapshot: Snapshot,
    *,
    baseline: Snapshot | None = None,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    rules: Iterable[Rule] | None = None,
) -> list[Finding]:
    """Run the selected rules on ``snapshot``; ``baseline`` is the semantic-convention
    registry that namespace-collision rules compare against (none: those rules stay quiet).

    ``rules`` replaces the built-in ones (a :class:`~telemetry_contracts.validators.rule_set.
    RuleSet` adds declared and plugin rules); one of those that raises gives a TC121 finding.
    """
    select, ignore = tuple(select), tuple(ignore)
    context = Context(snapshot, baseline)
    findings: list[Finding] = []
    present = frozenset(name for name in COLLECTIONS if getattr(snapshot, name))
    chosen = _rules_for(present) if rules is None else tuple(
        rule for rule in rules if rule.reads & present)
    if select or ignore:
        chosen = tuple(rule for rule in chosen if (not select or code_matches(rule.code, select))
                       and not code_matches(rule.code, ignore))
    builtin = _builtin()
    for rule in chosen:
        if rule in builtin:
            findings.extend(rule.check(context))
            continue
        try:
            findings.extend(rule.check(context))
        except Exception as error:  # a declared or plugin rule must not stop the others
            findings.append(rule_failed(rule, error, snapshot))
    findings.sort(key=lambda f: (f.location.file, f.location.line, f.location.column, f.code))
    return findings
