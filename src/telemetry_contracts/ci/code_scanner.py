"""``check-code``: find telemetry call sites in Python files and check them against a registry.

Each file is read once, skipped unless it holds a trigger substring, parsed once with
:mod:`ast` (never imported), and judged by :mod:`~telemetry_contracts.ci.scanner.checks`;
``--fix`` rewrites deprecated literal names in place.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from telemetry_contracts.ci import suppressions
from telemetry_contracts.ci.config import PYPROJECT, ProjectConfig
from telemetry_contracts.ci.scanner.call_sites import find_call_sites
from telemetry_contracts.ci.scanner.checks import Problem, RegistryIndex, check_call_sites
from telemetry_contracts.ci.scanner.fixes import apply_fixes
from telemetry_contracts.ci.scanner.triggers import has_trigger
from telemetry_contracts.ci.verdict import judge
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.findings import (
    ContractError,
    Finding,
    Location,
    Severity,
)
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.schemas.violations import Violation
from telemetry_contracts.validators import code_matches
from telemetry_contracts.validators.custom import regraded

MAX_SOURCE_BYTES = 2 * 1024 * 1024
SKIPPED_DIRECTORIES = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", ".mypy_cache", ".ruff_cache",
     ".pytest_cache", "__pycache__", "__pypackages__", "node_modules", "build", "dist",
     "site-packages", ".eggs"}
)
"""Folders never entered when walking a directory (files named explicitly are still read)."""
UNREADABLE = "TC100"
CHECK_CODE_CODES = (
    UNREADABLE,
    *(violation.code for violation in (
        Violation.UNKNOWN_METRIC, Violation.UNKNOWN_ATTRIBUTE, Violation.DEPRECATED_NAME,
        Violation.WRONG_TYPE, Violation.INSTRUMENT_MISMATCH, Violation.UNIT_MISMATCH,
    )),
)
"""The codes ``check-code`` reports."""

Enabled = Callable[[Path, str], bool]
"""``enabled(file, code)``: whether a rule runs on a file (selection and per-path ignores)."""


@dataclass
class CodeCheckResult:
    """What a run found: findings left to report, findings fixed, and how many files it saw."""

    findings: list[Finding] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    files_scanned: int = 0
    files_parsed: int = 0
    files_fixed: int = 0
    exit_code: int = 0
    accepted: int = 0
    """Findings left out because the findings baseline accepts them."""
    baseline_written: int | None = None


def python_files(
    paths: Iterable[Path], exclude: Sequence[str] = (), root: Path | None = None
) -> Iterator[Path]:
    """The ``.py`` files under ``paths`` (files given directly are kept), minus ``exclude``."""
    root = root or Path.cwd()
    for path in paths:
        relative = PurePosixPath(suppressions.relative_path(str(path), root))
        if _excluded(relative, exclude):
            continue
        if not path.is_dir():
            yield path
            continue
        for directory, subdirectories, files in os.walk(path):
            subdirectories[:] = sorted(
                name for name in subdirectories if name not in SKIPPED_DIRECTORIES
            )
            inner = PurePosixPath(Path(directory).relative_to(path).as_posix())
            for name in sorted(files):
                if name.endswith(".py") and not _excluded(relative / inner / name, exclude):
                    yield Path(directory, name)


def check_code(
    files: Iterable[Path],
    snapshot: Snapshot,
    *,
    fix: bool = False,
    enabled: Enabled = lambda path, code: True,
) -> CodeCheckResult:
    """Check every file; with ``fix``, rewrite deprecated literals and report what is left."""
    index = RegistryIndex(snapshot)
    result = CodeCheckResult()
    for path in files:
        result.files_scanned += 1
        display = str(path)
        source, error = _read(path, display)
        if error is not None:
            result.findings.append(error)
            continue
        if source is None or not has_trigger(source):
            continue
        result.files_parsed += 1
        problems, error = scan_source(source, display, index)
        if error is not None:
            result.findings.append(error)
            continue
        problems = _enabled_problems(problems, source, enabled, path)
        if fix and any(problem.replacement for problem in problems):
            fixed_source, fixed = apply_fixes(source, problems)
            if fixed:
                path.write_bytes(fixed_source)
                result.files_fixed += 1
                result.fixed.extend(_findings(fixed, display, source))
                # Report what is left where it now is: rewritten literals shift columns.
                source = fixed_source
                problems, error = scan_source(source, display, index)
                problems = _enabled_problems(problems, source, enabled, path)
                if error is not None:
                    result.findings.append(error)
        result.findings.extend(_findings(problems, display, source))
    return result


def scan_source(
    source: bytes, display: str, index: RegistryIndex
) -> tuple[list[Problem], Finding | None]:
    """The problems of one file's source, or the finding that says it cannot be parsed."""
    try:
        tree = ast.parse(source, display)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        line = getattr(error, "lineno", None) or 0
        message = getattr(error, "msg", None) or str(error) or type(error).__name__
        return [], _unreadable(display, f"cannot parse Python: {message}; not checked", line)
    sites = find_call_sites(tree, source)
    problems = sorted(check_call_sites(sites, index), key=_position)
    return problems, None


