"""Shared fixtures: the official semantic-convention corpora from ``../shared``, and a cache
folder of each test's own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.postgres"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = PROJECT_ROOT.parent / "shared"
SEMCONV = SHARED / "corpora" / "semconv"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def private_cache_dir(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> Path:
    """What a test downloads and keeps (archives, snapshots) stays in a folder of its own, never
    in the user's cache nor another test's."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("TELEMETRY_CONTRACTS_CACHE_DIR", str(folder))
    return folder


def require_path(path: Path, what: str) -> Path:
    """``path`` if it exists; otherwise skip, or fail under ``CI=true``."""
    if path.exists():
        return path
    reason = f"{what} not found at {path} (expected ../shared beside the project root)"
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def semconv_model(version: str) -> Path:
    """The ``model/`` directory of one official semantic-convention release."""
    return require_path(SEMCONV / version / "model", f"semantic-convention corpus {version}")


@pytest.fixture(scope="session")
def semconv_v1_44() -> Path:
    return semconv_model("v1.44.0")


@pytest.fixture(scope="session")
def semconv_v1_27() -> Path:
    return semconv_model("v1.27.0")


@pytest.fixture(scope="session")
def semconv_v1_26() -> Path:
    return semconv_model("v1.26.0")


@pytest.fixture(scope="session")
def schema_file_1_27() -> Path:
    return require_path(SEMCONV / "schemas" / "1.27.0", "official schema file 1.27.0")
