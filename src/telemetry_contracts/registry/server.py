"""Entry point of ``telemetry-contracts serve``: builds the app and runs it under uvicorn."""

from __future__ import annotations

import logging
import os

import uvicorn
from fastapi import FastAPI

from telemetry_contracts.registry.api.app import create_app
from telemetry_contracts.registry.service.registry import RegistryService
from telemetry_contracts.registry.service.settings import Settings


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000,
          log_level: str = "info", workers: int = 1) -> None:
    """Open (migrate, seed) the store and serve the API until interrupted.

    With ``workers`` above 1, that many processes share the port, each a replica with its own
    caches over the one database (as replicas behind a load balancer are).
    """
    logging.getLogger("telemetry_contracts").info("serving %s", settings.database_url)
    if workers <= 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level,
                    access_log=False)
        return
    RegistryService(settings).close()  # migrate and seed once, before the workers start
    os.environ.update(settings.as_env())
    uvicorn.run(f"{__name__}:app_from_env", factory=True, host=host, port=port,
                log_level=log_level, access_log=False, workers=workers)


def app_from_env() -> FastAPI:
    """The app of one worker process, from the ``TELEMETRY_CONTRACTS_*`` variables."""
    return create_app(Settings.from_env())
