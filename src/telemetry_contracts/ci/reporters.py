"""Reporters: findings as text, JSON, SARIF 2.1.0 or GitHub workflow-command annotations."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from telemetry_contracts import __version__
from telemetry_contracts.ci.choices import ReportFormat
from telemetry_contracts.ci.rule_docs import INFORMATION_URI
from telemetry_contracts.schemas.findings import Finding, plural

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


@dataclass(frozen=True)
class RuleInfo:
    """What a reporter says about a rule: its code, short name, summary and documentation link."""

    code: str
    name: str
    summary: str
    help_uri: str | None = None


def render(
    findings: Sequence[Finding],
    report_format: ReportFormat | str,
    rules: Mapping[str, RuleInfo] | None = None,
) -> str:
    """Render findings in the given format; the text ends with a newline unless empty."""
    renderer = _RENDERERS[ReportFormat(report_format)]
    return renderer(sorted(findings, key=_order), rules or {})


def _order(finding: Finding) -> tuple[str, int, int, str]:
    location = finding.location
    return (location.file, location.line, location.column, finding.code)


def _text(findings: Sequence[Finding], _: Mapping[str, RuleInfo]) -> str:
    if not findings:
        return ""
    counts = Counter(finding.severity for finding in findings)
    summary = ", ".join(
        plural(counts[severity], severity)
        for severity in ("error", "warning", "info")
        if counts[severity]
    )
    return "\n".join([*(finding.one_line() for finding in findings), summary]) + "\n"


def _json(findings: Sequence[Finding], _: Mapping[str, RuleInfo]) -> str:
    documents = [finding.model_dump(mode="json", exclude_none=True) for finding in findings]
    return json.dumps(documents, indent=2) + "\n"


def _sarif(findings: Sequence[Finding], rules: Mapping[str, RuleInfo]) -> str:
    codes = sorted({finding.code for finding in findings} | set(rules))
    rule_index = {code: index for index, code in enumerate(codes)}
    driver_rules = []
    for code in codes:
        info = rules.get(code)
        rule: dict[str, object] = {"id": code}
        if info is not None:
            rule["name"] = info.name
            rule["shortDescription"] = {"text": info.summary}
            if info.help_uri:
                rule["helpUri"] = info.help_uri
        driver_rules.append(rule)
    results = []
    for finding in findings:
        region: dict[str, int] = {}
        if finding.location.line:
            region["startLine"] = finding.location.line
            region["startColumn"] = max(finding.location.column, 1)
        physical: dict[str, object] = {"artifactLocation": _artifact(finding.location.file)}
        if region:
            physical["region"] = region
        message = finding.message if not finding.hint else f"{finding.message} ({finding.hint})"
        results.append(
            {
                "ruleId": finding.code,
                "ruleIndex": rule_index[finding.code],
                "level": _SARIF_LEVEL[finding.severity],
                "message": {"text": message},
                "locations": [{"physicalLocation": physical}],
            }
        )
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "telemetry-contracts",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": driver_rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _artifact(file: str) -> dict[str, str]:
    """A SARIF artifact location: relative to the working directory (``%SRCROOT%``) when inside it,
    as code-scanning services expect; other paths as given."""
    path = Path(file)
    root = Path.cwd()
    if path.is_absolute():
        try:
            path = path.relative_to(root)
        except ValueError:
            return {"uri": path.as_uri()}
    if path.parts and path.parts[0] == "..":
        return {"uri": path.as_posix()}
    return {"uri": quote(path.as_posix()), "uriBaseId": "%SRCROOT%"}


def _github(findings: Sequence[Finding], _: Mapping[str, RuleInfo]) -> str:
    lines = []
    for finding in findings:
        properties = [f"file={_escape_property(finding.location.file)}"]
        if finding.location.line:
            properties.append(f"line={finding.location.line}")
            if finding.location.column:
                properties.append(f"col={finding.location.column}")
        properties.append(f"title={_escape_property(finding.code)}")
        message = finding.message if not finding.hint else f"{finding.message} ({finding.hint})"
        command = _GITHUB_COMMAND[finding.severity]
        lines.append(f"::{command} {','.join(properties)}::{_escape_data(message)}")
    return "".join(line + "\n" for line in lines)


def _escape_data(value: str) -> str:
    """Escape a workflow-command message as the GitHub runner expects."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    """Escape a workflow-command property (also ``:`` and ``,``)."""
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


_RENDERERS: dict[ReportFormat, Callable[[Sequence[Finding], Mapping[str, RuleInfo]], str]] = {
    ReportFormat.text: _text,
    ReportFormat.json: _json,
    ReportFormat.sarif: _sarif,
    ReportFormat.github: _github,
}
