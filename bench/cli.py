"""Benchmark: CPU time of whole ``telemetry-contracts`` processes (``--version``, ``--help``,
``rules``, ``lint`` of a small registry) next to ``python -c pass``, rounds interleaved in one
run; prints medians, the ratio to ``python -c pass`` and the goal of each.

Run: ``python bench/cli.py [--rounds N]``. Goals: under 150 ms of CPU for ``--version``,
``--help`` and ``rules``; under 300 ms for ``lint`` of a small registry. The figures depend on
the installed typer, which the header names: from 0.27, typer imports pydantic to parse the
options of any command that has some, so ``rules`` and ``lint --help`` start some 70 ms later
(``lint`` itself imports pydantic anyway); 0.15 to 0.26 do not.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CLI = [sys.executable, "-c", "from telemetry_contracts.ci.cli import main; main()"]

CHECKOUT = """\
file_format: definition/2
attributes:
  - key: shop.cart.items
    type: int
    brief: Items in the cart at checkout.
    stability: stable
    examples: [3]
metrics:
  - name: shop.checkout.duration
    instrument: histogram
    unit: s
    brief: Time from click to confirmation.
    stability: stable
    attributes:
      - ref: shop.cart.items
"""
MANIFEST = """\
name: shop
version: 1.0.0
dependencies:
  - name: otel
    registry_path: semconv
"""


def small_registries(root: Path) -> tuple[Path, Path]:
    """The README's shop registry (depends on the built-in semconv), and the same file alone."""
    shop, alone = root / "shop", root / "alone"
    for directory in (shop, alone):
        directory.mkdir()
        (directory / "checkout.yaml").write_text(CHECKOUT)
    (shop / "manifest.yaml").write_text(MANIFEST)
    return shop, alone


def cpu_seconds(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """User plus system CPU time of one process run to its end."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        shop, alone = small_registries(root)
        cases: dict[str, tuple[list[str], float | None]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], None),
            "--version": ([*CLI, "--version"], 0.150),
            "--help": ([*CLI, "--help"], 0.150),
            "lint --help": ([*CLI, "lint", "--help"], 0.150),
            "rules": ([*CLI, "rules"], 0.150),
            "rules TC803": ([*CLI, "rules", "TC803"], 0.150),
            "lint (README shop registry)": ([*CLI, "lint", str(shop)], 0.300),
            "lint (one file, no manifest)": ([*CLI, "lint", str(alone)], 0.300),
        }
        # Warm the file cache and write the bytecode, as an installed package has it, even
        # where the environment sets PYTHONDONTWRITEBYTECODE.
        writing = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        for command, _ in cases.values():
            cpu_seconds(command, root, writing)
        timings: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(arguments.rounds):
            for name, (command, _) in cases.items():
                timings[name].append(cpu_seconds(command, root))
    medians = {name: statistics.median(values) for name, values in timings.items()}
    base = medians["python -c pass"]
    print(f"CPU time per process, median of {arguments.rounds} interleaved rounds, typer "
          f"{importlib.metadata.version('typer')}")
    print(f"{'case':<30} {'CPU ms':>8} {'x pass':>8}  goal")
    for name, median in medians.items():
        goal = cases[name][1]
        verdict = "" if goal is None else (
            f"< {goal * 1000:.0f} ms {'met' if median < goal else 'MISSED'}")
        print(f"{name:<30} {median * 1000:8.1f} {median / base:8.1f}  {verdict}")


if __name__ == "__main__":
    main()
