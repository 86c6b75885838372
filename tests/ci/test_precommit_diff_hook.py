"""The ``telemetry-contracts-diff`` hook, run by the real pre-commit on a temporary git repository.

pre-commit installs this project from its local path at its HEAD commit into a hook environment
of its own (``hook_home``, shared by every hook test), exactly as a team's repository would;
``git commit`` then runs the hook.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.contract_samples import BREAKING_EDITS, COMPATIBLE_EDITS, edited, write_registry

pytestmark = pytest.mark.slow

HOOK_ID = "telemetry-contracts-diff"


@pytest.fixture(scope="module")
def environment(hook_home: tuple[Path, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(PRE_COMMIT_HOME=str(hook_home[0]), GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")
    env.pop("VIRTUAL_ENV", None)
    return env


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False,
                          timeout=600)


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory, environment: dict[str, str],
               hook_home: tuple[Path, str]) -> Path:
    """A repository whose first commit holds the contracts, with the hook installed."""
    root = tmp_path_factory.mktemp("team-repo")
    write_registry(root / "telemetry")
    (root / "pyproject.toml").write_text(
        "[tool.telemetry-contracts]\n"
        'registry = "telemetry"\n'
        'baseline = "git:HEAD:telemetry"\n'
    )
    (root / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {PROJECT_ROOT}\n"
        f"    rev: {hook_home[1]}\n"
        "    hooks:\n"
        f"      - id: {HOOK_ID}\n"
    )
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "."],
                    ["git", "commit", "-q", "-m", "contracts"]):
        assert run(command, root, environment).returncode == 0
    installed = run([sys.executable, "-m", "pre_commit", "install"], root, environment)
    assert installed.returncode == 0, installed.stderr
    ready = run([sys.executable, "-m", "pre_commit", "install-hooks"], root, environment)
    assert ready.returncode == 0, ready.stdout + ready.stderr  # the shared environment: no build
    return root


def commit(repository: Path, environment: dict[str, str], text: str, message: str
           ) -> subprocess.CompletedProcess[str]:
    (repository / "telemetry" / "app.yaml").write_text(text)
    assert run(["git", "add", "telemetry/app.yaml"], repository, environment).returncode == 0
    return run(["git", "commit", "-m", message], repository, environment)


def head_message(repository: Path, environment: dict[str, str]) -> str:
    return run(["git", "log", "-1", "--format=%s"], repository, environment).stdout.strip()


def test_breaking_change_is_refused(repository: Path, environment: dict[str, str]) -> None:
    result = commit(repository, environment, edited(BREAKING_EDITS["change metric unit"]),
                    "switch to milliseconds")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert HOOK_ID in output or "telemetry-contracts diff" in output
    assert "Failed" in output
    assert "unit changed from `s` to `ms`" in output
    assert head_message(repository, environment) == "contracts"
    # Leave the index as it was for the next test.
    assert run(["git", "reset", "-q", "--hard", "HEAD"], repository, environment).returncode == 0


def test_compatible_change_is_committed(repository: Path, environment: dict[str, str]) -> None:
    result = commit(repository, environment, edited(COMPATIBLE_EDITS["add optional attribute"]),
                    "add app.tenant")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Passed" in output
    assert head_message(repository, environment) == "add app.tenant"
