"""Usage reports, the deprecation report, tokens and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic_core import to_json

from telemetry_contracts.registry.api.deps import Admin, Contributor, Cursor, Limit, Service, Viewer
from telemetry_contracts.registry.api.problems import problem_responses
from telemetry_contracts.registry.service.models import (
    AuditOut,
    DeprecationReport,
    Me,
    Page,
    Safety,
    ServiceState,
    TokenIn,
    TokenOut,
    UnknownName,
    UsageAccepted,
)
from telemetry_contracts.schemas.text import NO_NUL_PATTERN
from telemetry_contracts.schemas.usage import UsageReport

router = APIRouter(prefix="/v1", responses=problem_responses(400, 401, 403, 404, 409, 413, 422))


@router.post("/usage", response_model=UsageAccepted, status_code=202, tags=["usage"])
def post_usage(service: Service, caller: Contributor, report: UsageReport) -> UsageAccepted:
    """The runtime guard's counts of what it saw and did, per service.

    A token bound to services (`token create --service`) reports for those alone.
    """
    return service.ingest_usage(caller, report)


@router.get("/reports/deprecations", response_model=DeprecationReport, tags=["usage"],
            response_class=Response)
def deprecations(
    service: Service,
    _: Viewer,
    limit: Limit = 100,
    cursor: Cursor = None,
    prefix: Annotated[str | None, Query(max_length=255, description="Names starting with this.")]
    = None,
    safe_to_remove: Annotated[
        Safety | None, Query(description="Only contracts with this verdict.")] = None,
) -> Response:
    """Every deprecated contract: replacement, sunset, who still emits it (with counts per day
    over the window), and whether it is safe to remove (`yes`, `no`, `unknown`)."""
    report = service.deprecation_document(limit, cursor, prefix=prefix,
                                          safe_to_remove=safe_to_remove)
    # Serialised once, without building a model of each of 10,000s of emitters.
    return Response(to_json(report), media_type="application/json")


@router.get("/reports/unknown", response_model=Page[UnknownName], tags=["usage"])
def unknown_names(
    service: Service, _: Viewer, limit: Limit = 100, cursor: Cursor = None,
    reporting_service: Annotated[str | None, Query(alias="service", max_length=255,
                                                   pattern=NO_NUL_PATTERN)] = None,
) -> Page[UnknownName]:
    """Names the guards saw that the registry does not define (TC801, TC802), per service,
    most seen first: telemetry to register or to stop emitting."""
    return service.unknown_names(limit, cursor, reporting_service)


@router.get("/reports/services", response_model=Page[ServiceState], tags=["usage"])
def reporting_services(service: Service, _: Viewer, limit: Limit = 100, cursor: Cursor = None
                       ) -> Page[ServiceState]:
    """Each service that reports usage: the version its guard enforces, how many versions
    behind the latest, and when it last reported."""
    return service.reporting_services(limit, cursor)


@router.get("/me", response_model=Me, tags=["admin"])
def me(service: Service, caller: Viewer) -> Me:
    """The caller: its token's name, role, namespaces and services."""
    return service.me(caller)


@router.post("/tokens", response_model=TokenOut, status_code=201, tags=["admin"],
             responses={201: {"description": "Created.", "links": {"RevokeToken": {
                 "operationId": "revoke_token_v1_tokens__token_id__delete",
                 "parameters": {"token_id": "$response.body#/id"}}}}})
def create_token(service: Service, caller: Admin, body: TokenIn) -> TokenOut:
    """Make a token; its secret is in this answer only."""
    return service.create_token(body, caller.name)


@router.get("/tokens", response_model=Page[TokenOut], tags=["admin"])
def list_tokens(service: Service, _: Admin, limit: Limit = 100, cursor: Cursor = None
                ) -> Page[TokenOut]:
    """Tokens (without secrets)."""
    return service.tokens(limit, cursor)


@router.delete("/tokens/{token_id}", status_code=204, response_class=Response, tags=["admin"])
def revoke_token(service: Service, caller: Admin,
                 token_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    """Revoke a token."""
    service.revoke_token(token_id, caller)
    return Response(status_code=204)


@router.get("/audit", response_model=Page[AuditOut], tags=["admin"])
def audit(service: Service, _: Admin, limit: Limit = 100, cursor: Cursor = None,
          actor: Annotated[str | None, Query(max_length=255, pattern=NO_NUL_PATTERN)] = None,
          action: Annotated[str | None, Query(max_length=64, pattern=NO_NUL_PATTERN)] = None
          ) -> Page[AuditOut]:
    """The audit log, oldest first."""
    return service.audit(actor, action, limit, cursor)
