"""The ``telemetry-contracts-lint`` pre-commit hook, run by the real ``pre-commit``.

pre-commit clones this project at its committed HEAD and installs it into its own environment,
as a user's repository would; the environment (``hook_home``) is shared by every hook test.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.ci.conftest import git, pre_commit
from tests.conftest import PROJECT_ROOT

CLEAN_CONTRACTS = """\
file_format: definition/2
attributes:
  - key: shop.order.id
    type: string
    brief: The order's id.
    examples: [o-1]
"""
BAD_CONTRACTS = CLEAN_CONTRACTS + """\
  - key: shop.orderTotal
    type: double
    brief: The order's total.
"""

pytestmark = pytest.mark.slow


def make_repository(path: Path, contracts: str, rev: str) -> Path:
    """A git repository whose pre-commit configuration uses this project's lint hook."""
    path.mkdir()
    git(path, "init", "-q")
    git(path, "config", "user.email", "dev@example.com")
    git(path, "config", "user.name", "Dev")
    (path / "telemetry").mkdir()
    (path / "telemetry" / "contracts.yaml").write_text(contracts)
    (path / "pyproject.toml").write_text('[tool.telemetry-contracts]\nregistry = "telemetry"\n')
    (path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {PROJECT_ROOT}\n    rev: {rev}\n    hooks:\n"
        "      - id: telemetry-contracts-lint\n"
    )
    git(path, "add", "-A")
    return path


def test_clean_contracts_pass_the_hook(hook_home: tuple[Path, str], tmp_path: Path) -> None:
    home, rev = hook_home
    repository = make_repository(tmp_path / "repo", CLEAN_CONTRACTS, rev)
    result = pre_commit(repository, home, "run", "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "telemetry-contracts lint" in result.stdout and "Passed" in result.stdout


def test_bad_contract_fails_the_hook_with_its_rule_code(
    hook_home: tuple[Path, str], tmp_path: Path
) -> None:
    home, rev = hook_home
    repository = make_repository(tmp_path / "repo", BAD_CONTRACTS, rev)
    result = pre_commit(repository, home, "run", "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    assert "telemetry/contracts.yaml:7:5: error TC201" in result.stdout


def test_hook_blocks_a_commit(hook_home: tuple[Path, str], tmp_path: Path) -> None:
    home, rev = hook_home
    repository = make_repository(tmp_path / "repo", BAD_CONTRACTS, rev)
    assert pre_commit(repository, home, "install").returncode == 0
    environment = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    commit = subprocess.run(["git", "commit", "-qm", "add contracts"], cwd=repository,
                            env=environment, capture_output=True, text=True, check=False)
    assert commit.returncode != 0 and "TC201" in commit.stdout + commit.stderr
    (repository / "telemetry" / "contracts.yaml").write_text(CLEAN_CONTRACTS)
    git(repository, "add", "-A")
    commit = subprocess.run(["git", "commit", "-qm", "add contracts"], cwd=repository,
                            env=environment, capture_output=True, text=True, check=False)
    assert commit.returncode == 0, commit.stdout + commit.stderr
