"""The command line starts light and prints clean help: what each start imports is checked
here (the times are measured by ``bench/cli.py``, not asserted). What typer itself imports to
run a one-option command (rich before 0.26, pydantic from 0.27) is its own, not counted."""

from __future__ import annotations

import functools
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from telemetry_contracts import __version__
from telemetry_contracts.ci.choices import ModeChoice
from telemetry_contracts.schemas.compatibility import COMPATIBILITY_MODES
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
TYPER_ALONE = """
import json, sys, typer
app = typer.Typer(pretty_exceptions_enable=False, add_completion=False, rich_markup_mode=None)
@app.command()
def run(name: str = typer.Option("x", help="A name.")) -> None:
    print(name)
try:
    app()
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(sys.modules)), file=sys.stderr)
"""
TYPER_VERSION = tuple(int(part) for part in importlib.metadata.version("typer").split(".")[:2])
HEAVY = ("pydantic", "yaml", "rich", "http.client", "ssl", "fastapi", "sqlalchemy",
         "telemetry_contracts.validators", "telemetry_contracts.registry")


def started(*args: str, cwd: Path | None = None, probe: str = PROBE) -> tuple[str, list[str]]:
    result = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True,
                            text=True, check=False, cwd=cwd)
    *_, modules = result.stderr.rstrip("\n").rsplit("\n", 1)
    return result.stdout, json.loads(modules)


@functools.cache
def typer_s_own() -> frozenset[str]:
    """The modules a one-option typer command loads for ``--help`` and for a run."""
    return frozenset(started("--help", probe=TYPER_ALONE)[1] + started(probe=TYPER_ALONE)[1])


def loaded(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    """The ``modules`` under ``prefixes`` that typer alone does not load."""
    return [m for m in modules if (m in prefixes or m.startswith(tuple(p + "." for p in prefixes)))
            and m not in typer_s_own()]


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
    # typer 0.27 and later label every argument with its type (`<str>`); before, only options
    # without a metavar would show one, and none does
    labelled = TYPER_VERSION >= (0, 27)
    for args in (["diff", "--help"], ["lint", "--help"], ["check-code", "--help"],
                 ["rules", "--help"], ["--help"]):
        output, _ = started(*args)
        if not labelled:
            assert "<bool>" not in output and "<list[str]>" not in output and "<str>" not in output
        assert "<bool>" not in output, "a flag shows as a flag"
        assert "╭" not in output, "Rich boxes: markup would swallow [brackets]"
    diff_help, _ = started("diff", "--help")
    assert "[tool.telemetry-" in diff_help and "`baseline` in [tool.telemetry-" in diff_help


def test_diff_s_mode_choices_are_the_compatibility_modes() -> None:
    assert tuple(ModeChoice) == COMPATIBILITY_MODES
