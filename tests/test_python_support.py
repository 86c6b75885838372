"""What each Python the package installs on can do: everything from 3.10 on; on 3.9 the guard
(its suite runs there in CI) and, for the command line, a clear refusal."""

from __future__ import annotations

import subprocess
import sys


def test_the_command_line_runs_from_3_10_and_refuses_clearly_before() -> None:
    run = subprocess.run([sys.executable, "-m", "telemetry_contracts", "--version"],
                         capture_output=True, text=True, timeout=60)
    if sys.version_info >= (3, 10):
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip()
    else:
        assert run.returncode == 1
        assert run.stderr.strip() == (
            "telemetry-contracts: the command line needs Python 3.10 or newer; on Python "
            f"{sys.version_info[0]}.{sys.version_info[1]} the package serves the guard alone")
        assert "Traceback" not in run.stderr

