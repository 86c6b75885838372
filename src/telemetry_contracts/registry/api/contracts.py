"""Read routes: attributes, metrics, versions, snapshots and diffs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from telemetry_contracts.registry.api.deps import (
    Cursor,
    Limit,
    Service,
    VersionQuery,
    Viewer,
    authenticated,
    documented_here,
    service_of_app,
)
from telemetry_contracts.registry.api.problems import problem_responses
from telemetry_contracts.registry.service.models import DiffOut, Page, VersionOut
from telemetry_contracts.schemas.model import Attribute, Metric, Stability
from telemetry_contracts.schemas.snapshot import Snapshot

router = APIRouter(prefix="/v1", tags=["contracts"],
                   responses=problem_responses(400, 401, 403, 404, 413, 422))
Number = Annotated[str, Path(pattern=r"^\d+\.\d+\.\d+$", max_length=32)]
Prefix = Annotated[str | None, Query(max_length=255, description="Only names starting with it.")]


SNAPSHOT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"model": Snapshot, "description": "The snapshot, with its content hash as ETag."},
    304: {"description": "The caller's copy (If-None-Match) is current."},
}


# The hottest route first: routes are matched in order.
@router.get("/snapshot", response_class=Response, responses=SNAPSHOT_RESPONSES,
            openapi_extra=documented_here())
async def get_snapshot(
    request: Request,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match", max_length=1000)] = None,
) -> Response:
    """The latest published snapshot; answers 304 when ``If-None-Match`` names its hash."""
    service = service_of_app(request)
    await authenticated(request, "viewer")
    latest = service.versions.cached_latest()
    if latest is None:
        latest = await run_in_threadpool(service.versions.latest)
    etag = f'"{latest.content_hash}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    data = await run_in_threadpool(service.versions.snapshot_bytes, latest.number)
    return Response(data, media_type="application/json", headers=headers)


def _matches(header: str, etag: str) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


@router.get("/attributes", response_model=Page[Attribute])
def list_attributes(service: Service, _: Viewer, limit: Limit = 100, cursor: Cursor = None,
                    version: VersionQuery = None, prefix: Prefix = None,
                    stability: Stability | None = None, deprecated: bool | None = None
                    ) -> Page[Attribute]:
    """Attributes of a version, sorted by key."""
    return service.attributes(version, prefix=prefix, stability=stability,
                              deprecated=deprecated, limit=limit, cursor=cursor)


@router.get("/attributes/{key}", response_model=Attribute)
def get_attribute(service: Service, _: Viewer, key: Annotated[str, Path(max_length=255)],
                  version: VersionQuery = None) -> Attribute:
    """One attribute."""
    return service.attribute(key, version)


@router.get("/metrics", response_model=Page[Metric])
def list_metrics(service: Service, _: Viewer, limit: Limit = 100, cursor: Cursor = None,
                 version: VersionQuery = None, prefix: Prefix = None,
                 stability: Stability | None = None, deprecated: bool | None = None
                 ) -> Page[Metric]:
    """Metrics of a version, sorted by name."""
    return service.metrics(version, prefix=prefix, stability=stability, deprecated=deprecated,
                           limit=limit, cursor=cursor)


@router.get("/metrics/{name}", response_model=Metric)
def get_metric(service: Service, _: Viewer, name: Annotated[str, Path(max_length=255)],
               version: VersionQuery = None) -> Metric:
    """One metric."""
    return service.metric(name, version)


@router.get("/versions", response_model=Page[VersionOut])
def list_versions(service: Service, _: Viewer, limit: Limit = 100, cursor: Cursor = None
                  ) -> Page[VersionOut]:
    """Published versions, oldest first."""
    return service.version_list(limit, cursor)


@router.get("/versions/{number}", response_model=VersionOut)
def get_version(service: Service, _: Viewer, number: Number) -> VersionOut:
    """One published version."""
    return service.version(number)


@router.get("/versions/{number}/snapshot", response_class=Response,
            responses={200: SNAPSHOT_RESPONSES[200]})
def get_version_snapshot(service: Service, _: Viewer, number: Number) -> Response:
    """The resolved snapshot of one version: the bytes `resolve -o` writes."""
    data = service.versions.snapshot_bytes(service.version(number).number)
    etag = f'"{service.versions.snapshot(number).content_hash}"'
    return Response(data, media_type="application/json",
                    headers={"ETag": etag, "Cache-Control": "public, max-age=31536000, immutable"})


@router.get("/diff", response_model=DiffOut)
def get_diff(service: Service, _: Viewer,
             from_version: Annotated[str, Query(alias="from", pattern=r"^\d+\.\d+\.\d+$")],
             to_version: Annotated[str, Query(alias="to", pattern=r"^\d+\.\d+\.\d+$")]
             ) -> DiffOut:
    """The classified changes between two published versions."""
    service.version(from_version)
    service.version(to_version)
    return service.diff(from_version, to_version)
