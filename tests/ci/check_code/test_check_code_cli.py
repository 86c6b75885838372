"""The ``check-code`` command: configuration, formats and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest

from telemetry_contracts.ci.cli import app
from telemetry_contracts.schemas.findings import ContractError
from tests.cli_runner import cli_runner

runner = cli_runner()
SARIF_SCHEMA = Path(__file__).resolve().parents[2] / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture
def project(tmp_path: Path, snapshot_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project configured in pyproject.toml, with code inside and outside its source paths."""
    shutil.copy(snapshot_file, tmp_path / "registry.json")
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent('''
        [project]
        name = "service"

        [tool.telemetry-contracts]
        registry = "registry.json"
        source-paths = ["src"]
        exclude = ["src/generated"]
        '''))
    files = {
        "src/service/handlers.py": 'span.set_attribute("http.method", "GET")\n',
        "src/service/metrics.py": 'meter.create_counter("service.jobs.done", unit="{job}")\n',
        "src/generated/stubs.py": 'span.set_attribute("generated.key", 1)\n',
        "scripts/tool.py": 'span.set_attribute("script.key", 1)\n',
    }
    for name, source in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def set_config(project: Path, line: str) -> None:
    path = project / "pyproject.toml"
    path.write_text(path.read_text() + line + "\n")


def test_paths_and_registry_come_from_the_configuration(project: Path) -> None:
    result = runner.invoke(app, ["check-code"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "src/service/handlers.py:1:20: error TC803 attribute `http.method` is deprecated: "
        "use `http.request.method` (--fix rewrites it)",
        "src/service/metrics.py:1:22: error TC801 metric `service.jobs.done` is not in the "
        "registry (register it, or use a registered metric name)",
        "2 errors",
    ]


def test_configuration_is_found_from_a_subfolder(project: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "scripts")
    result = runner.invoke(app, ["check-code", "tool.py"])
    assert result.exit_code == 1
    assert result.stdout.startswith("tool.py:1:20: error TC802 attribute `script.key`")


def test_paths_and_registry_options_override_the_configuration(
    project: Path, snapshot_file: Path
) -> None:
    result = runner.invoke(app, ["check-code", "scripts", "--registry", str(snapshot_file)])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("scripts/tool.py:1:20: error TC802")
    assert "src/" not in result.stdout


def test_excluded_paths_are_skipped_even_when_named(project: Path) -> None:
    result = runner.invoke(app, ["check-code", "src/generated/stubs.py"])
    assert (result.exit_code, result.stdout) == (0, "")


def test_select_and_ignore_from_the_configuration(project: Path) -> None:
    set_config(project, 'ignore = ["TC801"]')
    result = runner.invoke(app, ["check-code"])
    assert [line.split()[2] for line in result.stdout.splitlines()[:-1]] == ["TC803"]
    set_config(project, 'select = ["TC801"]')
    result = runner.invoke(app, ["check-code"])
    assert (result.exit_code, result.stdout) == (0, "")


def test_select_and_ignore_options(project: Path) -> None:
    set_config(project, 'ignore = ["TC801"]')
    assert codes_reported(["check-code"]) == ["TC803"]
    assert codes_reported(["check-code", "--ignore", "TC803"]) == []
    assert codes_reported(["check-code", "--select", "TC801,TC803"]) == ["TC803"]
    assert codes_reported(["check-code", "--select", "TC80", "--select", "TC100"]) == ["TC803"]


def test_a_code_that_matches_no_rule_is_an_input_error(project: Path) -> None:
    # A typo in --select would otherwise silence every finding and pass the run.
    for arguments in (["--select", "TC9999"], ["--ignore", "TC80,bogus"]):
        result = runner.invoke(app, ["check-code", *arguments])
        assert isinstance(result.exception, ContractError), result.stdout
        assert result.exception.finding.code == "TC100"
        assert "is not a rule code or the start of one" in result.exception.finding.message
    assert codes_reported(["check-code", "--select", "tc80,TCX"]) == ["TC803", "TC801"]
    set_config(project, 'select = ["TC8O3"]')
    result = runner.invoke(app, ["check-code"])
    assert isinstance(result.exception, ContractError)
    assert result.exception.finding.location.file == str(project / "pyproject.toml")


def codes_reported(arguments: list[str]) -> list[str]:
    documents = json.loads(runner.invoke(app, [*arguments, "--format", "json"]).stdout)
    return [document["code"] for document in documents]


def test_per_path_ignores_apply_before_fixing(project: Path) -> None:
    set_config(project, '[tool.telemetry-contracts.per-path-ignores]')
    set_config(project, '"src/service/h*.py" = ["TC803"]')
    handlers = (project / "src/service/handlers.py").read_text()
    result = runner.invoke(app, ["check-code", "--fix"])
    assert [line.split()[2] for line in result.stdout.splitlines()[:-1]] == ["TC801"]
    assert (project / "src/service/handlers.py").read_text() == handlers


def test_findings_baseline_accepts_todays_findings(project: Path) -> None:
    written = runner.invoke(app, ["check-code", "--write-baseline", "accepted.json"])
    assert written.exit_code == 0
    assert "accepted.json: 2 accepted findings" in written.stderr
    assert runner.invoke(app, ["check-code", "--baseline-file", "accepted.json"]).exit_code == 0

    set_config(project, 'findings-baseline = "accepted.json"')
    assert runner.invoke(app, ["check-code"]).stdout == ""
    (project / "src/service/handlers.py").write_text(
        'span.set_attribute("http.method", "GET")\nspan.set_attribute("app.new", 1)\n'
    )
    result = runner.invoke(app, ["check-code"])
    assert result.exit_code == 1
    assert codes_reported(["check-code"]) == ["TC802"]
    assert "2 findings accepted by the baseline" in result.stderr


def test_severity_and_per_path_severity_from_the_configuration(project: Path) -> None:
    set_config(project, 'severity = { TC803 = "warning", TC801 = "warning" }')
    set_config(project, '[tool.telemetry-contracts.per-path-severity]')
    set_config(project, '"src/service/m*.py" = { TC801 = "error" }')
    result = runner.invoke(app, ["check-code"])
    assert [line.split()[1:3] for line in result.stdout.splitlines()[:-1]] == [
        ["warning", "TC803"], ["error", "TC801"]]
    assert result.exit_code == 1
    set_config(project, '"src/service/h*.py" = { TC8 = "info" }')
    assert runner.invoke(app, ["check-code", "--fail-on", "warning"]).exit_code == 1


def test_fail_on_decides_whether_warnings_fail(project: Path) -> None:
    (project / "src/service/handlers.py").write_text('span.set_attribute("a",\n')
    (project / "src/service/metrics.py").write_text("")
    result = runner.invoke(app, ["check-code"])
    assert result.exit_code == 0
    assert "src/service/handlers.py:1:1: warning TC100 cannot parse Python" in result.stdout
    assert runner.invoke(app, ["check-code", "--fail-on", "warning"]).exit_code == 1
    set_config(project, 'fail-on = "warning"')
    assert runner.invoke(app, ["check-code"]).exit_code == 1
    assert runner.invoke(app, ["check-code", "--fail-on", "error"]).exit_code == 0


def test_json_sarif_and_github_formats(project: Path) -> None:
    documents = json.loads(runner.invoke(app, ["check-code", "--format", "json"]).stdout)
    assert [(d["code"], d["location"]["file"], d["subject"]) for d in documents] == [
        ("TC803", "src/service/handlers.py", "http.method"),
        ("TC801", "src/service/metrics.py", "service.jobs.done"),
    ]

    sarif = json.loads(runner.invoke(app, ["check-code", "--format", "sarif"]).stdout)
    validator = jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text()))
    assert [error.message for error in validator.iter_errors(sarif)] == []
    (run,) = sarif["runs"]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"TC100", "TC801", "TC802", "TC803", "TC804", "TC808", "TC809"}
    assert rules["TC803"]["name"] == "deprecated-name"
    assert rules["TC803"]["helpUri"].endswith("docs/rules.md#tc803")
    regions = [
        (result["ruleId"], result["locations"][0]["physicalLocation"]["region"])
        for result in run["results"]
    ]
    assert regions == [
        ("TC803", {"startLine": 1, "startColumn": 20}),
        ("TC801", {"startLine": 1, "startColumn": 22}),
    ]

    github = runner.invoke(app, ["check-code", "--format", "github"]).stdout.splitlines()
    assert github[0].startswith(
        "::error file=src/service/handlers.py,line=1,col=20,title=TC803::attribute `http.method`"
    )


