"""Dependencies shared by the routes: the service, the caller, paging and preconditions."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ValidationError

from telemetry_contracts.registry.service.auth import Principal, Role
from telemetry_contracts.registry.service.errors import PreconditionFailed
from telemetry_contracts.registry.service.registry import RegistryService

Model = TypeVar("Model", bound=BaseModel)
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


async def json_body(request: Request, model: type[Model]) -> Model:
    """The request's JSON body as ``model``, parsed by pydantic straight from the bytes.

    For the busiest routes, which authenticate and read their body themselves: FastAPI's
    dependency and body machinery costs more than the rest of such a request. Errors are the
    same 422 FastAPI gives (see :func:`documented_here` for the OpenAPI side).
    """
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as error:
        raise RequestValidationError([{**item, "loc": ("body", *item["loc"])}
                                      for item in error.errors(include_url=False)]) from None


def documented_here(body: type[BaseModel] | None = None) -> dict[str, Any]:
    """``openapi_extra`` of a route that calls :func:`authenticated` (and :func:`json_body` for
    ``body``) itself: the document says what the dependencies would have said."""
    extra: dict[str, Any] = {"security": [{SCHEME: []}]}
    if body is not None:
        extra["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{body.__name__}"}}}}
    return extra


class RequestOnlyRoute(APIRoute):
    """The route class of an ``async`` endpoint that takes the request alone and answers a
    :class:`Response` itself (with :func:`authenticated`, :func:`json_body` and
    :func:`documented_here`): FastAPI calls it without its parameter and response machinery,
    which costs more than such a request's own work. The declaration documents it as usual.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        parameters = list(inspect.signature(endpoint).parameters)
        if not inspect.iscoroutinefunction(endpoint) or parameters != ["request"]:
            raise TypeError(f"{endpoint.__name__} must be `async def ...(request: Request)`")
        super().__init__(path, endpoint, **options)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return self.endpoint
