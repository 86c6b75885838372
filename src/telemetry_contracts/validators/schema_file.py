"""The OpenTelemetry schema file (file_format 1.1.0) that takes telemetry from one registry version
to the next: the renames of attributes and metrics found by the compatibility diff."""

from __future__ import annotations

from typing import Any

from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.validators.compatibility import RegistryDiff

SCHEMA_FILE_FORMAT = "1.1.0"


def schema_url_for(new: Snapshot, baseline: Snapshot, given: str | None = None) -> str:
    """The new version's schema URL: ``given``, the registry's own, or the baseline's with its
    trailing version replaced. A schema URL ends with its version, as the specification asks."""
    candidate = given or new.schema_url
    if candidate is None and baseline.schema_url:
        stem, _, last = baseline.schema_url.rstrip("/").rpartition("/")
        if last == baseline.version:
            candidate = f"{stem}/{new.version}"
    if candidate is None:
        raise ValueError(
            "no schema URL: set `schema_url` in the registry's manifest.yaml or pass --schema-url"
        )
    if candidate.rstrip("/").rpartition("/")[2] != new.version:
        raise ValueError(f"schema URL {candidate} must end with the version {new.version}")
    return candidate


def schema_file_document(diff: RegistryDiff, new: Snapshot, schema_url: str) -> dict[str, Any]:
    """The schema file as a mapping, newest version first, as the official files are written.

    Only renames whose new name exists in ``new`` are written: a schema file that moved data to
    a name the registry does not define would produce telemetry no contract describes.
    """
    attribute_keys = {attribute.key for attribute in new.attributes}
    metric_names = {metric.name for metric in new.metrics}
    renames = diff.renames
    attribute_map = {old: target for old, target in renames.get("attribute", {}).items()
                     if target in attribute_keys}
    metric_map = {old: target for old, target in renames.get("metric", {}).items()
                  if target in metric_names}
    sections: dict[str, Any] = {}
    if attribute_map:
        sections["all"] = {"changes": [{"rename_attributes": {"attribute_map": attribute_map}}]}
    if metric_map:
        sections["metrics"] = {"changes": [{"rename_metrics": metric_map}]}
    versions: dict[str, Any] = {diff.new_version: sections or None}
    if diff.old_version != diff.new_version:
        versions[diff.old_version] = None
    return {"file_format": SCHEMA_FILE_FORMAT, "schema_url": schema_url, "versions": versions}
