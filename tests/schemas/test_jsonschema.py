"""The published JSON Schema files are current and describe what the tools read and write."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.jsonschema import render, schema_documents, stale_schemas
from tests.conftest import PROJECT_ROOT

SCHEMAS = PROJECT_ROOT / "schemas"


def test_checked_in_schemas_are_current() -> None:
    assert stale_schemas(SCHEMAS) == [], "run `telemetry-contracts schemas write`"


def test_stale_schema_is_detected(tmp_path: Path) -> None:
    for name, schema in schema_documents().items():
        (tmp_path / name).write_text(render(schema))
    (tmp_path / "snapshot.schema.json").write_text("{}\n")
    assert stale_schemas(tmp_path) == ["snapshot.schema.json"]


def test_snapshot_matches_its_schema(semconv_v1_27: Path) -> None:
    snapshot = load_registry(semconv_v1_27).snapshot
    schema = json.loads((SCHEMAS / "snapshot.schema.json").read_text())
    jsonschema.validate(json.loads(snapshot.to_json_bytes()), schema)


def test_official_files_match_the_contract_file_schema(semconv_v1_44: Path) -> None:
    schema = json.loads((SCHEMAS / "contract-file.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted(semconv_v1_44.rglob("*.yaml"))
    checked = 0
    for path in files:
        if path.name == "manifest.yaml":
            continue
        document = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        error = jsonschema.exceptions.best_match(validator.iter_errors(document))
        assert error is None, f"{path}: {list(error.absolute_path)}: {error.message[:200]}"
        checked += 1
    assert checked > 200


def test_contract_file_schema_rejects_unknown_fields() -> None:
    schema = json.loads((SCHEMAS / "contract-file.schema.json").read_text())
    document = {"groups": [{"id": "x", "type": "attribute_group", "brief": "", "bogus": 1}]}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(document))
