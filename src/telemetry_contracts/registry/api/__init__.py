"""The HTTP API (FastAPI): thin routes over :mod:`telemetry_contracts.registry.service`."""
