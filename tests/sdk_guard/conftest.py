"""Fixtures for the guard: a small contract set and snapshot files of the real conventions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from guard_contracts import contracts_snapshot

from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.sdk_guard import Guard


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
    return contracts_snapshot()


@pytest.fixture(scope="session")
def snapshot_file(tmp_path_factory: pytest.TempPathFactory, snapshot: Snapshot) -> Path:
    path = tmp_path_factory.mktemp("snapshot") / "snapshot.json"
    path.write_bytes(snapshot.to_json_bytes())
    return path


@pytest.fixture(scope="session")
def baseline_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in semantic-convention baseline as a snapshot file."""
    from telemetry_contracts.resolution.baseline import baseline_snapshot

    path = tmp_path_factory.mktemp("baseline") / "semconv.json"
    path.write_bytes(baseline_snapshot().to_json_bytes())
    return path


@pytest.fixture(scope="session")
def semconv_v1_44_file(tmp_path_factory: pytest.TempPathFactory, semconv_v1_44: Path) -> Path:
    """The official v1.44.0 model resolved to a snapshot file (real attribute types)."""
    from telemetry_contracts.resolution.loader import load_registry

    path = tmp_path_factory.mktemp("v1_44") / "v1.44.0.json"
    path.write_bytes(load_registry(semconv_v1_44).snapshot.to_json_bytes())
    return path


@pytest.fixture(params=["auto", "public"])
def guard(snapshot: Snapshot, request: pytest.FixtureRequest) -> Iterator[Guard]:
    """The guard on the paths the installed SDK allows, and forced onto the public API."""
    guard = Guard.from_snapshot(snapshot, environ={}, sdk_path=request.param)
    yield guard
    guard.shutdown()
