"""The FastAPI application: routers, problem handlers, limits, health and metrics."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool

from telemetry_contracts.registry.api import admin, contracts, workflow
from telemetry_contracts.registry.api.deps import authenticated, documented_here
from telemetry_contracts.registry.api.metrics import CONTENT_TYPE, ServiceMetrics
from telemetry_contracts.registry.api.middleware import BodyLimit, Instrumented
from telemetry_contracts.registry.api.problems import (
    PROBLEM_JSON,
    install_handlers,
    problem_responses,
)
from telemetry_contracts.registry.service.errors import NotFound
from telemetry_contracts.registry.service.models import Health
from telemetry_contracts.registry.service.registry import RegistryService
from telemetry_contracts.registry.service.settings import Settings
from telemetry_contracts.registry.web import mount_ui

METRICS_ACCESS = ("public", "viewer", "admin", "off")
WORKER_THREADS = int(os.environ.get("TELEMETRY_CONTRACTS_WORKER_THREADS", "4"))


def create_app(settings: Settings | None = None, *, service: RegistryService | None = None
               ) -> FastAPI:
    """The ASGI app over ``service`` (made from ``settings`` when not given)."""
    service = service or RegistryService(settings or Settings.from_env())
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Fewer worker threads than anyio's 40 contend less for the GIL under load.
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        yield

    settings = service.settings
    if settings.metrics_access not in METRICS_ACCESS:
        raise ValueError(f"metrics access `{settings.metrics_access}` is not one of "
                         f"{', '.join(METRICS_ACCESS)}")
    app = FastAPI(lifespan=lifespan, title="telemetry-contracts registry", version="1",
                  docs_url="/docs" if settings.api_docs else None, redoc_url=None,
                  description="Versioned registry of telemetry contracts with a review "
                              "workflow, deprecation reports and usage from the runtime guard.")
    app.state.service = service
    metrics = ServiceMetrics()
    install_handlers(app)
    # Routes are matched in order: the snapshot route, the busiest, comes first.
    for router in (contracts.router, workflow.router, admin.router):
        app.include_router(router)
    mount_ui(app)

    @app.get("/healthz", response_model=Health, tags=["ops"])
    async def healthz() -> Health:
        """Liveness: answers while the process serves requests."""
        latest = service.versions.last_known()
        return Health(status="ok", version=latest.number if latest else None)

    @app.get("/metrics", response_class=Response, tags=["ops"],
             openapi_extra=documented_here(),
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                              "description": "Prometheus text exposition."},
                        **problem_responses(401, 403, 404)})
    async def prometheus(request: Request) -> Response:
        """The service's own metrics in the Prometheus text format."""
        access = settings.metrics_access
        if access == "off":
            raise NotFound("/metrics is turned off")
        if access != "public":
            await authenticated(request, "admin" if access == "admin" else "viewer")
        latest = await run_in_threadpool(service.versions.latest)
        gauges = {"telemetry_contracts_latest_version_info": (
            "Always 1; the latest version in the labels.", 1.0)}
        text = metrics.render(gauges).replace(
            "telemetry_contracts_latest_version_info 1.0",
            f'telemetry_contracts_latest_version_info{{version="{latest.number}"}} 1.0')
        return Response(text, media_type=CONTENT_TYPE)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, limit=service.settings.max_body_bytes)
    app.add_middleware(Instrumented, metrics=metrics)
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, with error answers under ``application/problem+json``."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    document = get_openapi(title=app.title, version=app.version, description=app.description,
                           routes=app.routes)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if status[:1] in "45" and "application/json" in content:
                    answer["content"] = {PROBLEM_JSON: content["application/json"]}
    app.openapi_schema = document
    return document
