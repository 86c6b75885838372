"""RFC 9457 problem documents for every error the API answers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from telemetry_contracts.registry.api.deps import authenticated
from telemetry_contracts.registry.service.errors import ServiceError, Unauthenticated
from telemetry_contracts.schemas.findings import Finding, Location

LOG = logging.getLogger("telemetry_contracts.registry")
PROBLEM_JSON = "application/problem+json"
STATUS = {"unauthenticated": 401, "forbidden": 403, "not-found": 404, "conflict": 409,
          "quota-exceeded": 409, "precondition-failed": 412, "invalid": 422}
TITLES = {400: "Bad request", 401: "Unauthenticated", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 412: "Precondition failed",
          413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content",
          428: "Precondition required", 500: "Internal server error"}


class Problem(BaseModel):
    """An error answer (``application/problem+json``), with rule findings where there are any."""

    model_config = ConfigDict(extra="forbid")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    findings: list[Finding] = []
    breaking: list[dict[str, Any]] | None = None
    """For a publish refused by the compatibility mode: the breaking changes."""
    from_state: str | None = None
    to_state: str | None = None


def problem_response(status: int, detail: str | None, *, kind: str | None = None,
                     instance: str | None = None, findings: list[Finding] | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """A JSON response carrying a :class:`Problem`."""
    problem = Problem(
        type=f"urn:telemetry-contracts:problem:{kind}" if kind else "about:blank",
        title=TITLES.get(status, "Error"), status=status, detail=detail, instance=instance,
        findings=findings or [], **extra,
    )
    return JSONResponse(problem.model_dump(mode="json", exclude_none=True), status_code=status,
                        media_type=PROBLEM_JSON, headers=headers)


def install_handlers(app: FastAPI) -> None:
    """Answer service errors, HTTP errors and request validation errors as problems."""

    @app.exception_handler(ServiceError)
    async def _service(request: Request, error: ServiceError) -> JSONResponse:
        status = STATUS[error.kind]
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return problem_response(status, error.detail, kind=error.kind,
                                instance=request.url.path, findings=error.findings,
                                headers=headers, **error.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400:
            refused = await _unauthenticated(request)
            if refused is not None:
                return refused
        headers = dict(error.headers) if error.headers else {}
        if error.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return problem_response(error.status_code, str(error.detail),
                                instance=request.url.path, headers=headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        LOG.exception("unexpected error answering %s %s", request.method, request.url.path)
        return problem_response(500, "the server failed to answer; the error is in its log",
                                instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        refused = await _unauthenticated(request)
        if refused is not None:
            return refused
        findings = [
            Finding(code="TC102", severity="error",
                    message=f"`{'.'.join(str(p) for p in item['loc'])}`: {item['msg']}",
                    location=Location(file="request"))
            for item in error.errors()[:50]
        ]
        return problem_response(422, "the request does not match its schema", kind="invalid",
                                instance=request.url.path, findings=findings)


async def _unauthenticated(request: Request) -> JSONResponse | None:
    """The 401 for a request under ``/v1`` whose caller is unknown, else None: a caller without
    a valid token hears that before anything about its request's shape."""
    if not request.url.path.startswith("/v1/"):
        return None
    try:
        await authenticated(request, "viewer")
    except Unauthenticated as error:
        return problem_response(401, error.detail, kind=error.kind, instance=request.url.path,
                                headers={"WWW-Authenticate": "Bearer"})
    except ServiceError:
        return None
    if request.method not in ("GET", "HEAD") and "authorization" not in request.headers:
        return problem_response(401, "a bearer token is required", kind="unauthenticated",
                                instance=request.url.path,
                                headers={"WWW-Authenticate": "Bearer"})
    return None


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers on the request's path."""
    methods: set[str] = set()
    for route in _leaves(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _leaves(routes: list[Any]) -> Iterator[Any]:
    """The routes of ``routes``, with each included router's own routes in its place."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is None:
            yield route
        else:
            yield from _leaves(inner.routes)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for problem answers."""
    return {status: {"model": Problem, "description": TITLES.get(status, "Error")}
            for status in statuses}
