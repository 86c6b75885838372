"""One pre-commit hook environment for every pre-commit test: this project installed from its
committed HEAD, as a user's repository would install it, built once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT


def git(repository: Path, *arguments: str) -> str:
    result = subprocess.run(["git", *arguments], cwd=repository, check=True,
                            capture_output=True, text=True)
    return result.stdout.strip()


def pre_commit(repository: Path, home: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    environment["PRE_COMMIT_HOME"] = str(home)
    environment.pop("VIRTUAL_ENV", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", *arguments], cwd=repository,
                          env=environment, capture_output=True, text=True, timeout=600,
                          check=False)


@pytest.fixture(scope="session")
def hook_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A PRE_COMMIT_HOME holding the hook environment, and the revision it was built from."""
    if not (PROJECT_ROOT / ".git").exists():
        pytest.fail(f"{PROJECT_ROOT} is not a git checkout; pre-commit installs hooks from git")
    rev = git(PROJECT_ROOT, "rev-parse", "HEAD")
    home = tmp_path_factory.mktemp("pre-commit-home")
    bootstrap = tmp_path_factory.mktemp("bootstrap")
    git(bootstrap, "init", "-q")
    (bootstrap / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {PROJECT_ROOT}\n    rev: {rev}\n    hooks:\n"
        "      - id: telemetry-contracts-lint\n      - id: telemetry-contracts-check-code\n"
        "      - id: telemetry-contracts-diff\n"
    )
    installed = pre_commit(bootstrap, home, "install-hooks")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return home, rev
