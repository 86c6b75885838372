"""Registries Weaver published: a publication manifest and its resolved file, read as the
``definition/2`` contracts they were resolved from.

Weaver tagged them ``manifest/2.0.0`` and ``resolved/2.0.0`` first, then ``manifest/2.0`` and
``resolved/2.0`` (OTEP 4815), when ``resolved_schema_uri`` became ``resolved_registry_uri``;
both generations are read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telemetry_contracts.resolution.yaml_source import YamlMap, located, position, read_yaml_file
from telemetry_contracts.schemas.findings import ContractError

RESOLVED_FORMATS = frozenset({"resolved/2.0.0", "resolved/2.0"})
PUBLICATION_FORMATS = frozenset({"manifest/2.0.0", "manifest/2.0"})
RESOLVED_URI_FIELDS = ("resolved_registry_uri", "resolved_schema_uri")
"""Where a publication manifest names its resolved file, newest name first."""
BOOKKEEPING = frozenset({"provenance", "lineage"})
"""Fields of resolved items that say where Weaver found them, not what they are: dropped."""


def is_published_manifest(raw: object) -> bool:
    """True for the manifest ``weaver registry package`` writes."""
    return isinstance(raw, dict) and raw.get("file_format") in PUBLICATION_FORMATS


def is_resolved(raw: object) -> bool:
    """True for a resolved file ``weaver registry resolve --v2`` or ``package`` writes."""
    return isinstance(raw, dict) and raw.get("file_format") in RESOLVED_FORMATS


def resolved_file(manifest: Any, manifest_path: Path, display: str) -> Path:
    """The local resolved file a published manifest names."""
    field = next((name for name in RESOLVED_URI_FIELDS if name in manifest), RESOLVED_URI_FIELDS[0])
    uri = str(manifest.get(field) or "")
    if not uri or "://" in uri:
        line, column = position(manifest, field)
        raise ContractError(
            "TC108",
            f"{field} `{uri}` is not a file beside the manifest",
            display, line, column,
            hint="download the package and point registry_path at its manifest.yaml",
        )
    return manifest_path.parent / uri


def read_resolved(path: Path, display: str) -> Any:
    """A resolved file as the ``definition/2`` document that :func:`parse_document`
    reads (see :func:`definition_from_resolved`)."""
    return definition_from_resolved(read_yaml_file(path, display), display)


def definition_from_resolved(raw: Any, display: str) -> Any:
    """Attribute references by catalog index become refs by key; refinements refine by name;
    Weaver's :data:`BOOKKEEPING` fields are dropped."""
    if not isinstance(raw, YamlMap) or not is_resolved(raw):
        return raw
    catalog = raw.get("attribute_catalog") or []
    registry = raw.get("registry") or {}

    def entry(index: object) -> dict[str, Any]:
        if not isinstance(index, int) or not 0 <= index < len(catalog):
            raise ContractError(
                "TC103", f"attribute index `{index}` is not in the attribute_catalog", display
            )
        return _described(catalog[index])

    def refs(items: Any) -> list[dict[str, Any]]:
        return [
            {"ref": entry(item["base"])["key"], **{k: v for k, v in item.items() if k != "base"}}
            for item in items or ()
        ]

    def signal(item: Any, *ref_fields: str) -> dict[str, Any]:
        out = _described(item)
        for field in ref_fields:
            if field in out:
                out[field] = refs(out[field])
        return out

    definitions: dict[str, dict[str, Any]] = {}
    for index in [*(registry.get("attributes") or ()), *range(len(catalog))]:
        attribute = entry(index)
        definitions.setdefault(attribute["key"], attribute)
    refinements = raw.get("refinements") or {}
    document = {
        "file_format": "definition/2",
        "attributes": list(definitions.values()),
        "attribute_groups": [
            {**_described(group), "visibility": "public",
             "attributes": [{"ref": entry(i)["key"]} for i in group.get("attributes") or ()]}
            for group in registry.get("attribute_groups") or ()
        ],
        "metrics": [signal(m, "attributes") for m in registry.get("metrics") or ()],
        "spans": [signal(s, "attributes") for s in registry.get("spans") or ()],
        "events": [signal(e, "attributes") for e in registry.get("events") or ()],
        "entities": [signal(e, "identity", "description") for e in registry.get("entities") or ()],
        "metric_refinements": [
            _refinement(signal(m, "attributes"), m["name"])
            for m in refinements.get("metrics") or ()
        ],
        "span_refinements": [
            _refinement(signal(s, "attributes"), s["type"]) for s in refinements.get("spans") or ()
        ],
    }
    return located(document, display)


def _described(item: Any) -> dict[str, Any]:
    """A resolved item without its :data:`BOOKKEEPING` fields."""
    return {key: value for key, value in item.items() if key not in BOOKKEEPING}


_REFINEMENT_FIELDS = ("id", "brief", "note", "stability", "deprecated", "annotations", "attributes")


def _refinement(item: dict[str, Any], base: str) -> dict[str, Any]:
    """A resolved refinement (the whole refined signal) as a refinement of ``base``."""
    return {"ref": base, **{key: item[key] for key in _REFINEMENT_FIELDS if key in item}}
