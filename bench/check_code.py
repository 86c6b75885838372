"""Benchmark: ``check-code`` files per second against byte-compiling the same files.

Corpus: every module of the installed ``opentelemetry`` namespace plus other installed
packages (web, ORM, CLI and packaging libraries), at least 1,000 files, checked against the
official semantic conventions v1.44.0 (resolved once, outside the timing). Baseline in the same
run: :func:`py_compile.compile` of each file into a temporary folder (what ``python -m
py_compile`` does per file, without an interpreter start per file). Rounds are interleaved and
medians reported.

    python bench/check_code.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import py_compile
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from telemetry_contracts.ci import code_scanner
from telemetry_contracts.ci.code_scanner import check_code
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.snapshot import Snapshot

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MODEL = PROJECT_ROOT.parent / "shared" / "corpora" / "semconv" / "v1.44.0" / "model"
PACKAGES = ("opentelemetry", "pydantic", "sqlalchemy", "fastapi", "starlette", "rich", "typer",
            "alembic", "httpx", "jsonschema", "yaml", "click")
MIN_FILES = 1000
GOAL_FILES_PER_SECOND = 500


def corpus() -> list[Path]:
    """The installed packages' ``.py`` files, in a fixed order."""
    files: list[Path] = []
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            files.extend(sorted(Path(location).rglob("*.py")))
    return files


def time_scanner(files: list[Path], snapshot: Snapshot) -> tuple[float, int, int]:
    start = time.perf_counter()
    result = check_code(files, snapshot)
    elapsed = time.perf_counter() - start
    return elapsed, result.files_parsed, len(result.findings)


def time_py_compile(files: list[Path], target: Path) -> float:
    start = time.perf_counter()
    for index, path in enumerate(files):
        with contextlib.suppress(py_compile.PyCompileError):
            py_compile.compile(str(path), cfile=str(target / f"{index}.pyc"), doraise=True)
    return time.perf_counter() - start


def without_prefilter(run: Callable[[], tuple[float, int, int]]) -> tuple[float, int, int]:
    """The scanner with every file parsed: what the text pre-filter saves."""
    original = code_scanner.has_trigger
    code_scanner.has_trigger = lambda source: True
    try:
        return run()
    finally:
        code_scanner.has_trigger = original


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    if not MODEL.is_dir():
        print(f"semantic-convention model not found at {MODEL}", file=sys.stderr)
        return 2
    files = corpus()
    if len(files) < MIN_FILES:
        print(f"only {len(files)} files installed; need {MIN_FILES}", file=sys.stderr)
        return 2
    snapshot = load_registry(str(MODEL)).snapshot
    size = sum(path.stat().st_size for path in files)
    print(f"corpus: {len(files)} files, {size / 1e6:.1f} MB "
          f"({', '.join(PACKAGES)}); registry: semconv {snapshot.version}")

    scan_times: list[float] = []
    full_times: list[float] = []
    compile_times: list[float] = []
    check_code(files, snapshot)  # warm the page cache and the semconv constant cache
    with tempfile.TemporaryDirectory() as temporary:
        for _ in range(arguments.rounds):
            elapsed, parsed, findings = time_scanner(files, snapshot)
            scan_times.append(elapsed)
            compile_times.append(time_py_compile(files, Path(temporary)))
            full_elapsed, _, full_findings = without_prefilter(
                lambda: time_scanner(files, snapshot)
            )
            full_times.append(full_elapsed)
            if full_findings != findings:
                print(f"pre-filter lost findings: {findings} != {full_findings}", file=sys.stderr)
                return 1

    scan, full, compiled = (statistics.median(t) for t in (scan_times, full_times, compile_times))
    rate = len(files) / scan
    print(f"check-code:            {scan:7.3f} s  {rate:8.0f} files/s  "
          f"({parsed} files parsed, {findings} findings)")
    print(f"check-code, no filter: {full:7.3f} s  {len(files) / full:8.0f} files/s  "
          f"(every file parsed)")
    print(f"py_compile baseline:   {compiled:7.3f} s  {len(files) / compiled:8.0f} files/s")
    print(f"ratio check-code / py_compile time: {scan / compiled:.2f}  "
          f"(no filter: {full / compiled:.2f}); medians of {arguments.rounds} interleaved rounds")
    verdict = "meets" if rate >= GOAL_FILES_PER_SECOND else "MISSES"
    print(f"goal >= {GOAL_FILES_PER_SECOND} files/s: {verdict} ({rate:.0f} files/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
