"""The ``telemetry-contracts-check-code`` hook, run by the real ``pre-commit``.

pre-commit clones this repository at its current commit and installs it into a hook
environment of its own, exactly as a user's repository would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from telemetry_contracts.schemas.snapshot import Snapshot
from tests.conftest import PROJECT_ROOT

CLEAN = '''\
from opentelemetry import trace

tracer = trace.get_tracer(__name__)


def handle(method: str) -> None:
    with tracer.start_as_current_span("GET", attributes={"http.request.method": method}) as span:
        span.set_attribute("http.response.status_code", 200)
'''
DEPRECATED = '''\
def tag(span) -> None:
    span.set_attribute("http.method", "GET")
'''


def _git(repository: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=repository, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def hook_repository(
    tmp_path_factory: pytest.TempPathFactory, snapshot_v1_44: Snapshot
) -> tuple[Path, dict[str, str]]:
    """A git repository whose pre-commit config uses this project's check-code hook."""
    if shutil.which("git") is None:
        pytest.fail("git is needed to test the pre-commit hook")
    head = _git(PROJECT_ROOT, "rev-parse", "HEAD")
    repository = tmp_path_factory.mktemp("hooked")
    _git(repository, "init", "-q")
    (repository / "snapshot.json").write_bytes(snapshot_v1_44.to_json_bytes())
    (repository / "pyproject.toml").write_text(
        '[tool.telemetry-contracts]\nregistry = "snapshot.json"\n'
    )
    (repository / ".pre-commit-config.yaml").write_text(
        f"repos:\n"
        f"  - repo: {PROJECT_ROOT}\n"
        f"    rev: {head}\n"
        f"    hooks:\n"
        f"      - id: telemetry-contracts-check-code\n"
    )
    (repository / "app.py").write_text(CLEAN)
    _git(repository, "add", ".")
    environment = {
        key: value for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH") and not key.startswith(("GIT_", "PRE_COMMIT"))
    }
    environment["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    return repository, environment


def _pre_commit(repository: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=repository, env=environment, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.slow
def test_hook_passes_clean_code_and_fails_on_a_deprecated_attribute(
    hook_repository: tuple[Path, dict[str, str]],
) -> None:
    repository, environment = hook_repository

    clean = _pre_commit(repository, environment)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "telemetry-contracts check-code" in clean.stdout
    assert "Passed" in clean.stdout

    (repository / "handlers.py").write_text(DEPRECATED)
    _git(repository, "add", "handlers.py")
    failing = _pre_commit(repository, environment)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "Failed" in failing.stdout
    assert "handlers.py:2:24: error TC803 attribute `http.method` is deprecated" in failing.stdout
    assert "use `http.request.method`" in failing.stdout
    assert "app.py" not in failing.stdout.replace("handlers.py", "")
