"""Property-based runs of schemathesis over the OpenAPI document, in process against the ASGI app,
on SQLite and on the real PostgreSQL the tests start.

Every answer must be below 500 and match the document: status code, content type, headers and
body schema. Requests carry an admin token, so the write routes are exercised too. The stateful
run follows the document's links (a created proposal is read, changed, reviewed, withdrawn; a
created token is revoked; a published version is read).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from telemetry_contracts.registry.service.auth import create_token
from telemetry_contracts.registry.service.registry import RegistryService
from telemetry_contracts.registry.service.settings import Settings
from telemetry_contracts.resolution.baseline import baseline_snapshot
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


@pytest.fixture(scope="module", params=BACKENDS)
def admin_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Any, str]:
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('schemathesis')) / 'registry.db'}"
    else:
        create: Callable[[], str] = request.getfixturevalue("postgres_database")
        url = create()
    service = RegistryService(Settings(database_url=url), seed=baseline_snapshot())
    _, secret = create_token(service.database, role="admin", name="fuzz", namespaces=[],
                             actor="test")
    return create_app(service=service), secret


@pytest.fixture(scope="module")
def api_schema(admin_app: tuple[Any, str]) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", admin_app[0])


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=SUPPRESSED)
def test_every_answer_matches_the_openapi_document(case: schemathesis.Case,
                                                   admin_app: tuple[Any, str]) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_app[1]}"}, checks=CHECKS)


def test_sequences_of_calls_along_the_links_never_fail(api_schema: Any,
                                                       admin_app: tuple[Any, str]) -> None:
    links = [name for path in api_schema.raw_schema["paths"].values()
             for operation in path.values()
             for answer in operation.get("responses", {}).values()
             for name in answer.get("links", {})]
    assert len(links) >= 8, "the document links created resources to their operations"
    headers = {"Authorization": f"Bearer {admin_app[1]}"}

    class Workflow(api_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: schemathesis.Case,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Workflow.run(settings=settings(max_examples=30, stateful_step_count=6, deadline=None,
                                   suppress_health_check=SUPPRESSED))
