"""Dependencies shared by the routes: the service, the caller, paging and preconditions."""

# No ``from __future__ import annotations`` here: FastAPI resolves a dependency's string
# annotations in its ``__globals__``, which a callable instance (``Caller``) lacks; with older
# pydantic releases (2.6) the import then fails.
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBearer

from telemetry_contracts.registry.service.auth import Principal, Role
from telemetry_contracts.registry.service.errors import PreconditionFailed
from telemetry_contracts.registry.service.registry import RegistryService

SCHEME = "HTTPBearer"
"""The name of the bearer security scheme in the OpenAPI document."""

Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page.")]
Cursor = Annotated[str | None, Query(max_length=512,
                                     description="`next_cursor` of the previous page.")]
VersionQuery = Annotated[str | None, Query(pattern=r"^\d+\.\d+\.\d+$",
                                           description="A published version; the latest if "
                                                       "omitted.")]


def service_of_app(request: Request) -> RegistryService:
    """The service the app was built with."""
    service: RegistryService = request.app.state.service
    return service


async def service_of(request: Request) -> RegistryService:
    """:func:`service_of_app` as a dependency (async: no worker thread for a look-up)."""
    return service_of_app(request)


Service = Annotated[RegistryService, Depends(service_of)]


async def authenticated(request: Request, role: Role) -> Principal:
    """The caller of ``request`` if it has ``role`` or above.

    A token seen within the last seconds is checked in memory on the event loop; only an
    unknown one costs a database read, on a worker thread.
    """
    authenticator = service_of_app(request).authenticator
    authorization = request.headers.get("authorization")
    principal = authenticator.from_memory(authorization, role)
    if principal is None:
        principal = await run_in_threadpool(authenticator.authenticate, authorization, role)
    return principal


class Caller(HTTPBearer):
    """A dependency that authenticates the caller and requires ``role`` or above.

    It is the bearer security scheme itself, so OpenAPI documents it and a request resolves
    one dependency rather than two.
    """

    def __init__(self, role: Role) -> None:
        super().__init__(auto_error=False, scheme_name=SCHEME,
                         description="A token made by `telemetry-contracts token create`.")
        self.role = role

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        return await authenticated(request, self.role)


Viewer = Annotated[Principal, Depends(Caller("viewer"))]
Contributor = Annotated[Principal, Depends(Caller("contributor"))]
Reviewer = Annotated[Principal, Depends(Caller("reviewer"))]
Admin = Annotated[Principal, Depends(Caller("admin"))]


def if_match(
    value: Annotated[str | None, Header(alias="If-Match", max_length=100,
                                        description="The proposal's ETag (its revision).")] = None,
) -> int | None:
    """The revision an ``If-Match`` header names; None for no header or ``*``."""
    if value is None or value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise PreconditionFailed("If-Match must carry an ETag this service returned")
    return int(text)


IfMatch = Annotated[int | None, Depends(if_match)]


def documented_here() -> dict[str, Any]:
    """``openapi_extra`` of a route that calls :func:`authenticated` itself: the document says
    what the dependency would have said."""
    return {"security": [{SCHEME: []}]}
