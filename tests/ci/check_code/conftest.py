"""Fixtures for the code scanner: the v1.44.0 registry resolved once, and a file writer."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from telemetry_contracts.ci.scanner.checks import RegistryIndex
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.snapshot import Snapshot


@pytest.fixture(scope="session")
def snapshot_v1_44(semconv_v1_44: Path) -> Snapshot:
    return load_registry(str(semconv_v1_44)).snapshot


@pytest.fixture(scope="session")
def index_v1_44(snapshot_v1_44: Snapshot) -> RegistryIndex:
    return RegistryIndex(snapshot_v1_44)


@pytest.fixture(scope="session")
def snapshot_file(snapshot_v1_44: Snapshot, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The v1.44.0 snapshot as a ``.json`` file, so subprocesses skip resolving the model."""
    path = tmp_path_factory.mktemp("registry") / "semconv-1.44.0.json"
    path.write_bytes(snapshot_v1_44.to_json_bytes())
    return path


@pytest.fixture
def write_source(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write dedented Python source to ``tmp_path/name`` and return its path."""

    def write(name: str, source: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        return path

    return write
