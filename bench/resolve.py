"""Load and resolve the official v1.44.0 model against PyYAML parsing the same files alone, and
the guard loading the built-in baseline with its history against ``json.loads`` of it alone.

Run: ``python bench/resolve.py [--rounds N]``. Prints medians of interleaved rounds and their
ratios (goals: resolve under 0.6 s and within 1.5x of parsing alone; the guard's load under
200 ms), and how fast hostile inputs are refused.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from telemetry_contracts.resolution.baseline import baseline_snapshot
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.findings import ContractError
from telemetry_contracts.sdk_guard import Guard

MODEL = Path(__file__).resolve().parents[1].parent / "shared/corpora/semconv/v1.44.0/model"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_only(files: list[Path]) -> None:
    """The baseline: PyYAML's fastest safe loader on every file, nothing else."""
    for path in files:
        yaml.load(path.read_bytes(), Loader=LOADER)


def guard_load(path: Path) -> None:
    """What a service pays at start: the guard reads the snapshot and compiles its policy."""
    Guard.from_file(path, environ={}).shutdown()


def timed(function: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def refusal_times(directory: Path) -> dict[str, float]:
    """Seconds until each hostile input is refused (one run each, cold)."""
    cases = {
        "alias bomb": "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "deep nesting": "[" * 200_000 + "]" * 200_000,
        "malformed": "groups:\n  - id: [x\n",
    }
    times = {}
    for name, text in cases.items():
        registry = directory / name.replace(" ", "_")
        registry.mkdir()
        (registry / "c.yaml").write_text(text)
        times[name] = _time_refusal(registry)
    huge = directory / "huge"
    huge.mkdir()
    line = b"# padding line for a fifty megabyte contract file\n"
    (huge / "c.yaml").write_bytes(line * (50 * 1024 * 1024 // len(line) + 1))
    times["50 MB file"] = _time_refusal(huge)
    return times


def _time_refusal(registry: Path) -> float:
    start = time.perf_counter()
    try:
        load_registry(registry)
    except ContractError:
        return time.perf_counter() - start
    raise SystemExit(f"{registry} was not refused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    arguments = parser.parse_args()
    if not MODEL.is_dir():
        sys.exit(f"corpus not found: {MODEL}")
    files = sorted(p for p in MODEL.rglob("*.yaml"))
    load_registry(MODEL)  # warm imports and caches of the interpreter, not of the data
    parse_only(files)
    resolve_times, parse_times = [], []
    for _ in range(arguments.rounds):
        resolve_times.append(timed(lambda: load_registry(MODEL)))
        parse_times.append(timed(lambda: parse_only(files)))
    resolve_median = statistics.median(resolve_times)
    parse_median = statistics.median(parse_times)
    print(f"files: {len(files)} ({sum(p.stat().st_size for p in files) / 1e6:.1f} MB)")
    print(f"load+resolve v1.44.0  median {resolve_median * 1000:7.1f} ms  (goal < 600 ms)")
    print(f"PyYAML parse alone    median {parse_median * 1000:7.1f} ms")
    print(f"ratio resolve/parse   {resolve_median / parse_median:.2f}x  (goal <= 1.5x)")
    with tempfile.TemporaryDirectory() as directory:
        snapshot = baseline_snapshot()
        baseline = Path(directory) / "semconv.json"
        baseline.write_bytes(snapshot.to_json_bytes())
        guard_load(baseline)
        guard_times, json_times = [], []
        for _ in range(arguments.rounds):
            guard_times.append(timed(lambda: guard_load(baseline)))
            json_times.append(timed(lambda: json.loads(baseline.read_bytes())))
        guard_median = statistics.median(guard_times)
        json_median = statistics.median(json_times)
        print(f"guard loads semconv {snapshot.version} with {len(snapshot.history)} legacy names "
              f"({baseline.stat().st_size / 1e6:.1f} MB)")
        print(f"guard load baseline   median {guard_median * 1000:7.1f} ms  (goal < 200 ms)")
        print(f"json.loads alone      median {json_median * 1000:7.1f} ms")
        print(f"ratio guard/json      {guard_median / json_median:.2f}x")
        for name, seconds in refusal_times(Path(directory)).items():
            print(f"refused {name:<14} in {seconds * 1000:7.1f} ms  (goal < 1000 ms)")


if __name__ == "__main__":
    main()
