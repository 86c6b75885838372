"""The end of ``lint`` and ``check-code`` alike: record or apply the findings baseline, then
decide the exit code from the failing severity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from telemetry_contracts.ci import suppressions
from telemetry_contracts.ci.config import ProjectConfig
from telemetry_contracts.schemas.findings import SEVERITY_RANK, Finding, Severity


@dataclass
class Verdict:
    findings: list[Finding]
    """What is left to report."""
    exit_code: int
    accepted: int = 0
    """Findings left out because the findings baseline accepts them."""
    baseline_written: int | None = None
    """With ``write_baseline``: how many findings were recorded (nothing is reported)."""


def judge(
    findings: Sequence[Finding],
    config: ProjectConfig,
    fail_on: Severity | None,
    baseline_file: Path | None,
    write_baseline: Path | None,
) -> Verdict:
    """Options given here replace the configuration's (``fail-on``, ``findings-baseline``)."""
    if write_baseline is not None:
        written = suppressions.write_findings_baseline(write_baseline, list(findings), config.root)
        return Verdict([], 0, baseline_written=written)
    accepted_file = baseline_file or (
        config.root / config.findings_baseline if config.findings_baseline else None
    )
    kept = list(findings)
    if accepted_file is not None:
        accepted = suppressions.read_findings_baseline(accepted_file)
        kept = suppressions.new_findings(kept, accepted, config.root)
    threshold = SEVERITY_RANK[fail_on or config.fail_on]
    failing = any(SEVERITY_RANK[f.severity] >= threshold for f in kept)
    return Verdict(kept, 1 if failing else 0, len(findings) - len(kept))
