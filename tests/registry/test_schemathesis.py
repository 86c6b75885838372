"""Property-based run of schemathesis over the OpenAPI document, in process against the ASGI app.

Every answer must be below 500 and match the document: status code, content type, headers and
body schema. Requests carry an admin token, so the write routes are exercised too.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from telemetry_contracts.registry.service.auth import create_token
from telemetry_contracts.registry.service.registry import RegistryService
from telemetry_contracts.registry.service.settings import Settings
from telemetry_contracts.resolution.baseline import baseline_snapshot

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


@pytest.fixture(scope="module")
def admin_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, str]:
    database = tmp_path_factory.mktemp("schemathesis") / "registry.db"
    service = RegistryService(Settings(database_url=f"sqlite:///{Path(database)}"),
                              seed=baseline_snapshot())
    _, secret = create_token(service.database, role="admin", name="fuzz", namespaces=[],
                             actor="test")
    return create_app(service=service), secret


@pytest.fixture(scope="module")
def api_schema(admin_app: tuple[object, str]) -> object:
    return schemathesis.openapi.from_asgi("/openapi.json", admin_app[0])


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_every_answer_matches_the_openapi_document(case: schemathesis.Case,
                                                   admin_app: tuple[object, str]) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_app[1]}"}, checks=CHECKS)
