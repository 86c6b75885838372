"""``telemetry-contracts lint`` end to end: exit codes, formats, configuration, suppressions."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from telemetry_contracts.ci.cli import main
from tests.resolution.test_release_syntax import ATTRIBUTES
from tests.resolution.test_resolver import write_files
from tests.resolution.test_weaver_syntax import NEWER

SARIF_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"

CLEAN = """\
file_format: definition/2
attributes:
  - key: shop.order.id
    type: string
    brief: The order's id.
    examples: [o-1]
metrics:
  - name: shop.order.placed
    instrument: counter
    unit: "{order}"
    brief: Orders placed.
    attributes:
      - ref: shop.order.id
"""
SENSITIVE = """\
  - key: shop.customer.email
    type: string
    brief: The customer's e-mail address.
    examples: [jane@example.com]
"""
BAD_UNIT = """\
  - name: shop.checkout.duration
    instrument: histogram
    unit: ms
    brief: Checkout time.
"""


@dataclass
class CliRun:
    exit_code: int
    stdout: str
    stderr: str


Cli = Callable[..., CliRun]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """``cli(*arguments, cwd=PATH)``: exit code and output of one in-process command."""

    def run(*arguments: str, cwd: Path | None = None) -> CliRun:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["telemetry-contracts", *arguments])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run


def make_project(root: Path, contracts: str, pyproject: str = "") -> Path:
    """A project with ``telemetry/contracts.yaml`` and a ``pyproject.toml`` naming it."""
    (root / "telemetry").mkdir(parents=True)
    (root / "telemetry" / "contracts.yaml").write_text(contracts)
    (root / "pyproject.toml").write_text(
        '[tool.telemetry-contracts]\nregistry = "telemetry"\n' + pyproject
    )
    return root


def with_sensitive_key(text: str = CLEAN) -> str:
    return text.replace("metrics:\n", SENSITIVE + "metrics:\n")


def test_official_model_has_no_error(cli: Cli, semconv_v1_44: Path) -> None:
    run = cli("lint", str(semconv_v1_44), "--format", "json")
    assert run.exit_code == 0, run.stdout
    severities = Counter(f["severity"] for f in json.loads(run.stdout))
    assert severities["error"] == 0
    assert severities["warning"] > 0  # the rules do look at it


def test_clean_registry_is_quiet(cli: Cli, tmp_path: Path) -> None:
    make_project(tmp_path, CLEAN)
    run = cli("lint", cwd=tmp_path)
    assert (run.exit_code, run.stdout, run.stderr) == (0, "", "")


def test_findings_fail_at_the_configured_level(cli: Cli, tmp_path: Path) -> None:
    make_project(tmp_path, with_sensitive_key())
    run = cli("lint", cwd=tmp_path)
    assert run.exit_code == 0  # a warning does not fail by default
    assert "telemetry/contracts.yaml:7:5: warning TC703" in run.stdout
    assert cli("lint", "--fail-on", "warning", cwd=tmp_path).exit_code == 1
    (tmp_path / "pyproject.toml").write_text(
        '[tool.telemetry-contracts]\nregistry = "telemetry"\nfail-on = "warning"\n'
    )
    assert cli("lint", cwd=tmp_path).exit_code == 1


def test_error_findings_exit_1(cli: Cli, tmp_path: Path) -> None:
    make_project(tmp_path, CLEAN + BAD_UNIT.replace("unit: ms", "unit: '{ms'"))
    run = cli("lint", cwd=tmp_path)
    assert run.exit_code == 1
    assert "error TC301" in run.stdout and run.stdout.endswith("2 errors\n")


def test_input_error_is_exit_2_with_one_line(cli: Cli, tmp_path: Path) -> None:
    make_project(tmp_path, "file_format: definition/2\nattributes: [\n")
    run = cli("lint", cwd=tmp_path)
    assert run.exit_code == 2
    assert run.stdout == ""
    (line,) = run.stderr.splitlines()
    assert line.startswith("telemetry/contracts.yaml:") and "TC101" in line


def test_no_registry_configured_is_exit_2(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.telemetry-contracts]\n")
    run = cli("lint", cwd=tmp_path)
    assert run.exit_code == 2 and "no registry to lint" in run.stderr


def test_select_ignore_and_per_path_ignores(cli: Cli, tmp_path: Path) -> None:
    make_project(tmp_path, with_sensitive_key(CLEAN + BAD_UNIT),
                 'per-path-ignores = { "telemetry/*.yaml" = ["TC3"] }\n')
    codes = {line.split()[2] for line in cli("lint", cwd=tmp_path).stdout.splitlines()[:-1]}
    assert codes == {"TC703"}
    assert cli("lint", "--ignore", "TC7", cwd=tmp_path).stdout == ""
    assert cli("lint", "--select", "TC3", cwd=tmp_path).stdout == ""


def test_select_or_ignore_of_no_known_code_is_exit_2(cli: Cli, tmp_path: Path) -> None:
    make_project(tmp_path, CLEAN + BAD_UNIT)
    run = cli("lint", "--select", "TC3O4", cwd=tmp_path)
    assert (run.exit_code, run.stdout) == (2, "")
    assert run.stderr == ("--select: error TC100 `TC3O4` is not a rule code or the start of "
                          "one; `telemetry-contracts rules` lists them\n")
    assert cli("lint", "--ignore", "TC303,TCD001", cwd=tmp_path).exit_code == 1
    assert cli("lint", "--select", "tc30", cwd=tmp_path).exit_code == 1


def test_a_single_file_is_named_by_its_own_path(cli: Cli, tmp_path: Path) -> None:
    make_project(tmp_path, with_sensitive_key(CLEAN + BAD_UNIT),
                 'per-path-ignores = { "telemetry/*.yaml" = ["TC3"] }\n')
    run = cli("lint", "telemetry/contracts.yaml", cwd=tmp_path)
    assert "telemetry/contracts.yaml:7:5: warning TC703" in run.stdout
    assert "contracts.yaml/" not in run.stdout
    assert "TC30" not in run.stdout  # per-path-ignores match the file's path
    run = cli("lint", "contracts.yaml", "--format", "json", cwd=tmp_path / "telemetry")
    assert {f["location"]["file"] for f in json.loads(run.stdout)} == {"contracts.yaml"}


def test_excluded_files_report_nothing(cli: Cli, tmp_path: Path) -> None:
    make_project(tmp_path, with_sensitive_key(), 'exclude = ["telemetry/contracts.yaml"]\n')
    assert cli("lint", "--fail-on", "info", cwd=tmp_path).stdout == ""


def test_inline_ignore_comment_silences_its_line_only(cli: Cli, tmp_path: Path) -> None:
    text = with_sensitive_key().replace(
        "- key: shop.customer.email", "- key: shop.customer.email  # telemetry-contracts: "
        "ignore[TC703]"
    )
    make_project(tmp_path, text)
    assert cli("lint", "--fail-on", "info", cwd=tmp_path).exit_code == 0
    other = text.replace("ignore[TC703]", "ignore[TC201]")
    (tmp_path / "telemetry" / "contracts.yaml").write_text(other)
    assert "TC703" in cli("lint", cwd=tmp_path).stdout


def test_findings_baseline_reports_only_new_findings(cli: Cli, tmp_path: Path) -> None:
    make_project(tmp_path, with_sensitive_key(),
                 'findings-baseline = "telemetry-baseline.json"\n')
    written = cli("lint", "--write-baseline", "telemetry-baseline.json", cwd=tmp_path)
    assert written.exit_code == 0 and "1 accepted" in written.stderr
    entries = json.loads((tmp_path / "telemetry-baseline.json").read_text())["findings"]
    assert entries == [{"code": "TC703", "subject": "shop.customer.email",
                        "file": "telemetry/contracts.yaml", "count": 1}]
    # moved down by an edit above it: still accepted
    contracts = tmp_path / "telemetry" / "contracts.yaml"
    contracts.write_text("# owned by the shop team\n\n" + contracts.read_text())
    run = cli("lint", "--fail-on", "warning", cwd=tmp_path)
    assert (run.exit_code, run.stdout) == (0, "")
    assert "1 findings accepted by the baseline" in run.stderr
    # a new finding still fails
    contracts.write_text(contracts.read_text().replace(
        "metrics:\n", SENSITIVE.replace("customer.email", "customer.phone") + "metrics:\n"))
    run = cli("lint", "--fail-on", "warning", cwd=tmp_path)
    assert run.exit_code == 1
    assert "shop.customer.phone" in run.stdout and "shop.customer.email" not in run.stdout


def test_baseline_file_option_and_unreadable_baseline(cli: Cli, tmp_path: Path) -> None:
    make_project(tmp_path, with_sensitive_key())
    assert cli("lint", "--baseline-file", "missing.json", cwd=tmp_path).exit_code == 2
    (tmp_path / "junk.json").write_text("[]")
    run = cli("lint", "--baseline-file", "junk.json", cwd=tmp_path)
    assert run.exit_code == 2 and "not a findings baseline" in run.stderr


def test_github_format(cli: Cli, tmp_path: Path) -> None:
    make_project(tmp_path, with_sensitive_key())
    run = cli("lint", "--format", "github", cwd=tmp_path)
    assert run.stdout.startswith(
        "::warning file=telemetry/contracts.yaml,line=7,col=5,title=TC703::")


def test_sarif_is_valid_against_the_official_schema(cli: Cli, semconv_v1_44: Path,
                                                    tmp_path: Path) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text())
    validator = jsonschema.Draft4Validator(schema)
    make_project(tmp_path, with_sensitive_key(CLEAN + BAD_UNIT))
    for run in (cli("lint", "--format", "sarif", cwd=tmp_path),
                cli("lint", str(semconv_v1_44), "--format", "sarif")):
        log = json.loads(run.stdout)
        errors = [error.message for error in validator.iter_errors(log)]
        assert errors == []
        results = log["runs"][0]["results"]
        assert results and all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
                               for r in results)
        rules = log["runs"][0]["tool"]["driver"]["rules"]
        assert all(rule.get("helpUri", "").endswith(rule["id"].lower()) for rule in rules)


def test_rules_command_lists_every_rule(cli: Cli) -> None:
    from telemetry_contracts.validators import all_rules

    run = cli("rules")
    assert run.exit_code == 0
    listed = [line.split()[0] for line in run.stdout.splitlines()]
    assert [code for code in listed if code[2] in "234567"] == [r.code for r in all_rules()]


def test_lint_warns_of_each_skipped_key(tmp_path: Path) -> None:
    # a file of a newer minor syntax: its unknown keys skipped, each a warning
    write_files(tmp_path, {"attributes.yaml": ATTRIBUTES, "case.yaml": NEWER})
    result = subprocess.run(
        [sys.executable, "-m", "telemetry_contracts", "lint", str(tmp_path)],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{tmp_path}/case.yaml:8:7: warning TC111 `spans.0.links` is not read" in result.stdout

