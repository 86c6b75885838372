"""Property-based runs of schemathesis over the OpenAPI document, in process against the ASGI app,
on SQLite and on the real PostgreSQL the tests start.

Every answer must be below 500 and match the document: status code, content type, headers and
body schema. Requests carry an admin token, so the write routes are exercised too. The stateful
run follows the document's links (a created proposal is read, changed, reviewed, withdrawn; a
created token is revoked; a published version is read). Each stateful run starts from a fresh
copy of the same seeded store, so a run's answers depend on its own calls alone.
"""

from __future__ import annotations

import itertools
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from telemetry_contracts.registry.service.auth import create_token
from telemetry_contracts.registry.service.registry import RegistryService
from telemetry_contracts.registry.service.settings import Settings
from telemetry_contracts.resolution.baseline import baseline_snapshot
from tests.postgres import PostgresServer, create_database
from tests.registry.conftest import BACKENDS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from telemetry_contracts.registry.api.app import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.filter_too_much,
              HealthCheck.function_scoped_fixture]


class SwappableApp:
    """An ASGI app that forwards to a registry app which a stateful run may replace."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


class FreshRegistries:
    """Copies of one seeded store, each behind a new app: one per stateful run."""

    def __init__(self, backend: str, tmp_path: Path, server: PostgresServer | None) -> None:
        self.backend, self.tmp_path, self.server = backend, tmp_path, server
        self.counter = itertools.count()
        self.template = self._url("template")
        service = RegistryService(Settings(database_url=self.template), seed=baseline_snapshot())
        _, self.secret = create_token(service.database, role="admin", name="fuzz",
                                      namespaces=[], actor="test")
        service.close()
        self.services: list[RegistryService] = []

    def _url(self, name: str, template: str | None = None) -> str:
        if self.server is None:
            path = self.tmp_path / f"{name}.db"
            if template is not None:
                shutil.copyfile(self.tmp_path / f"{template}.db", path)
            return f"sqlite:///{path}"
        copied = f"schemathesis_{template}" if template is not None else None
        return create_database(self.server, f"schemathesis_{name}", template=copied)

    def app(self) -> Any:
        """A new app on a new copy of the seeded store."""
        url = self._url(f"run{next(self.counter)}", template="template")
        service = RegistryService(Settings(database_url=url))
        self.services.append(service)
        return create_app(service=service)

    def close(self) -> None:
        for service in self.services:
            service.close()


@pytest.fixture(scope="module", params=BACKENDS)
def registries(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[FreshRegistries]:
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    fresh = FreshRegistries(request.param, tmp_path_factory.mktemp("schemathesis"), server)
    yield fresh
    fresh.close()


@pytest.fixture(scope="module")
def admin_app(registries: FreshRegistries) -> tuple[SwappableApp, str]:
    return SwappableApp(registries.app()), registries.secret


@pytest.fixture(scope="module")
def api_schema(admin_app: tuple[Any, str]) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", admin_app[0])


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=SUPPRESSED)
def test_every_answer_matches_the_openapi_document(case: schemathesis.Case,
                                                   admin_app: tuple[Any, str]) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_app[1]}"}, checks=CHECKS)


def test_sequences_of_calls_along_the_links_never_fail(
        api_schema: Any, admin_app: tuple[SwappableApp, str], registries: FreshRegistries) -> None:
    links = [name for path in api_schema.raw_schema["paths"].values()
             for operation in path.values()
             for answer in operation.get("responses", {}).values()
             for name in answer.get("links", {})]
    assert len(links) >= 8, "the document links created resources to their operations"
    headers = {"Authorization": f"Bearer {admin_app[1]}"}

    class Workflow(api_schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            admin_app[0].app = registries.app()

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: schemathesis.Case,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Workflow.run(settings=settings(max_examples=30, stateful_step_count=6, deadline=None,
                                   suppress_health_check=SUPPRESSED))
