"""Reporter details that code-scanning services depend on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from telemetry_contracts.ci.reporters import render
from telemetry_contracts.schemas.findings import Finding, Location


def sarif_uri(file: str) -> dict[str, str]:
    finding = Finding(code="TC201", severity="error", message="m", location=Location(file=file))
    log = json.loads(render([finding], "sarif"))
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    return location["artifactLocation"]


def test_sarif_paths_inside_the_checkout_are_relative_to_srcroot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    expected = {"uri": "telemetry/my%20file.yaml", "uriBaseId": "%SRCROOT%"}
    assert sarif_uri(str(tmp_path / "telemetry" / "my file.yaml")) == expected
    assert sarif_uri("telemetry/my file.yaml") == expected


def test_sarif_paths_outside_the_checkout_are_file_uris(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert sarif_uri("/elsewhere/a.yaml") == {"uri": "file:///elsewhere/a.yaml"}


def test_github_annotations_escape_properties_and_newlines() -> None:
    finding = Finding(code="TC201", severity="warning", message="line one\nline, two",
                      location=Location(file="a,b:c.yaml", line=3, column=2))
    assert render([finding], "github") == (
        "::warning file=a%2Cb%3Ac.yaml,line=3,col=2,title=TC201::line one%0Aline, two\n"
    )
