"""``telemetry-contracts diff``: compare a registry with its baseline and report each change."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby

from telemetry_contracts.ci.choices import DiffFormat, FailOn
from telemetry_contracts.ci.reporters import RuleInfo, render
from telemetry_contracts.resolution.loader import LoadedRegistry, load_registry
from telemetry_contracts.schemas.codes import CHANGES
from telemetry_contracts.schemas.findings import Finding, Location, plural
from telemetry_contracts.validators.compatibility import (
    Change,
    CompatibilityMode,
    RegistryDiff,
    check_history,
    compare,
)

DIFF_RULES: dict[str, RuleInfo] = {
    doc.code: RuleInfo(code=doc.code, name=doc.name, summary=doc.summary) for doc in CHANGES
}
_HINTS = {doc.code: doc.fix for doc in CHANGES}


@dataclass
class DiffResult:
    """The diff of two loaded registries and how it was judged."""

    diff: RegistryDiff
    baseline: LoadedRegistry
    head: LoadedRegistry
    mode: CompatibilityMode
    earlier_breaking: list[Change] = field(default_factory=list)
    """Under a ``*_TRANSITIVE`` mode: what breaks against baselines older than ``baseline``."""

    @property
    def breaking(self) -> list[Change]:
        return self.diff.breaking(self.mode) + self.earlier_breaking

    def failing(self, fail_on: FailOn) -> list[Change]:
        """The changes that make the run fail under ``fail_on``."""
        if fail_on is FailOn.any:
            return list(self.diff.changes) + self.earlier_breaking
        if fail_on is FailOn.breaking:
            return self.breaking
        return []


def run_diff(
    baseline: str | Sequence[str],
    head: str,
    mode: CompatibilityMode = "BACKWARD",
    baseline_cwd: str | None = None,
    head_cwd: str | None = None,
) -> DiffResult:
    """Load the baseline(s) and ``head`` (directory, ``git:REV[:SUBDIR]``, snapshot or URL) and
    compare ``head`` with the newest baseline; each reference is taken relative to its ``*_cwd``
    (default: the working directory). Several baselines (oldest first) are a version history:
    a ``*_TRANSITIVE`` mode also checks ``head`` against each of the older ones."""
    references = [baseline] if isinstance(baseline, str) else list(baseline)
    history = [load_registry(reference, cwd=baseline_cwd) for reference in references]
    old, new = history[-1], load_registry(head, cwd=head_cwd)
    diff = compare(old.snapshot, new.snapshot)
    earlier: list[Change] = []
    if mode.endswith("_TRANSITIVE") and len(history) > 1:
        seen = {_identity(change) for change in diff.breaking(mode)}
        older = [loaded.snapshot for loaded in history[:-1]]
        earlier = [change for change in check_history([*older, new.snapshot], mode)
                   if _identity(change) not in seen]
    return DiffResult(diff, old, new, mode, earlier)


def _identity(change: Change) -> tuple[object, ...]:
    return (change.kind, change.subject_kind, change.subject, change.parent, change.field,
            str(change.new))


def change_findings(result: DiffResult) -> list[Finding]:
    """The breaking changes as findings, located in the head registry where known."""
    findings = []
    for change in result.breaking:
        code = change.code or "TC910"
        findings.append(Finding(
            code=code, severity="error", location=_head_location(change, result),
            message=f"{change.describe()} (breaks {result.mode} compatibility)",
            subject=change.parent or change.subject, hint=_HINTS.get(code),
        ))
    return findings


def _head_location(change: Change, result: DiffResult) -> Location:
    """Where a reviewer should look: the head definition, or for removals the head file that
    corresponds to the baseline file (at file level, since its old line no longer applies)."""
    head_origin = result.head.origin
    location = change.location
    if location is None:
        return Location(file=head_origin)
    baseline_origin = result.baseline.origin.rstrip("/")
    if location.file.startswith(baseline_origin + "/") and baseline_origin != head_origin:
        relative = location.file[len(baseline_origin) + 1:]
        return Location(file=f"{head_origin.rstrip('/')}/{relative}")
    return Location(file=location.file, line=location.line, column=location.column)


def render_diff(result: DiffResult, output_format: DiffFormat) -> str:
    """The report of ``result`` in ``output_format``."""
    if output_format is DiffFormat.json:
        document = result.diff.model_dump(mode="json", exclude_none=True)
        document["mode"] = result.mode
        document["breaking"] = [result.diff.changes.index(c)
                                for c in result.diff.breaking(result.mode)]
        document["breaking_against_earlier"] = [
            c.model_dump(mode="json", exclude_none=True) for c in result.earlier_breaking]
        return json.dumps(document, indent=2) + "\n"
    if output_format is DiffFormat.markdown:
        return _markdown(result)
    if output_format is DiffFormat.text:
        return _text(result)
    return render(change_findings(result), output_format.value, DIFF_RULES)


_GROUP_TITLES = {
    "removed": "Removed", "renamed": "Renamed", "obsoleted": "Obsoleted",
    "deprecated": "Deprecated", "changed": "Changed", "added": "Added",
}


def _ordered(changes: Sequence[Change], mode: CompatibilityMode) -> list[Change]:
    titles = list(_GROUP_TITLES)
    return sorted(changes, key=lambda c: (not c.breaks(mode), titles.index(c.kind)))


def _text(result: DiffResult) -> str:
    diff, mode = result.diff, result.mode
    lines = [f"{diff.registry}: {diff.old_version} -> {diff.new_version} "
             f"({result.baseline.origin} -> {result.head.origin})"]
    ordered = _ordered(diff.changes, mode)
    for breaking, group in groupby(ordered, key=lambda c: c.breaks(mode)):
        for kind, changes in groupby(group, key=lambda c: c.kind):
            title = _GROUP_TITLES[kind]
            lines.append(f"{'Breaking' if breaking else 'Compatible'} - {title}:")
            for change in changes:
                marker = f"{change.code} " if breaking and change.code else ""
                lines.append(f"  {marker}{change.describe()}{_where(change)}")
    if result.earlier_breaking:
        lines.append("Breaking - against earlier versions:")
        lines += [f"  {change.code} {change.describe()} (against {change.against})"
                  for change in result.earlier_breaking]
    lines.append(_summary(result))
    return "\n".join(lines) + "\n"


def _where(change: Change) -> str:
    return f"  ({change.location})" if change.location and change.location.line else ""


def _summary(result: DiffResult) -> str:
    count = len(result.diff.changes)
    return (f"{plural(count, 'change')}, {len(result.breaking)} breaking under "
            f"{result.mode}; semver bump: {result.diff.bump}")


def _markdown(result: DiffResult) -> str:
    diff, mode = result.diff, result.mode
    lines = [
        f"### Telemetry contract changes: `{diff.registry}` "
        f"{diff.old_version} → {diff.new_version}",
        "",
        f"{_summary(result)}.",
        "",
    ]
    if not diff.changes:
        return "\n".join([*lines, "No changes."]) + "\n"
    lines += ["| compatibility | change | subject | details |", "|---|---|---|---|"]
    for change in _ordered(diff.changes, mode):
        verdict = f"**breaking** ({change.code})" if change.breaks(mode) else "compatible"
        lines.append(f"| {verdict} | {change.kind} | {_cell(change.qualified_subject)} | "
                     f"{_cell(change.describe())} |")
    for change in result.earlier_breaking:
        lines.append(f"| **breaking** ({change.code}) against {change.against} | {change.kind} | "
                     f"{_cell(change.qualified_subject)} | {_cell(change.describe())} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
