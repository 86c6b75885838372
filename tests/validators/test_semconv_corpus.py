"""The official semantic conventions are the reference for what is valid."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from telemetry_contracts.resolution.baseline import baseline_snapshot
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.validators import check


def test_v1_44_model_has_no_error_level_finding(semconv_v1_44: Path) -> None:
    findings = check(load_registry(semconv_v1_44).snapshot, baseline=baseline_snapshot())
    assert [f.one_line() for f in findings if f.severity == "error"] == []
    for finding in findings:
        assert Path(finding.location.file).is_file() and finding.location.line >= 1
        assert finding.subject


def test_v1_44_findings_are_the_known_deviations(semconv_v1_44: Path) -> None:
    """A few real deviations of the official model surface as warnings: rename targets with
    another unit or instrument, `rpm` (not UCUM), `%`, and an e-mail key with no sensitivity."""
    findings = check(load_registry(semconv_v1_44).snapshot)
    by_code = Counter(f.code for f in findings)
    assert by_code["TC505"] >= 1 and by_code["TC302"] >= 1
    subjects = {f.subject for f in findings}
    assert {"hw.fan.speed", "user.email", "cpu.frequency"} <= subjects
