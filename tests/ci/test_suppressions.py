"""The suppression helpers that ``lint`` and ``check-code`` share."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from telemetry_contracts.ci import suppressions
from telemetry_contracts.schemas.findings import ContractError, Finding, Location


def finding(code: str, file: str = "src/app.py", line: int = 3, subject: str | None = "x",
            message: str = "m") -> Finding:
    return Finding(code=code, severity="warning", message=message,
                   location=Location(file=file, line=line, column=1), subject=subject)


def test_select_and_ignore_by_prefix() -> None:
    findings = [finding("TC201"), finding("TC301"), finding("TC802")]
    assert [f.code for f in suppressions.select_codes(findings, ["TC2", "tc8"])] == [
        "TC201", "TC802"]
    assert [f.code for f in suppressions.select_codes(findings, [], ["TC3"])] == [
        "TC201", "TC802"]


def test_inline_codes() -> None:
    assert suppressions.inline_codes("x = 1  # telemetry-contracts: ignore[TC802, tc803]") == [
        "TC802", "TC803"]
    assert suppressions.inline_codes("key: a  #telemetry-contracts:ignore[TC2]") == ["TC2"]
    assert suppressions.inline_codes("key: a  # noqa") == []


def test_inline_ignored_reads_the_findings_own_line(tmp_path: Path) -> None:
    source = tmp_path / "app.py"
    source.write_text("a = 1\nb = 2  # telemetry-contracts: ignore[TC802]\nc = 3\n")
    reader = suppressions.file_line_reader()
    findings = [finding("TC802", str(source), 2), finding("TC802", str(source), 3),
                finding("TC803", str(source), 2), finding("TC802", "missing.py", 2)]
    kept = suppressions.inline_ignored(findings, reader)
    assert [(f.code, f.location.line, f.location.file == str(source)) for f in kept] == [
        ("TC802", 3, True), ("TC803", 2, True), ("TC802", 2, False)]


def test_per_path_ignores_match_paths_relative_to_the_root(tmp_path: Path) -> None:
    findings = [finding("TC802", str(tmp_path / "legacy" / "old.py")),
                finding("TC802", str(tmp_path / "src" / "new.py"))]
    kept = suppressions.per_path_ignored(findings, {"legacy/*": ["TC8"]}, tmp_path)
    assert [Path(f.location.file).name for f in kept] == ["new.py"]


def test_baseline_round_trip_counts_duplicates(tmp_path: Path) -> None:
    old = [finding("TC802", subject="a"), finding("TC802", subject="a", line=9),
           finding("TC703", subject=None, message="looks sensitive")]
    path = tmp_path / "baseline.json"
    assert suppressions.write_findings_baseline(path, old, tmp_path) == 2
    accepted = suppressions.read_findings_baseline(path)
    assert sum(accepted.values()) == 3
    now = [*old, finding("TC802", subject="a", line=20), finding("TC802", subject="b")]
    fresh = suppressions.new_findings(now, accepted, tmp_path)
    assert [(f.subject, f.location.line) for f in fresh] == [("a", 20), ("b", 3)]


def test_new_findings_with_empty_baseline_keeps_all() -> None:
    findings = [finding("TC802")]
    assert suppressions.new_findings(findings, Counter(), Path(".")) == findings


@pytest.mark.parametrize("content", ["{", '{"format": "other"}',
                                     '{"format": "telemetry-contracts/findings-baseline/1", '
                                     '"findings": [{"code": "TC1"}]}'])
def test_bad_baseline_files_are_input_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(ContractError):
        suppressions.read_findings_baseline(path)


def test_non_local_files_keep_their_name() -> None:
    assert suppressions.relative_path("git:HEAD:telemetry/a.yaml", Path("/x")) == (
        "git:HEAD:telemetry/a.yaml")
