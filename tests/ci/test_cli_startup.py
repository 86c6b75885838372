"""The command line starts light and prints clean help: what each start imports is checked
here (the times are measured by ``bench/cli.py``, not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from telemetry_contracts import __version__
from tests.contract_samples import write_registry

PROBE = """
import json, sys
from telemetry_contracts.ci.cli import main
try:
    main()
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(sys.modules)), file=sys.stderr)
"""
HEAVY = ("pydantic", "yaml", "rich", "http.client", "ssl", "fastapi", "sqlalchemy",
         "telemetry_contracts.validators", "telemetry_contracts.registry")


def started(*args: str, cwd: Path | None = None) -> tuple[str, list[str]]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                            text=True, check=False, cwd=cwd)
    *_, modules = result.stderr.rstrip("\n").rsplit("\n", 1)
    return result.stdout, json.loads(modules)


def loaded(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in modules if m in prefixes or m.startswith(tuple(p + "." for p in prefixes))]


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["rules"], ["rules", "TC803"],
                                  ["lint", "--help"], ["diff", "--help"]])
def test_help_version_and_rules_import_nothing_heavy(args: list[str]) -> None:
    output, modules = started(*args)
    assert output
    assert loaded(modules, HEAVY) == []


def test_lint_imports_no_network_server_or_terminal_code(tmp_path: Path) -> None:
    write_registry(tmp_path / "reg")
    _, modules = started("lint", "reg", cwd=tmp_path)
    assert "telemetry_contracts.ci.lint" in modules
    assert loaded(modules, ("rich", "http.client", "ssl", "fastapi", "sqlalchemy")) == []


def test_version() -> None:
    output, _ = started("--version")
    assert output == f"telemetry-contracts {__version__}\n"


def test_help_is_plain_text_with_literal_brackets() -> None:
    for args in (["diff", "--help"], ["lint", "--help"], ["check-code", "--help"],
                 ["rules", "--help"], ["--help"]):
        output, _ = started(*args)
        assert "<bool>" not in output and "<list[str]>" not in output and "<str>" not in output
        assert "╭" not in output, "Rich boxes: markup would swallow [brackets]"
    diff_help, _ = started("diff", "--help")
    assert "[tool.telemetry-" in diff_help and "`baseline` in [tool.telemetry-" in diff_help
