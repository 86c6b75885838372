"""The guard stays light: no web framework or ORM on import; the real conventions load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from telemetry_contracts.sdk_guard import Guard

FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "alembic", "uvicorn", "psycopg")


def test_import_pulls_in_no_server_modules() -> None:
    code = (
        "import json, sys; import telemetry_contracts.sdk_guard; "
        "import telemetry_contracts.sdk_guard.autoconfigure; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    modules = json.loads(out)
    assert "telemetry_contracts.sdk_guard.guard" in modules
    loaded = [m for m in modules if m.split(".")[0] in FORBIDDEN]
    assert loaded == []
    upward = [
        m
        for m in modules
        if m.startswith(
            (
                "telemetry_contracts.registry",
                "telemetry_contracts.validators",
                "telemetry_contracts.ci",
            )
        )
    ]
    assert upward == []


def test_v1_44_snapshot_loads_with_its_tables(semconv_v1_44_file: Path) -> None:
    guard = Guard.from_file(semconv_v1_44_file, environ={})
    document = json.loads(semconv_v1_44_file.read_bytes())
    contracts = guard.policy.contracts
    assert len(contracts.attributes) + len(contracts.templates) == len(document["attributes"])
    assert len(contracts.metrics) == len(document["metrics"])
    assert contracts.attributes["http.method"].renamed_to == "http.request.method"
    assert "GET" in (contracts.attributes["http.request.method"].enum_values or ())
    assert contracts.attribute("http.request.header.x-id") is not None
    assert contracts.metrics["http.server.request.duration"].attribute_keys
    assert "http.request.method" in guard.policy.spans.clean
    assert "http.method" not in guard.policy.spans.clean
