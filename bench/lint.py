"""Benchmark: ``lint`` (resolve + every rule) of the whole semconv v1.44.0 model against
resolving it alone, measured interleaved in one run; prints median ratios and absolute times.

Run: ``python bench/lint.py [--rounds N] [MODEL_DIR]``. Goal: lint within 2x of resolve.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from telemetry_contracts.ci.lint import lint_registry
from telemetry_contracts.resolution.baseline import baseline_snapshot
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.validators import check

DEFAULT_MODEL = Path(__file__).resolve().parents[1].parent / "shared/corpora/semconv/v1.44.0/model"


def resolve_only(model: str) -> None:
    load_registry(model)


def lint(model: str) -> None:
    lint_registry(model)


def lint_with_cold_semconv_baseline(model: str) -> None:
    """What linting a custom registry costs: the semconv baseline parsed afresh, as in a new
    process, and the collision rules run against it."""
    baseline_snapshot.cache_clear()
    check(load_registry(model).snapshot, baseline=baseline_snapshot())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    parser.add_argument("--rounds", type=int, default=15)
    arguments = parser.parse_args()
    cases: dict[str, Callable[[str], None]] = {
        "resolve": resolve_only,
        "lint": lint,
        "lint + semconv baseline": lint_with_cold_semconv_baseline,
    }
    for case in cases.values():  # warm imports and file caches
        case(arguments.model)
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(arguments.rounds):
        for name, case in cases.items():
            start = time.perf_counter()
            case(arguments.model)
            timings[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    print(f"model: {arguments.model} ({arguments.rounds} interleaved rounds, medians)")
    for name, median in medians.items():
        ratio = median / medians["resolve"]
        print(f"{name:<26} {median * 1000:8.1f} ms   {ratio:5.2f}x resolve")
    verdict = "within" if medians["lint"] <= 2 * medians["resolve"] else "OVER"
    print(f"lint / resolve = {medians['lint'] / medians['resolve']:.2f} ({verdict} the 2x goal)")


if __name__ == "__main__":
    main()
