"""JSON Schema documents generated from the models, published under ``schemas/`` in the repo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, TypeAdapter

from telemetry_contracts.schemas.files import ManifestSpec, V1File, V2File
from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.schemas.usage import UsageReport

SCHEMA_BASE = "https://telemetry-contracts.dev/schemas/"


def schema_documents() -> dict[str, dict[str, Any]]:
    """File name to JSON Schema for every published format."""
    documents: dict[str, dict[str, Any]] = {
        "contract-file.schema.json": _with_header(
            TypeAdapter(Union[V1File, V2File]).json_schema(),
            "contract-file",
            "A telemetry contract file: semantic-convention v1 `groups:` or `definition/2`.",
        ),
        "manifest.schema.json": _model(ManifestSpec, "manifest", "A registry's manifest.yaml."),
        "snapshot.schema.json": _model(
            Snapshot, "snapshot", "A resolved registry snapshot.", mode="serialization"
        ),
        "findings.schema.json": _with_header(
            TypeAdapter(list[Finding]).json_schema(),
            "findings",
            "Findings as `--format json` prints them.",
        ),
        "usage-report.schema.json": _model(
            UsageReport, "usage-report", "The runtime guard's report to POST /v1/usage."
        ),
    }
    return documents


def _model(
    model: type[BaseModel], name: str, title: str, mode: str = "validation"
) -> dict[str, Any]:
    return _with_header(model.model_json_schema(mode=mode), name, title)  # type: ignore[arg-type]


def _with_header(schema: dict[str, Any], name: str, description: str) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}{name}.schema.json",
        "description": description,
        **schema,
    }


def render(schema: dict[str, Any]) -> str:
    """The checked-in text of one schema document."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema document into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schema_documents().items():
        path = directory / name
        path.write_text(render(schema))
        written.append(path)
    return written


def stale_schemas(directory: Path) -> list[str]:
    """Names of schema documents in ``directory`` that differ from the models (or are missing)."""
    return [
        name
        for name, schema in schema_documents().items()
        if not (directory / name).is_file() or (directory / name).read_text() != render(schema)
    ]
