"""The resolved snapshot: one self-contained, deterministic JSON document of a registry."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final, Literal

from telemetry_contracts.schemas.model import (
    Attribute,
    Entity,
    Event,
    LegacyName,
    Metric,
    Model,
    Span,
)

SNAPSHOT_FORMAT: Final = "telemetry-contracts/snapshot/1"


class DependencyInfo(Model):
    """A registry this one was resolved against."""

    name: str
    version: str
    schema_url: str | None = None


class Snapshot(Model):
    """Every attribute and metric of a registry after refs, extends and dependencies resolve.

    Lists are sorted by key or name, so the same input gives the same bytes; ``content_hash`` is
    the SHA-256 of the canonical JSON of everything else.
    """

    format: Literal["telemetry-contracts/snapshot/1"] = SNAPSHOT_FORMAT
    registry: str
    version: str
    schema_url: str | None = None
    content_hash: str = ""
    dependencies: tuple[DependencyInfo, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    metrics: tuple[Metric, ...] = ()
    spans: tuple[Span, ...] = ()
    events: tuple[Event, ...] = ()
    entities: tuple[Entity, ...] = ()
    history: tuple[LegacyName, ...] = ()
    """Names earlier releases used that this one no longer defines (see :class:`LegacyName`)."""

    @classmethod
    def build(cls, **fields: Any) -> Snapshot:
        """Sort the contents, then compute and set the content hash."""
        fields["attributes"] = sorted(fields.get("attributes", ()), key=lambda a: a.key)
        fields["metrics"] = sorted(fields.get("metrics", ()), key=lambda m: m.name)
        fields["spans"] = sorted(fields.get("spans", ()), key=lambda s: s.type)
        fields["events"] = sorted(fields.get("events", ()), key=lambda e: e.name)
        fields["entities"] = sorted(fields.get("entities", ()), key=lambda e: e.type)
        fields["dependencies"] = sorted(fields.get("dependencies", ()), key=lambda d: d.name)
        fields["history"] = sorted(fields.get("history", ()), key=lambda n: (n.kind, n.name))
        unhashed = cls(**fields)
        return unhashed.model_copy(update={"content_hash": unhashed.compute_hash()})

    def content_document(self) -> dict[str, Any]:
        """The JSON-ready content, without the hash: what the hash is computed over."""
        document = self.model_dump(mode="json", exclude_defaults=True)
        document["format"] = self.format
        document.pop("content_hash", None)
        return document

    def compute_hash(self) -> str:
        """``sha256:<hex>`` of the compact JSON of the content, fields in model order.

        Lists are sorted by :meth:`build` and fields follow the model, so the same content always
        gives the same bytes; serialising in pydantic's core keeps this cheap.
        """
        canonical = self.model_dump_json(exclude_defaults=True, exclude={"content_hash"})
        return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_json_bytes(self) -> bytes:
        """The snapshot file's bytes: sorted keys, two-space indent, trailing newline."""
        document = self.content_document()
        document["content_hash"] = self.content_hash
        return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()

    @classmethod
    def from_json_bytes(cls, data: bytes | str) -> Snapshot:
        """Parse a snapshot document (validates its shape; see :meth:`verify_hash`)."""
        return cls.model_validate_json(data)

    def verify_hash(self) -> bool:
        """True when ``content_hash`` matches the content."""
        return self.content_hash == self.compute_hash()
