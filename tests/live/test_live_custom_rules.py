"""An organisation's declared rules (``[[tool.telemetry-contracts.rules]]``) run in live-check
on the names it received: their findings carry the rule's code, severity and message with the
service and signal, in every format, and count for ``--fail-on``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.live.conftest import REGISTRY, cli

RULES = """
[tool.telemetry-contracts]

[[tool.telemetry-contracts.rules]]
code = "TCD001"
name = "no-region-keys"
message = "regions come from the resource"
severity = "warning"
forbid-keys = ["*.region"]

[[tool.telemetry-contracts.rules]]
code = "TCD003"
name = "shop-metrics-carry-payment-method"
message = "every metric under `shop.` carries `shop.payment.method`"
namespace = "shop"
kind = ["metric"]
require-attributes = ["shop.payment.method"]

[[tool.telemetry-contracts.rules]]
code = "TCD002"
name = "histograms-in-milliseconds"
message = "histograms are in milliseconds"
severity = "info"
instrument = ["histogram"]
units = ["ms"]
"""


def _value(text: str) -> dict[str, object]:
    return {"stringValue": text}


TELEMETRY = {
    "resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": _value("checkout")}]},
        "scopeSpans": [{"spans": [{
            "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
            "name": "checkout", "kind": 2, "startTimeUnixNano": "1", "endTimeUnixNano": "2",
            "attributes": [{"key": "shop.region", "value": _value("eu")}],
        }]}],
    }],
}
METRICS = {
    "resourceMetrics": [{
        "resource": {"attributes": [{"key": "service.name", "value": _value("checkout")}]},
        "scopeMetrics": [{"metrics": [{
            "name": "shop.checkout.duration", "unit": "s",
            "histogram": {"aggregationTemporality": 2, "dataPoints": [{
                "startTimeUnixNano": "1", "timeUnixNano": "2", "count": "1", "sum": 0.5,
                "attributes": [{"key": "shop.payment.method", "value": _value("card")}],
            }]},
        }]}],
    }],
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(RULES)
    (tmp_path / "telemetry.jsonl").write_text(
        json.dumps(TELEMETRY) + "\n" + json.dumps(METRICS) + "\n")
    return tmp_path


def _live_check(project: Path, *args: str) -> tuple[int, str]:
    result = cli("live-check", "--registry", str(REGISTRY), "--input", "telemetry.jsonl",
                 *args, cwd=project)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, result.stdout


def test_declared_rules_fire_on_received_names_and_decide_the_exit_code(project: Path) -> None:
    code, out = _live_check(project, "--format", "json", "--fail-on", "warning")
    found = json.loads(out)["findings"]
    assert {(f["code"], f["severity"], f["service"], f["signal"], f["name"]) for f in found} == {
        ("TCD001", "warning", "checkout", "span", "shop.region"),
        ("TCD002", "info", "checkout", "metric", "shop.checkout.duration"),
    }
    assert code == 1
    assert "regions come from the resource" in found[0]["message"]
    assert _live_check(project, "--fail-on", "error")[0] == 0
    code, text = _live_check(project)
    assert code == 0
    assert "checkout: warning TCD001 span: regions come from the resource" in text


def test_declared_rules_in_sarif_and_github(project: Path) -> None:
    sarif = json.loads(_live_check(project, "--format", "sarif")[1])
    run = sarif["runs"][0]
    assert {r["ruleId"] for r in run["results"]} == {"TCD001", "TCD002"}
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["TCD001"]["name"] == "no-region-keys"
    github = _live_check(project, "--format", "github")[1]
    assert "::warning file=checkout,title=TCD001::span: regions come from the resource" in github


def test_a_project_without_rules_changes_nothing(project: Path) -> None:
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    code, out = _live_check(project, "--format", "json", "--fail-on", "warning")
    assert json.loads(out)["findings"] == [] and code == 0


def test_a_rule_that_raises_is_one_tc121_finding() -> None:
    from telemetry_contracts.live.judge import Judge
    from telemetry_contracts.live.receiver import decode, judge_request
    from telemetry_contracts.live.verdict import verdict
    from telemetry_contracts.resolution.loader import load_registry
    from telemetry_contracts.validators.rule import Rule
    from telemetry_contracts.validators.rule_set import RuleSet

    class Broken(Rule):
        code, name, severity = "TCX001", "broken", "error"

        def check(self, context: object) -> list[object]:
            raise RuntimeError("boom")

    judge = Judge(load_registry(REGISTRY).snapshot)
    request = decode("traces", json.dumps(TELEMETRY).encode(), "application/json")
    judge_request(judge, "traces", request)
    findings = RuleSet((Broken(),)).check(judge.observed_snapshot())
    result = verdict(judge, "warning", rule_findings=findings)
    assert [(f.code, f.severity, f.signal) for f in result.findings] == [
        ("TC121", "warning", "rule")]
    assert "raised RuntimeError: boom" in result.findings[0].message
    assert result.exit_code == 1
