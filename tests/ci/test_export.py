"""``telemetry-contracts export``: the OpenTelemetry schema file and the Markdown page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from telemetry_contracts.ci.cli import app
from tests.cli_runner import cli_runner
from tests.contract_samples import SAMPLE_REGISTRY, edited, write_registry

runner = cli_runner()

RENAME = (
    '        brief: The tier of the calling user.\n        examples: ["gold"]\n',
    '        brief: The tier of the calling user.\n        examples: ["gold"]\n'
    "        deprecated:\n          reason: renamed\n          renamed_to: app.customer.tier\n"
    "      - id: app.customer.tier\n        type: string\n        stability: stable\n"
    '        brief: The tier of the customer.\n        examples: ["gold"]\n',
)
METRIC_RENAME = (
    "    brief: Duration of handled requests.\n",
    "    brief: Duration of handled requests.\n    deprecated: Replaced by `app.server.duration`.\n"
    "  - id: metric.app.server.duration\n    type: metric\n    metric_name: app.server.duration\n"
    "    instrument: histogram\n    unit: s\n    stability: stable\n    brief: Server time.\n",
)


def manifest(directory: Path, version: str) -> None:
    (directory / "manifest.yaml").write_text(
        f"name: app\nversion: {version}\nschema_url: https://example.com/schemas/{version}\n")


def test_schema_file_from_baseline_to_registry(tmp_path: Path) -> None:
    baseline = write_registry(tmp_path / "v1")
    manifest(baseline, "1.0.0")
    head = write_registry(tmp_path / "v2", edited(METRIC_RENAME, edited(RENAME)))
    manifest(head, "1.1.0")
    target = tmp_path / "out" / "1.1.0"
    result = runner.invoke(app, ["export", str(head), "--to", "schema-file",
                                 "--baseline", str(baseline), "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(target.read_text()) == {
        "file_format": "1.1.0",
        "schema_url": "https://example.com/schemas/1.1.0",
        "versions": {
            "1.1.0": {
                "all": {"changes": [{"rename_attributes": {
                    "attribute_map": {"app.user.tier": "app.customer.tier"}}}]},
                "metrics": {"changes": [{"rename_metrics": {
                    "app.request.duration": "app.server.duration"}}]},
            },
            "1.0.0": None,
        },
    }


def test_schema_url_defaults_to_the_baselines_with_the_new_version(tmp_path: Path) -> None:
    baseline = write_registry(tmp_path / "v1")
    manifest(baseline, "1.0.0")
    head = write_registry(tmp_path / "v2")
    (head / "manifest.yaml").write_text("name: app\nversion: 1.0.1\n")
    result = runner.invoke(app, ["export", str(head), "--to", "schema-file",
                                 "--baseline", str(baseline)])
    document = yaml.safe_load(result.stdout)
    assert document["schema_url"] == "https://example.com/schemas/1.0.1"
    assert document["versions"] == {"1.0.1": None, "1.0.0": None}


def run_main(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from telemetry_contracts.ci.cli import main; main()", *arguments],
        cwd=cwd, capture_output=True, text=True, check=False,
    )


def test_schema_file_needs_a_baseline_and_a_matching_schema_url(tmp_path: Path) -> None:
    write_registry(tmp_path / "v1")
    write_registry(tmp_path / "v2")
    manifest(tmp_path / "v2", "2.0.0")
    missing = run_main("export", "v2", "--to", "schema-file", cwd=tmp_path)
    assert missing.returncode == 2 and "--baseline" in missing.stderr
    wrong = run_main("export", "v2", "--to", "schema-file", "--baseline", "v1",
                     "--schema-url", "https://example.com/schemas/1.9.0", cwd=tmp_path)
    assert wrong.returncode == 2 and "must end with the version 2.0.0" in wrong.stderr


def test_markdown_page_lists_attributes_and_metrics(tmp_path: Path) -> None:
    head = write_registry(tmp_path / "v2", edited(RENAME, SAMPLE_REGISTRY))
    result = runner.invoke(app, ["export", str(head), "--to", "markdown"])
    lines = result.stdout.splitlines()
    assert result.exit_code == 0
    assert "| `app.outcome` | enum: `ok`, `error` | stable | The outcome of the request. |" in lines
    assert any(line.startswith("| `app.user.tier` |") and
               "**Deprecated**: use `app.customer.tier`." in line for line in lines)
    assert any(line.startswith("| `app.request.duration` | histogram | `s` | stable | "
                               "`app.outcome` (required) |") for line in lines)
