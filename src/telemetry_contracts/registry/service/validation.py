"""The one place the service runs the ``validators`` rules and the compatibility classification."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telemetry_contracts.registry.service.fragments import Edit
from telemetry_contracts.registry.service.index import ContractIndex
from telemetry_contracts.resolution.baseline import baseline_snapshot
from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.model import Attribute, Metric
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.validators.compatibility import compare
from telemetry_contracts.validators.custom import RuleSettings, read_rule_settings
from telemetry_contracts.validators.rule_set import RuleSet, rule_set

Contract = Attribute | Metric
Bump = str
"""``major``, ``minor``, ``patch`` or ``none``."""


@dataclass(frozen=True)
class Classification:
    """What changed between two snapshots, the semver bump it needs and what breaks ``mode``."""

    bump: Bump
    changes: list[dict[str, Any]] = field(default_factory=list)
    breaking: list[dict[str, Any]] = field(default_factory=list)


_active: list[RuleSet] = []
"""The rules proposals are checked with: built-in, declared (``Settings.rules_file``) and
plugin rules, set by :func:`use_rules` when the service starts."""
log = logging.getLogger(__name__)


def use_rules(rules_file: str | None) -> RuleSet:
    """Check proposals with the built-in rules, those ``rules_file`` declares and the installed
    plugins' rules from now on; a plugin that fails is logged in one line and left out."""
    settings = read_rule_settings(Path(rules_file)) if rules_file else RuleSettings()
    rules = rule_set(settings, rules_file or "the service's settings")
    for problem in rules.problems:
        log.warning("%s", problem.one_line())
    _active[:] = [rules]
    return rules


def active_rules() -> RuleSet:
    return _active[0] if _active else use_rules(None)


def semconv() -> Snapshot:
    """The semantic-convention baseline the naming and namespace rules compare against."""
    return baseline_snapshot()


def findings_for(candidate: Snapshot, subjects: set[str]) -> list[Finding]:
    """The ``validators`` findings about ``subjects`` in ``candidate``.

    The rules run on the subjects and what they name (referenced attributes, replacements), so
    a proposal costs what it touches rather than what the registry holds.
    """
    return _findings(_scoped(candidate, _neighbourhood(candidate, subjects)), subjects)


def findings_for_edit(base: ContractIndex, edit: Edit) -> list[Finding]:
    """:func:`findings_for` the snapshot ``base`` indexes with ``edit`` made, without building
    that snapshot: the neighbourhood is looked up in ``base`` and ``edit``."""

    def lookup(kind: str, table: Mapping[str, Contract]) -> Callable[[str], Contract | None]:
        if edit.kind == kind:
            return lambda name: edit.contract if name == edit.name else table.get(name)
        return table.get

    attribute, metric = lookup("attribute", base.attributes), lookup("metric", base.metrics)
    keys = _keys_around({edit.name}, attribute, metric)
    scoped = base.snapshot.model_copy(update={
        "attributes": tuple(a for a in map(attribute, sorted(keys)) if a is not None),
        "metrics": tuple(m for m in map(metric, sorted(keys)) if m is not None),
        "spans": (), "events": (), "entities": ()})
    return _findings(scoped, {edit.name})


def _findings(scoped: Snapshot, subjects: set[str]) -> list[Finding]:
    findings = active_rules().check(scoped, baseline=semconv())
    for failed in (f for f in findings if f.code == "TC121"):
        log.warning("%s", failed.one_line())
    return [f for f in findings if f.subject is not None and _about(f.subject, subjects)]


def _about(subject: str, subjects: set[str]) -> bool:
    return subject in subjects or any(subject.startswith(name + ".") for name in subjects)


def classify(old: Snapshot, new: Snapshot, mode: str,
             subjects: set[str] | None = None) -> Classification:
    """The compatibility classification of ``old`` → ``new`` under ``mode``.

    With ``subjects`` (the only contracts that differ), both sides are cut down to them and to
    what they name (replacements, referenced attributes) first, so a publish costs what it
    changes rather than what the registry holds.
    """
    if subjects is not None:
        keys = _neighbourhood(old, subjects) | _neighbourhood(new, subjects)
        old, new = _scoped(old, keys), _scoped(new, keys)
    diff = compare(old, new)
    return Classification(
        bump=diff.bump,
        changes=[change.model_dump(mode="json", exclude_none=True) for change in diff.changes],
        breaking=[change.model_dump(mode="json", exclude_none=True)
                  for change in diff.breaking(mode)],
    )


def _neighbourhood(snapshot: Snapshot, subjects: set[str]) -> set[str]:
    attributes = {a.key: a for a in snapshot.attributes if a.key in subjects}
    metrics = {m.name: m for m in snapshot.metrics if m.name in subjects}
    return _keys_around(subjects, attributes.get, metrics.get)


def _keys_around(subjects: set[str], attribute: Callable[[str], Contract | None],
                 metric: Callable[[str], Contract | None]) -> set[str]:
    """``subjects`` and what they name: replacements and a metric's attributes."""
    keys = set(subjects)
    for name in subjects:
        found_attribute, found_metric = attribute(name), metric(name)
        for contract in (found_attribute, found_metric):
            if contract is not None and contract.deprecated and contract.deprecated.renamed_to:
                keys.add(contract.deprecated.renamed_to)
        if isinstance(found_metric, Metric):
            keys.update(ref.key for ref in found_metric.attributes)
    return keys


def _scoped(snapshot: Snapshot, keys: set[str]) -> Snapshot:
    return snapshot.model_copy(update={
        "attributes": tuple(a for a in snapshot.attributes if a.key in keys),
        "metrics": tuple(m for m in snapshot.metrics if m.name in keys),
        "spans": (), "events": (), "entities": ()})


def next_version(current: str, bump: Bump) -> str:
    """``current`` raised by ``bump`` (``1.2.3`` + minor → ``1.3.0``)."""
    major, minor, patch = (int(part) for part in current.split(".")[:3])
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    if bump == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise ValueError(f"no version bump for `{bump}`")

