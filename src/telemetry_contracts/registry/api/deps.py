"""Dependencies shared by the routes: the service, the caller, paging and preconditions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from telemetry_contracts.registry.service.auth import Principal, Role
from telemetry_contracts.registry.service.errors import PreconditionFailed
from telemetry_contracts.registry.service.registry import RegistryService

bearer = HTTPBearer(auto_error=False,
                    description="A token made by `telemetry-contracts token create`.")

Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page.")]
Cursor = Annotated[str | None, Query(max_length=512,
                                     description="`next_cursor` of the previous page.")]
VersionQuery = Annotated[str | None, Query(pattern=r"^\d+\.\d+\.\d+$",
                                           description="A published version; the latest if "
                                                       "omitted.")]


def service_of(request: Request) -> RegistryService:
    """The service the app was built with."""
    service: RegistryService = request.app.state.service
    return service


Service = Annotated[RegistryService, Depends(service_of)]


def caller(role: Role) -> Callable[..., Principal]:
    """A dependency that authenticates the caller and requires ``role`` or above."""

    def dependency(
        request: Request,
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        return service_of(request).authenticate(request.headers.get("authorization"), role)

    return dependency


Viewer = Annotated[Principal, Depends(caller("viewer"))]
Contributor = Annotated[Principal, Depends(caller("contributor"))]
Reviewer = Annotated[Principal, Depends(caller("reviewer"))]
Admin = Annotated[Principal, Depends(caller("admin"))]


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