def _read(path: Path, display: str) -> tuple[bytes | None, Finding | None]:
    try:
        with path.open("rb") as handle:
            source = handle.read(MAX_SOURCE_BYTES + 1)
    except OSError as error:
        return None, _unreadable(display, f"cannot read file: {error.strerror or error}")
    if len(source) > MAX_SOURCE_BYTES:
        return None, _unreadable(display, f"file is over {MAX_SOURCE_BYTES:,} bytes; not checked")
    return source, None


def _unreadable(display: str, message: str, line: int = 0) -> Finding:
    return Finding(code=UNREADABLE, severity="warning", message=message,
                   location=Location(file=display, line=line, column=1 if line else 0))


def _enabled_problems(
    problems: list[Problem], source: bytes, enabled: Enabled, path: Path
) -> list[Problem]:
    """Problems whose rule runs on ``path`` and is not silenced by a comment on its line."""
    kept = [problem for problem in problems if enabled(path, problem.violation.code)]
    if not kept or b"telemetry-contracts" not in source:
        return kept
    lines = source.splitlines()
    return [
        problem for problem in kept
        if not code_matches(
            problem.violation.code,
            suppressions.inline_codes(_line_text(lines, problem.line)),
        )
    ]


def _line_text(lines: list[bytes], line: int) -> str:
    return lines[line - 1].decode("utf-8", "replace") if 0 < line <= len(lines) else ""


def _position(problem: Problem) -> tuple[int, int, str]:
    return problem.line, problem.column, problem.violation.code


def _findings(problems: Sequence[Problem], display: str, source: bytes) -> Iterator[Finding]:
    lines = source.splitlines() if problems else []
    for problem in problems:
        line = problem.line
        before = lines[line - 1][: problem.column] if 0 < line <= len(lines) else b""
        yield Finding(
            code=problem.violation.code,
            severity="error",
            message=problem.message,
            location=Location(
                file=display, line=line, column=len(before.decode("utf-8", "replace")) + 1
            ),
            subject=problem.use.value,
            hint=problem.hint,
        )


def run_check_code(
    paths: Sequence[Path],
    registry: str | None,
    config: ProjectConfig,
    *,
    fix: bool = False,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    fail_on: Severity | None = None,
    baseline_file: Path | None = None,
    write_baseline: Path | None = None,
) -> CodeCheckResult:
    """``check-code`` as the CLI runs it: options first, then ``[tool.telemetry-contracts]``.

    ``select`` replaces the configured selection, ``ignore`` adds to it; a findings baseline
    (given or configured) leaves out the findings it accepts.
    """
    suppressions.require_known_codes(
        [("--select", select), ("--ignore", ignore),
         (str(config.root / PYPROJECT), [*config.select, *config.ignore])])
    reference = registry or config.reference("registry")
    if not reference:
        raise ContractError(
            "TC100", "no registry to check against: pass --registry REG or set `registry` "
            "in [tool.telemetry-contracts]", str(config.root / PYPROJECT),
        )
    for path in paths:
        if not path.exists():
            raise ContractError("TC100", "no such file or directory", str(path))
    sources = list(paths) or [_display_path(config.root / path) for path in config.source_paths]
    for source in sources[len(paths):]:
        if not source.exists():
            raise ContractError("TC100", f"`source-paths` names `{source}`, which does not "
                                "exist", str(config.root / PYPROJECT))
    snapshot = load_registry(reference).snapshot
    files = python_files(sources, config.exclude, config.root)
    enabled = _rule_filter(config, list(select) or config.select, [*config.ignore, *ignore])
    result = check_code(files, snapshot, fix=fix, enabled=enabled)
    findings = suppressions.per_path_regraded(
        regraded(result.findings, config.severity), config.per_path_severity, config.root)
    verdict = judge(findings, config, fail_on, baseline_file, write_baseline)
    result.findings, result.exit_code = verdict.findings, verdict.exit_code
    result.accepted, result.baseline_written = verdict.accepted, verdict.baseline_written
    return result


def _rule_filter(config: ProjectConfig, select: Sequence[str], ignore: Sequence[str]) -> Enabled:
    """Selection, ignores and per-path ignores, decided before ``--fix`` touches a file."""

    def enabled(path: Path, code: str) -> bool:
        if (select and not code_matches(code, select)) or code_matches(code, ignore):
            return False
        relative = suppressions.relative_path(str(path), config.root)
        return not any(
            fnmatchcase(relative, pattern) and code_matches(code, codes)
            for pattern, codes in config.per_path_ignores.items()
        )

    return enabled


def _excluded(relative: PurePosixPath, patterns: Sequence[str]) -> bool:
    """Whether an ``exclude`` glob matches a path, its name, or one of its parent folders."""
    if not patterns:
        return False
    candidates = [relative, *(parent for parent in relative.parents if parent.name)]
    return any(
        fnmatchcase(str(candidate), pattern) or fnmatchcase(candidate.name, pattern)
        for candidate in candidates
        for pattern in patterns
    )


def _display_path(path: Path) -> Path:
    """``path`` relative to the working directory when inside it, as users wrote it."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path
