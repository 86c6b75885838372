"""Declared rules from ``pyproject.toml`` on the README's example project: the declared rule of
docs/custom-rules.md, copied verbatim, fires in ``lint`` (text and SARIF) and in ``rules``;
severities and ignores tune it by code, globally and per path."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from telemetry_contracts.ci.config import ProjectConfig
from telemetry_contracts.schemas.backports import tomllib
from tests.ci.test_cli_startup import HEAVY, loaded, started
from tests.ci.test_readme_walkthrough import readme_blocks
from tests.conftest import PROJECT_ROOT


def titled_blocks(document: Path) -> dict[str, str]:
    """The fenced blocks of ``document`` that carry ``title="PATH"``, by PATH."""
    pattern = r'```\w+ title="([^"]+)"\n(.*?)```'
    return dict(re.findall(pattern, document.read_text(), re.S))


DOC = PROJECT_ROOT / "docs" / "custom-rules.md"


def cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TELEMETRY_CONTRACTS")}
    return subprocess.run([sys.executable, "-m", "telemetry_contracts", *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=environment)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """The README walkthrough's project as its first ``lint`` finds it, with the declared
    rules of docs/custom-rules.md added to its ``pyproject.toml``."""
    (script,) = readme_blocks("sh")
    setup = script[:script.index("\ntelemetry-contracts ")]
    subprocess.run(["bash", "-ec", setup], cwd=tmp_path, check=True)
    project = tmp_path / "shop"
    with (project / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n" + titled_blocks(DOC)["shop/pyproject.toml"])
    return project


def test_declared_rules_fire_with_their_codes_in_text_and_sarif(shop: Path) -> None:
    text = cli("lint", cwd=shop)
    assert text.returncode == 1, text.stderr
    lines = text.stdout.splitlines()
    assert ("telemetry/checkout.yaml:9:5: error TCD001 every metric under `shop.` carries "
            "`shop.tenant`: `shop.checkout.duration` does not carry `shop.tenant`") in lines
    assert ("telemetry/checkout.yaml:9:5: warning TCD002 histograms are in seconds: "
            "`shop.checkout.duration` has unit `ms`, allowed: `s`") in lines
    assert any(" TC304 " in line for line in lines), "the built-in rules still run"

    sarif = json.loads(cli("lint", "--format", "sarif", cwd=shop).stdout)
    (run,) = sarif["runs"]
    results = {r["ruleId"]: r for r in run["results"]}
    assert results["TCD001"]["level"] == "error" and results["TCD002"]["level"] == "warning"
    assert results["TCD001"]["locations"][0]["physicalLocation"]["region"]["startLine"] == 9
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["TCD001"]["name"] == "shop-metrics-carry-tenant"
    assert rules["TCD002"]["shortDescription"]["text"] == "Histograms are in seconds."
    assert run["results"][0]["ruleIndex"] == list(rules).index(run["results"][0]["ruleId"])


def test_rules_lists_and_explains_the_declared_rules(shop: Path) -> None:
    listing = cli("rules", cwd=shop)
    assert listing.returncode == 0, listing.stderr
    codes = [line.split()[0] for line in listing.stdout.splitlines()]
    assert codes[-2:] == ["TCD001", "TCD002"] and "TC304" in codes
    explained = cli("rules", "tcd001", cwd=shop)
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.startswith("TCD001 shop-metrics-carry-tenant (error)\n")
    assert "- ref: shop.tenant" in explained.stdout and "Bad:" in explained.stdout
    _, modules = started("rules", "TC803", cwd=shop)
    assert loaded(modules, HEAVY) == [], "a built-in code is explained from the index alone"


def test_severity_and_ignores_tune_declared_codes_globally_and_per_path(shop: Path) -> None:
    pyproject = shop / "pyproject.toml"
    text = pyproject.read_text().replace(
        'baseline = "git:HEAD:telemetry"\n',
        'baseline = "git:HEAD:telemetry"\nseverity = {TCD = "info", TC304 = "warning"}\n'
        'per-path-severity = {"telemetry/check*" = {TCD001 = "error"}}\n', 1)
    pyproject.write_text(text)
    found = json.loads(cli("lint", "--format", "json", cwd=shop).stdout)
    assert {f["code"]: f["severity"] for f in found} == {
        "TCD001": "error", "TCD002": "info", "TC304": "warning", "TC303": "warning"}
    pyproject.write_text(text.replace("severity = {", 'ignore = ["TCD001"]\nseverity = {', 1))
    result = cli("lint", "--format", "json", cwd=shop)
    assert result.returncode == 0, "the one error switched off, the rest below `fail-on`"
    assert {f["code"] for f in json.loads(result.stdout)} == {"TCD002", "TC303", "TC304"}
    (shop / "telemetry" / "checkout.yaml").write_text(
        (shop / "telemetry" / "checkout.yaml").read_text().replace(
            "  - name: shop.checkout.duration",
            "  - name: shop.checkout.duration  # telemetry-contracts: ignore[TCD002]"))
    quiet = cli("lint", "--format", "json", "--ignore", "TC3", cwd=shop)
    assert json.loads(quiet.stdout) == []


def test_the_tuning_example_of_the_doc_is_valid_configuration() -> None:
    section = DOC.read_text().split("## Tuning", 1)[1]
    (block,) = re.findall(r"```toml\n(.*?)```", section.split("\n## ", 1)[0], re.S)
    config = ProjectConfig.model_validate(tomllib.loads(block))
    assert config.severity == {"TCD001": "warning", "TC3": "info"}
    assert config.per_path_severity == {"telemetry/experimental/*": {"TCD": "info"}}
    assert config.ignore == ["TCX101"] and config.per_path_ignores


def test_an_invalid_declared_rule_is_one_line_naming_the_file(shop: Path) -> None:
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('code = "TCD002"', 'code = "TC999"'))
    lines = pyproject.read_text().splitlines()
    header = [n for n, line in enumerate(lines, 1) if "[[tool.telemetry-contracts.rules]]" in line]
    for command in (["lint"], ["rules"]):
        result = cli(*command, cwd=shop)
        assert result.returncode == 2
        assert result.stderr == (
            f"{pyproject}:{header[1]}:1: error TC100 [tool.telemetry-contracts] `rules.1`: "
            "Value error, `TC999` is not in the declared-rule range TCD001-TCD999\n")
