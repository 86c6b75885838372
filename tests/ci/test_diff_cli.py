"""`diff`: baselines from directories, git and servers; output formats; exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from telemetry_contracts.ci.cli import app
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.validators.compatibility import RegistryDiff
from tests.cli_runner import cli_runner
from tests.contract_samples import (
    BREAKING_EDITS,
    COMPATIBLE_EDITS,
    SAMPLE_REGISTRY,
    edited,
    write_registry,
)

runner = cli_runner()

EXPECTED_CODES = {
    "remove stable attribute": ("TC901", "attribute `app.user.tier` removed"),
    "change metric unit": ("TC903", "unit changed from `s` to `ms`"),
    "change metric instrument": ("TC904", "instrument changed from `histogram` to `gauge`"),
    "remove enum member": ("TC905", "enum member `app.outcome=error` removed"),
    "require an attribute": ("TC906", "attribute `app.user.tier` of metric"),
}


def pair(tmp_path: Path, head_text: str) -> tuple[str, str]:
    baseline = write_registry(tmp_path / "baseline")
    head = write_registry(tmp_path / "head", head_text)
    return str(baseline), str(head)


def diff(*arguments: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["diff", *arguments])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", sorted(BREAKING_EDITS))
def test_breaking_change_fails_and_is_named(tmp_path: Path, name: str) -> None:
    baseline, head = pair(tmp_path, edited(BREAKING_EDITS[name]))
    code, out, err = diff("--baseline", baseline, "--head", head, "--fail-on", "breaking")
    rule, words = EXPECTED_CODES[name]
    assert code == 1
    assert words in err
    assert f"{rule} " in out and words in out
    assert "semver bump: major" in out


@pytest.mark.parametrize("name", sorted(COMPATIBLE_EDITS))
def test_compatible_change_passes_but_fails_on_any(tmp_path: Path, name: str) -> None:
    baseline, head = pair(tmp_path, edited(COMPATIBLE_EDITS[name]))
    code, out, _ = diff("--baseline", baseline, "--head", head, "--fail-on", "breaking")
    assert code == 0, out
    assert "0 breaking under BACKWARD" in out
    code, _, err = diff("--baseline", baseline, "--head", head, "--fail-on", "any")
    assert code == 1 and err.startswith("diff: ")


def test_fail_on_none_never_fails(tmp_path: Path) -> None:
    baseline, head = pair(tmp_path, edited(BREAKING_EDITS["change metric unit"]))
    assert diff("--baseline", baseline, "--head", head, "--fail-on", "none")[0] == 0


def test_mode_decides_what_is_breaking(tmp_path: Path) -> None:
    added_member = edited(("            - id: error\n", """            - id: timeout
              value: timeout
              stability: stable
            - id: error