def test_clean_code_prints_nothing_and_exits_zero(project: Path) -> None:
    (project / "src/service/handlers.py").write_text(
        'span.set_attribute("http.request.method", "GET")\n'
    )
    (project / "src/service/metrics.py").write_text("")
    result = runner.invoke(app, ["check-code"])
    assert (result.exit_code, result.stdout) == (0, "")


@pytest.mark.parametrize(
    ("arguments", "config", "message"),
    [
        (["check-code"], 'registry = "missing.json"', "missing.json: error TC100"),
        (["check-code", "nowhere.py"], "", "nowhere.py: error TC100 no such file or directory"),
    ],
)
def test_input_errors_name_the_file(
    project: Path, arguments: list[str], config: str, message: str
) -> None:
    if config:
        pyproject = project / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('registry = "registry.json"', config))
    result = runner.invoke(app, arguments)
    assert isinstance(result.exception, ContractError)
    assert message in str(result.exception)


def test_missing_source_path_is_an_input_error(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('["src"]', '["src", "lib"]'))
    result = runner.invoke(app, ["check-code"])
    assert isinstance(result.exception, ContractError)
    assert str(result.exception) == (
        f"{pyproject}: error TC100 `source-paths` names `lib`, which does not exist"
    )


def test_input_error_exits_2_with_one_line_on_stderr(project: Path) -> None:
    """Through the console script, as CI and pre-commit run it."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "telemetry-contracts"), "check-code", "nowhere.py"],
        cwd=project, capture_output=True, text=True, timeout=120,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "nowhere.py: error TC100 no such file or directory\n"


def test_no_registry_anywhere_is_an_input_error(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "a.py").write_text("")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check-code", "a.py"])
    assert isinstance(result.exception, ContractError)
    assert "no registry to check against: pass --registry REG" in str(result.exception)
