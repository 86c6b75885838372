"""Fixtures of the registry tests: a store on SQLite or on a real PostgreSQL, and an HTTP client."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from telemetry_contracts.resolution.baseline import baseline_snapshot
from telemetry_contracts.schemas.snapshot import Snapshot

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from telemetry_contracts.registry.api.app import create_app
from telemetry_contracts.registry.service.auth import Role, create_token
from telemetry_contracts.registry.service.registry import RegistryService
from telemetry_contracts.registry.service.settings import Settings

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def baseline() -> Snapshot:
    """The semconv baseline, parsed once."""
    return baseline_snapshot()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or a new database on the test PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    create: Callable[[], str] = request.getfixturevalue("postgres_database")
    return create()


@dataclass
class Harness:
    """A running app over a fresh store, with tokens for named principals."""

    service: RegistryService
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, name: str, role: Role, namespaces: tuple[str, ...] = ()) -> str:
        _, secret = create_token(self.service.database, role=role, name=name,
                                 namespaces=list(namespaces), actor="test")
        self.tokens[name] = secret
        return secret

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@pytest.fixture
def make_harness(database_url: str, baseline: Snapshot) -> Iterator[Callable[..., Harness]]:
    """Build harnesses over ``database_url`` with the given settings."""
    made: list[Harness] = []

    def make(**settings: object) -> Harness:
        service = RegistryService(Settings(database_url=database_url, **settings),  # type: ignore[arg-type]
                                  seed=baseline)
        harness = Harness(service, TestClient(create_app(service=service)))
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.client.close()
        harness.service.close()


@pytest.fixture
def harness(make_harness: Callable[..., Harness]) -> Harness:
    """A harness with default settings (reads need a token, one approval)."""
    return make_harness()
