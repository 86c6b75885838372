"""Entry point of ``telemetry-contracts serve``: builds the app and runs it under uvicorn."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from telemetry_contracts.registry.api.app import create_app
from telemetry_contracts.registry.service.registry import RegistryService
from telemetry_contracts.registry.service.settings import Settings
from telemetry_contracts.schemas.snapshot import Snapshot

COLLECTOR_THRESHOLDS = (50_000, 20, 100)
"""The serving process's cyclic garbage collector thresholds (``gc.set_threshold``)."""


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000,
          log_level: str = "info", workers: int = 1, seed: Snapshot | None = None) -> None:
    """Open (migrate, seed) the store and serve the API until interrupted.

    ``seed`` is the first version of a new store (the semconv baseline when None).

    With ``workers`` above 1, that many processes share the port, each a replica with its own
    caches over the one database (as replicas behind a load balancer are).
    """
    logging.getLogger("telemetry_contracts").info("serving %s", settings.database_url)
    if workers <= 1:
        tune_collector()
        app = (create_app(settings) if seed is None
               else create_app(service=RegistryService(settings, seed=seed)))
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
        return
    RegistryService(settings, seed=seed).close()  # migrate and seed once, before the workers
    os.environ.update(settings.as_env())
    uvicorn.run(f"{__name__}:app_from_env", factory=True, host=host, port=port,
                log_level=log_level, access_log=False, workers=workers, http=NoDelayHTTP)


class NoDelayHTTP(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol with ``TCP_NODELAY`` on every connection.

    With ``workers``, uvicorn binds the listening socket itself with protocol number 0, so
    asyncio does not recognise accepted connections as TCP and leaves Nagle's algorithm on: a
    keep-alive client then waits for the delayed ACK (about 40 ms) on every answer.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def app_from_env() -> FastAPI:
    """The app of one worker process, from the ``TELEMETRY_CONTRACTS_*`` variables."""
    tune_collector()
    return create_app(Settings.from_env())


def tune_collector() -> None:
    """Collect cyclic garbage after 50,000 net allocations rather than Python's 700.

    Under load the requests in flight hold a few thousand young objects. At 700, young
    collections ran every few requests, each moved the objects of requests still in flight
    into older generations, and those promotions set off a full collection about once a
    second: a pause of 6 to 12 ms for every request in flight. Requests free nearly all they
    allocate by reference counting, so at 50,000 the collector seldom runs at all; the
    cycles it leaves for longer (exceptions and their tracebacks, mostly) take a few MB.
    """
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