"""))
    baseline, head = pair(tmp_path, added_member)
    assert diff("--baseline", baseline, "--head", head, "--mode", "BACKWARD")[0] == 0
    code, out, _ = diff("--baseline", baseline, "--head", head, "--mode", "FORWARD")
    assert code == 1 and "TC909" in out
    assert diff("--baseline", baseline, "--head", head, "--mode", "NONE")[0] == 0


def test_json_format_is_the_registry_diff_model(tmp_path: Path) -> None:
    baseline, head = pair(tmp_path, edited(BREAKING_EDITS["change metric unit"]))
    code, out, _ = diff("--baseline", baseline, "--head", head, "--format", "json")
    document = json.loads(out)
    parsed = RegistryDiff.model_validate(document)
    assert code == 1
    assert parsed.bump == document["bump"] == "major"
    [index] = document["breaking"]
    change = parsed.changes[index]
    assert (change.subject, change.field, change.old, change.new) == (
        "app.request.duration", "unit", "s", "ms")
    assert change.location is not None and change.location.line > 0


def test_markdown_format_is_a_table(tmp_path: Path) -> None:
    baseline, head = pair(tmp_path, edited(BREAKING_EDITS["remove enum member"]))
    _, out, _ = diff("--baseline", baseline, "--head", head, "--format", "markdown",
                     "--fail-on", "none")
    lines = out.splitlines()
    assert lines[0].startswith("### Telemetry contract changes")
    assert "| compatibility | change | subject | details |" in lines
    assert any(line.startswith("| **breaking** (TC905) | removed | app.outcome=error |")
               for line in lines)


def test_sarif_and_github_formats_locate_breaking_changes_in_head(tmp_path: Path) -> None:
    baseline, head = pair(tmp_path, edited(BREAKING_EDITS["change metric instrument"]))
    _, out, _ = diff("--baseline", baseline, "--head", head, "--format", "sarif")
    sarif = json.loads(out)
    [result] = sarif["runs"][0]["results"]
    assert sarif["version"] == "2.1.0"
    assert result["ruleId"] == "TC904" and result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == Path(f"{head}/app.yaml").as_uri()
    line = location["region"]["startLine"]
    assert "metric_name: app.request.duration" in "".join(
        SAMPLE_REGISTRY.splitlines(keepends=True)[line - 1:line + 2])
    rules = {rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {"TC901", "TC904", "TC905"} <= rules
    _, out, _ = diff("--baseline", baseline, "--head", head, "--format", "github")
    assert out.startswith(f"::error file={head}/app.yaml,line={line},")
    assert "title=TC904::" in out


def test_removal_is_located_in_the_head_file(tmp_path: Path) -> None:
    baseline, head = pair(tmp_path, edited(BREAKING_EDITS["remove stable attribute"]))
    _, out, _ = diff("--baseline", baseline, "--head", head, "--format", "github")
    assert f"file={head}/app.yaml," in out and "TC901" in out


def git(repository: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=repository, check=True, capture_output=True, text=True,
    ).stdout


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write_registry(root / "telemetry")
    git(root.parent, "init", "-q", "-b", "main", str(root))
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "contracts")
    return root


def test_git_baseline_is_read_without_a_checkout(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repository / "telemetry" / "app.yaml").write_text(
        edited(BREAKING_EDITS["change metric unit"]))
    monkeypatch.chdir(repository)
    code, out, err = diff("--baseline", "git:HEAD:telemetry", "--head", "telemetry")
    assert code == 1
    assert "unit changed from `s` to `ms`" in err
    # The working tree still holds the edit: nothing was checked out.
    assert "unit: ms" in (repository / "telemetry" / "app.yaml").read_text()
    git(repository, "commit", "-qam", "ms")
    code, out, _ = diff("--baseline", "git:HEAD~1:telemetry", "--head", "git:HEAD:telemetry")
    assert code == 1 and "TC903" in out


def test_configured_registry_and_baseline_are_the_defaults(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repository / "pyproject.toml").write_text(
        '[tool.telemetry-contracts]\nregistry = "telemetry"\nbaseline = "git:HEAD:telemetry"\n')
    (repository / "telemetry" / "app.yaml").write_text(
        edited(BREAKING_EDITS["remove enum member"]))
    (repository / "src").mkdir()
    monkeypatch.chdir(repository / "src")  # paths are taken from the pyproject.toml's directory
    code, _, err = diff()
    assert code == 1 and "app.outcome=error" in err


@pytest.fixture
def snapshot_server(tmp_path: Path) -> Iterator[str]:
    body = load_registry(write_registry(tmp_path / "served")).snapshot.to_json_bytes()
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            if self.path != "/v1/snapshot":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
        assert seen == ["/v1/snapshot"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_server_url_baseline(snapshot_server: str, tmp_path: Path) -> None:
    head = write_registry(tmp_path / "head", edited(BREAKING_EDITS["remove stable attribute"]))
    code, _, err = diff("--baseline", snapshot_server, "--head", str(head))
    assert code == 1
    assert "attribute `app.user.tier` removed" in err


def test_missing_baseline_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.telemetry-contracts]\n")
    write_registry(tmp_path / "head")
    result = subprocess.run(
        [sys.executable, "-c", "from telemetry_contracts.ci.cli import main; main()",
         "diff", "--head", "head"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert "TC100" in result.stderr and "--baseline" in result.stderr


def test_transitive_mode_checks_the_head_against_every_baseline(tmp_path: Path) -> None:
    development = edited(("    unit: s\n    stability: stable\n",
                          "    unit: s\n    stability: development\n"))
    v1 = write_registry(tmp_path / "v1")
    v2 = write_registry(tmp_path / "v2", development)
    v3 = write_registry(tmp_path / "v3", edited(("    unit: s\n", "    unit: ms\n"), development))
    history = ["--baseline", str(v1), "--baseline", str(v2), "--head", str(v3)]
    # Against v2 only, the unit of a development metric changed: not breaking ...
    assert diff(*history, "--mode", "BACKWARD")[0] == 0
    # ... but the metric was stable with unit `s` in v1.
    code, out, err = diff(*history, "--mode", "BACKWARD_TRANSITIVE")
    assert code == 1
    assert "Breaking - against earlier versions:" in out
    assert "TC903 metric `app.request.duration`: unit changed from `s` to `ms` (against" in out
    assert "unit changed from `s` to `ms`" in err
    code, out, _ = diff(*history, "--mode", "BACKWARD_TRANSITIVE", "--format", "json")
    assert [c["field"] for c in json.loads(out)["breaking_against_earlier"]] == [
        "unit", "stability"]
