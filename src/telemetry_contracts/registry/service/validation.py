"""The one place the service runs the ``validators`` rules and the compatibility classification."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.validators.compatibility import compare

Bump = str
"""``major``, ``minor``, ``patch`` or ``none``."""


@dataclass(frozen=True)
class Classification:
    """What changed between two snapshots, the semver bump it needs and what breaks ``mode``."""

    bump: Bump
    changes: list[dict[str, Any]] = field(default_factory=list)
    breaking: list[dict[str, Any]] = field(default_factory=list)


def findings_for(candidate: Snapshot, baseline: Snapshot, subjects: set[str]) -> list[Finding]:
    """The rule findings on ``candidate`` (against ``baseline``) about the proposal's subjects."""
    check = getattr(importlib.import_module("telemetry_contracts.validators"), "check", None)
    if check is None:  # the rule set is not part of this installation
        return []
    findings: list[Finding] = check(candidate, baseline=baseline)
    return [f for f in findings if f.subject is not None and _about(f.subject, subjects)]


def _about(subject: str, subjects: set[str]) -> bool:
    return subject in subjects or any(subject.startswith(name + ".") for name in subjects)


def classify(old: Snapshot, new: Snapshot, mode: str) -> Classification:
    """The compatibility classification of ``old`` → ``new`` under ``mode``."""
    diff = compare(old, new)
    return Classification(
        bump=diff.bump,
        changes=[change.model_dump(mode="json", exclude_none=True) for change in diff.changes],
        breaking=[change.model_dump(mode="json", exclude_none=True)
                  for change in diff.breaking(mode)],
    )


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

