"""Ways to silence findings: code selection, per-path ignores, inline comments, and a findings
baseline that records accepted findings so that only new ones fail a run.

``lint`` and ``check-code`` share these; each passes a way to read a source line.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from telemetry_contracts.schemas.findings import ContractError, Finding, Severity
from telemetry_contracts.validators import code_matches
from telemetry_contracts.validators.custom import regraded

INLINE_IGNORE = re.compile(r"#\s*telemetry-contracts:\s*ignore\[([^\]]*)\]")
BASELINE_FORMAT = "telemetry-contracts/findings-baseline/1"

LineReader = Callable[[str, int], str | None]
"""``read_line(file, line)``: the text of a 1-based line, None when it cannot be read."""
BaselineKey = tuple[str, str, str]


CUSTOM_CODE_PREFIX = re.compile(r"TC[DX]\d{0,3}")
"""Declared (TCD) and plugin (TCX) codes, or a prefix of them: whether such a rule is there
depends on the plugins installed where the command runs."""


def require_known_codes(sources: Iterable[tuple[str, Sequence[str]]]) -> None:
    """TC100 (exit 2) for a code in ``select`` or ``ignore`` that is no code and no prefix of
    one: a typo in ``--select`` would otherwise silence every finding and pass the run.

    ``sources`` pairs where the codes were given (an option, a configuration file) with them.
    """
    from telemetry_contracts.ci.rule_docs import indexed_codes

    known = [doc.code for doc in indexed_codes()]
    for where, codes in sources:
        for code in codes:
            wanted = code.strip().upper()
            if CUSTOM_CODE_PREFIX.fullmatch(wanted) or any(
                    known_code.startswith(wanted) for known_code in known):
                continue
            raise ContractError(
                "TC100", f"`{code}` is not a rule code or the start of one; "
                "`telemetry-contracts rules` lists them", where)


def select_codes(
    findings: Iterable[Finding], select: Sequence[str] = (), ignore: Sequence[str] = ()
) -> list[Finding]:
    """Findings whose code is selected (all when ``select`` is empty) and not ignored."""
    return [
        f for f in findings
        if (not select or code_matches(f.code, select)) and not code_matches(f.code, ignore)
    ]


def relative_path(file: str, root: Path) -> str:
    """``file`` relative to ``root`` in POSIX form; unchanged when it is not a local path."""
    if ":" in file.split("/", 1)[0] or not file:
        return file
    try:
        return Path(os.path.relpath(os.path.abspath(file), root)).as_posix()
    except ValueError:
        return file


def per_path_ignored(
    findings: Iterable[Finding], per_path_ignores: Mapping[str, Sequence[str]], root: Path
) -> list[Finding]:
    """Findings not ignored by a ``per-path-ignores`` glob matching their file (from ``root``)."""
    kept = []
    for finding in findings:
        path = relative_path(finding.location.file, root)
        codes = [
            code for pattern, listed in per_path_ignores.items()
            if fnmatch.fnmatchcase(path, pattern) for code in listed
        ]
        if not codes or not code_matches(finding.code, codes):
            kept.append(finding)
    return kept


def per_path_regraded(
    findings: Iterable[Finding], per_path_severity: Mapping[str, Mapping[str, Severity]],
    root: Path,
) -> list[Finding]:
    """``findings`` with the ``per-path-severity`` table of the first glob matching their file
    (from ``root``)."""
    if not per_path_severity:
        return list(findings)
    result = []
    for finding in findings:
        path = relative_path(finding.location.file, root)
        table = next((table for pattern, table in per_path_severity.items()
                      if fnmatch.fnmatchcase(path, pattern)), None)
        result.extend(regraded([finding], table) if table else [finding])
    return result


def inline_codes(line: str) -> list[str]:
    """The codes a ``# telemetry-contracts: ignore[CODE, ...]`` comment on ``line`` names."""
    match = INLINE_IGNORE.search(line)
    if match is None:
        return []
    return [code.strip().upper() for code in match.group(1).split(",") if code.strip()]


def inline_ignored(findings: Iterable[Finding], read_line: LineReader) -> list[Finding]:
    """Findings not silenced by an inline ignore comment on their own line."""
    kept = []
    for finding in findings:
        line = read_line(finding.location.file, finding.location.line) if (
            finding.location.line) else None
        if line is None or not code_matches(finding.code, inline_codes(line)):
            kept.append(finding)
    return kept


def file_line_reader() -> LineReader:
    """A :data:`LineReader` over local files that reads each file once."""

    @lru_cache(maxsize=256)
    def lines_of(file: str) -> tuple[str, ...]:
        try:
            return tuple(Path(file).read_text(encoding="utf-8", errors="replace").splitlines())
        except OSError:
            return ()

    def read_line(file: str, line: int) -> str | None:
        lines = lines_of(file)
        return lines[line - 1] if 0 < line <= len(lines) else None

    return read_line


def baseline_key(finding: Finding, root: Path) -> BaselineKey:
    """What a baseline entry matches on: code, subject (else message) and file, not the line,
    so entries survive edits elsewhere in the file."""
    return (
        finding.code,
        finding.subject or finding.message,
        relative_path(finding.location.file, root),
    )


def write_findings_baseline(path: Path, findings: Iterable[Finding], root: Path) -> int:
    """Record ``findings`` as accepted; returns how many entries were written."""
    counts = Counter(baseline_key(finding, root) for finding in findings)
    entries = [
        {"code": code, "subject": subject, "file": file, "count": count}
        for (code, subject, file), count in sorted(counts.items())
    ]
    document = {"format": BASELINE_FORMAT, "findings": entries}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return len(entries)


def read_findings_baseline(path: Path) -> Counter[BaselineKey]:
    """The accepted findings of a baseline file, counted by key."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ContractError("TC100", f"cannot read findings baseline: {error.strerror}",
                            str(path)) from None
    except json.JSONDecodeError as error:
        raise ContractError("TC102", f"findings baseline is not JSON: {error.msg}", str(path),
                            error.lineno, error.colno) from None
    if not isinstance(document, dict) or document.get("format") != BASELINE_FORMAT:
        raise ContractError("TC102", f"not a findings baseline (expected format "
                            f"{BASELINE_FORMAT})", str(path))
    counts: Counter[BaselineKey] = Counter()
    for entry in document.get("findings", []):
        try:
            key = (str(entry["code"]), str(entry["subject"]), str(entry["file"]))
            counts[key] += int(entry.get("count", 1))
        except (KeyError, TypeError, ValueError):
            raise ContractError("TC102", f"malformed findings baseline entry: {entry!r}",
                                str(path)) from None
    return counts


def new_findings(
    findings: Sequence[Finding], accepted: Counter[BaselineKey], root: Path
) -> list[Finding]:
    """The findings beyond those the baseline accepts (per key, the first ones are accepted)."""
    remaining = Counter(accepted)
    fresh = []
    for finding in findings:
        key = baseline_key(finding, root)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            fresh.append(finding)
    return fresh
