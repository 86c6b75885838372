"""Entry point of ``telemetry-contracts serve``: builds the app and runs it under uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from telemetry_contracts.registry.api.app import create_app
from telemetry_contracts.registry.service.settings import Settings


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000,
          log_level: str = "info") -> None:
    """Open (migrate, seed) the store and serve the API until interrupted."""
    app = create_app(settings)
    logging.getLogger("telemetry_contracts").info("serving %s", settings.database_url)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
