"""What a checked file may make the command line fetch, where the CI token goes, and the
deadline and size bound of every fetch: real CLI processes against real loopback servers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from telemetry_contracts.resolution.loader import load_registry
from tests.contract_samples import write_registry
from tests.loopback_servers import Recording, Seen, dripping_server, recording_server

TOKEN = "ci-secret-token"


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TELEMETRY_CONTRACTS")}
    environment.update({"TELEMETRY_CONTRACTS_TOKEN": TOKEN, **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "telemetry_contracts", *args],
        cwd=cwd, env=environment, capture_output=True, text=True, check=False, timeout=120,
    )


@pytest.fixture
def snapshot_body(tmp_path: Path) -> bytes:
    return load_registry(write_registry(tmp_path / "served")).snapshot.to_json_bytes()


@pytest.fixture
def registry_server(snapshot_body: bytes) -> Iterator[Recording]:
    def answer(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        if seen.path != "/v1/snapshot":
            return 404, {}, b""
        return 200, {"Content-Type": "application/json"}, snapshot_body

    with recording_server(answer) as server:
        yield server


def with_url_dependency(directory: Path, url: str) -> Path:
    write_registry(directory)
    (directory / "manifest.yaml").write_text(
        f"name: app\nversion: 1.0.0\ndependencies:\n  - name: remote\n    registry_path: {url}\n"
    )
    return directory


def test_a_url_dependency_is_refused_unless_its_origin_is_allowed(
    tmp_path: Path, registry_server: Recording
) -> None:
    with_url_dependency(tmp_path / "reg", registry_server.url)
    refused = run_cli("resolve", "reg", "-o", "out.json", cwd=tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert "reg/manifest.yaml: error TC110" in refused.stderr
    assert f"--allow-url {registry_server.url}" in refused.stderr
    assert registry_server.seen == []  # not even a connection carrying the token

    allowed = run_cli("resolve", "reg", "-o", "out.json", "--allow-url", registry_server.url,
                      cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert registry_server.authorizations() == [f"Bearer {TOKEN}"]


def test_a_pyproject_baseline_url_is_refused_unless_allowed(
    tmp_path: Path, registry_server: Recording
) -> None:
    write_registry(tmp_path / "head")
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.telemetry-contracts]\nregistry = "head"\nbaseline = "{registry_server.url}"\n'
    )
    refused = run_cli("diff", cwd=tmp_path)
    assert refused.returncode == 2
    assert "pyproject.toml:3:1: error TC110" in refused.stderr
    assert registry_server.seen == []

    allowed = run_cli("diff", cwd=tmp_path,
                      env={"TELEMETRY_CONTRACTS_ALLOW_URLS": registry_server.url + "/"})
    assert allowed.returncode == 0, allowed.stderr
    assert registry_server.authorizations() == [f"Bearer {TOKEN}"]


def test_the_token_is_not_carried_across_a_redirect_to_another_origin(
    tmp_path: Path, registry_server: Recording
) -> None:
    def redirect(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        return 302, {"Location": f"{registry_server.url}{seen.path}"}, b""

    with recording_server(redirect) as front:
        result = run_cli("resolve", front.url, "-o", "out.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert front.authorizations() == [f"Bearer {TOKEN}"]  # named on the command line
    assert [seen.path for seen in registry_server.seen] == ["/v1/snapshot"]
    assert registry_server.authorizations() == [None]


def test_an_oversized_answer_is_refused(tmp_path: Path) -> None:
    huge = b" " * (65 * 1024 * 1024)
    with recording_server(lambda seen: (200, {}, huge)) as server:
        result = run_cli("resolve", server.url, "-o", "out.json", cwd=tmp_path)
    assert result.returncode == 2
    assert "TC100" in result.stderr and "over 67,108,864" in result.stderr


def test_a_dripping_registry_cannot_hold_resolve_past_its_deadline(tmp_path: Path) -> None:
    # One byte a second never trips a per-read timeout; only a total deadline ends it.
    with dripping_server(interval=1.0) as (url, accepted):
        result = run_cli("resolve", url, "-o", "out.json", cwd=tmp_path)
    assert accepted, "the client never connected"
    assert result.returncode == 2
    assert "TC100" in result.stderr and "within the deadline" in result.stderr


def test_a_version_snapshot_url_is_fetched_as_it_is(snapshot_body: bytes) -> None:
    def answer(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        if seen.path not in ("/v1/snapshot", "/v1/versions/1.0.0/snapshot"):
            return 404, {}, b""
        return 200, {"Content-Type": "application/json"}, snapshot_body

    with recording_server(answer) as server:
        for url in (server.url, f"{server.url}/v1/snapshot",
                    f"{server.url}/v1/versions/1.0.0/snapshot/"):
            assert load_registry(url).snapshot.to_json_bytes() == snapshot_body
        assert [seen.path for seen in server.seen] == [
            "/v1/snapshot", "/v1/snapshot", "/v1/versions/1.0.0/snapshot"]
