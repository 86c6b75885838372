"""``telemetry-contracts export``: artifacts derived from a registry (schema file, docs)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import yaml

from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.findings import ContractError
from telemetry_contracts.schemas.model import Attribute, Metric
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.validators.compatibility import RegistryDiff, compare
from telemetry_contracts.validators.schema_file import schema_file_document, schema_url_for


@dataclass(frozen=True)
class Merge:
    """Two or more names deprecated into one successor in the same step: the Collector would
    pour their data into one name blindly, so the schema file does not carry them."""

    kind: str
    target: str
    sources: tuple[str, ...]

    def describe(self) -> str:
        names = ", ".join(f"`{source}`" for source in self.sources)
        return f"{self.kind}s {names} merge into `{self.target}`: not written as renames"


@dataclass(frozen=True)
class SchemaFileExport:
    """The schema file's YAML and the merges left out of it."""

    text: str
    merges: tuple[Merge, ...]


def schema_file_export(
    registry: str, baseline: str | None, schema_url: str | None = None
) -> SchemaFileExport:
    """The schema file from ``baseline``'s version to ``registry``'s, and the merges it omits."""
    if baseline is None:
        raise ContractError("TC100", "--to schema-file needs --baseline REF (the previous "
                            "version)", registry)
    old = load_registry(baseline).snapshot
    new = load_registry(registry).snapshot
    try:
        url = schema_url_for(new, old, schema_url)
    except ValueError as error:
        raise ContractError("TC100", str(error), registry) from None
    diff, merges = without_merges(compare(old, new))
    document = schema_file_document(diff, new, url)
    text = yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=1000)
    return SchemaFileExport(text, merges)


def without_merges(diff: RegistryDiff) -> tuple[RegistryDiff, tuple[Merge, ...]]:
    """``diff`` without the renames of merges, and the merges."""
    sources: dict[tuple[str, str], list[str]] = defaultdict(list)
    for kind in ("attribute", "metric"):
        for old, target in diff.renames.get(kind, {}).items():
            sources[(kind, target)].append(old)
    merges = tuple(
        Merge(kind, target, tuple(sorted(names)))
        for (kind, target), names in sorted(sources.items())
        if len(names) > 1
    )
    merged = {(merge.kind, merge.target) for merge in merges}
    kept = [
        change for change in diff.changes
        if not (change.kind == "renamed" and (change.subject_kind, change.renamed_to) in merged)
    ]
    return diff.model_copy(update={"changes": kept}), merges


def export_markdown(registry: str) -> str:
    """A Markdown page documenting every attribute and metric of ``registry``."""
    return docs_markdown(load_registry(registry).snapshot)


def docs_markdown(snapshot: Snapshot) -> str:
    """Attribute and metric tables of ``snapshot``, deprecated contracts with their replacement."""
    lines = [f"# {snapshot.registry} {snapshot.version}", ""]
    if snapshot.schema_url:
        lines += [f"Schema URL: <{snapshot.schema_url}>", ""]
    lines += [f"## Attributes ({len(snapshot.attributes)})", "",
              "| key | type | stability | description |", "|---|---|---|---|"]
    lines += [_attribute_row(attribute) for attribute in snapshot.attributes]
    lines += ["", f"## Metrics ({len(snapshot.metrics)})", "",
              "| name | instrument | unit | stability | attributes | description |",
              "|---|---|---|---|---|---|"]
    lines += [_metric_row(metric) for metric in snapshot.metrics]
    return "\n".join(lines) + "\n"


def _attribute_row(attribute: Attribute) -> str:
    kind = attribute.type
    if attribute.is_enum:
        kind = "enum: " + ", ".join(_code(str(member.value)) for member in attribute.members)
    return (f"| {_code(attribute.key)} | {_cell(kind)} | {attribute.stability} | "
            f"{_described(attribute.brief, attribute.deprecated)} |")


def _metric_row(metric: Metric) -> str:
    keys = ", ".join(
        _code(ref.key) + (" (required)" if ref.requirement_level.level == "required" else "")
        for ref in metric.attributes
    )
    return (f"| {_code(metric.name)} | {metric.instrument} | {_code(metric.unit)} | "
            f"{metric.stability} | "
            f"{keys} | {_described(metric.brief, metric.deprecated)} |")


def _described(brief: str, deprecated: object) -> str:
    text = _cell(brief)
    renamed_to = getattr(deprecated, "renamed_to", None)
    if renamed_to:
        return f"**Deprecated**: use {_code(renamed_to)}. {text}".strip()
    if deprecated is not None:
        return f"**Deprecated**. {text}".strip()
    return text


def _cell(text: str) -> str:
    return " ".join(_CONTROL.sub("\ufffd", text).split()).replace("|", "\\|")


def _code(text: str) -> str:
    """``text`` as a code span inside a table cell, whatever characters it holds."""
    cell = _cell(text)
    fence = "`" * (max((len(run) for run in re.findall("`+", cell)), default=0) + 1)
    return f"{fence} {cell} {fence}" if "`" in cell else f"`{cell}`"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
