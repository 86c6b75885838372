"""The one place the service runs the ``validators`` rules and the compatibility classification."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.snapshot import Snapshot

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
    try:
        from telemetry_contracts.validators import check  # type: ignore[attr-defined]
    except ImportError:  # validators rules not merged yet
        return []
    return [
        finding
        for finding in check(candidate, baseline=baseline)
        if finding.subject is not None and _about(finding.subject, subjects)
    ]


def _about(subject: str, subjects: set[str]) -> bool:
    return subject in subjects or any(subject.startswith(name + ".") for name in subjects)


def classify(old: Snapshot, new: Snapshot, mode: str) -> Classification:
    """The compatibility classification of ``old`` → ``new`` under ``mode``."""
    try:
        from telemetry_contracts.validators.compatibility import compare
    except ImportError:  # compatibility classification not merged yet
        return _interim_classify(old, new)
    diff = compare(old, new)
    return Classification(
        bump=str(diff.bump),
        changes=[_as_dict(change) for change in diff.changes],
        breaking=[_as_dict(change) for change in diff.breaking(mode)],
    )


def _as_dict(change: object) -> dict[str, Any]:
    dump = getattr(change, "model_dump", None)
    if dump is not None:
        result: dict[str, Any] = dump(mode="json")
        return result
    return {"change": str(change)}


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


def _interim_classify(old: Snapshot, new: Snapshot) -> Classification:
    changes: list[dict[str, Any]] = []
    for kind in ("attributes", "metrics"):
        key = "key" if kind == "attributes" else "name"
        before = {getattr(item, key): item for item in getattr(old, kind)}
        after = {getattr(item, key): item for item in getattr(new, kind)}
        for name in before.keys() - after.keys():
            changes.append({"kind": kind, "name": name, "change": "removed", "breaking": True})
        for name in after.keys() - before.keys():
            changes.append({"kind": kind, "name": name, "change": "added", "breaking": False})
        for name in before.keys() & after.keys():
            if before[name] != after[name]:
                changes.append({"kind": kind, "name": name, "change": "changed", "breaking": False})
    breaking = [change for change in changes if change["breaking"]]
    bump = "major" if breaking else "minor" if changes else "none"
    return Classification(bump=bump, changes=changes, breaking=breaking)
