"""Validation rules and compatibility classification on top of the contract model.

``check(snapshot)`` runs every lint rule on a resolved snapshot; ``all_rules()`` lists them.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.validators.rule import COLLECTIONS, Context, Rule

__all__ = ["Rule", "all_rules", "check", "code_matches"]


def all_rules() -> tuple[Rule, ...]:
    """Every lint rule, in code order."""
    from telemetry_contracts.validators.catalog import RULES

    return RULES


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
) -> list[Finding]:
    """Run the selected rules on ``snapshot``; ``baseline`` is the semantic-convention
    registry that namespace-collision rules compare against (none: those rules stay quiet)."""
    select, ignore = tuple(select), tuple(ignore)
    context = Context(snapshot, baseline)
    findings: list[Finding] = []
    rules = _rules_for(frozenset(name for name in COLLECTIONS if getattr(snapshot, name)))
    if select or ignore:
        rules = tuple(rule for rule in rules if (not select or code_matches(rule.code, select))
                      and not code_matches(rule.code, ignore))
    for rule in rules:
        findings.extend(rule.check(context))
    findings.sort(key=lambda f: (f.location.file, f.location.line, f.location.column, f.code))
    return findings
