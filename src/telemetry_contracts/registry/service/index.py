"""A snapshot's attributes and metrics by name, built once per snapshot and kept beside it."""

from __future__ import annotations

from dataclasses import dataclass

from telemetry_contracts.schemas.model import Attribute, Metric
from telemetry_contracts.schemas.snapshot import Snapshot


@dataclass(frozen=True)
class ContractIndex:
    """Look-ups into one snapshot, so a proposal costs what it touches, not what the registry
    holds. The version store keeps one per cached version (versions are immutable)."""

    snapshot: Snapshot
    attributes: dict[str, Attribute]
    metrics: dict[str, Metric]

    @classmethod
    def of(cls, snapshot: Snapshot) -> ContractIndex:
        """The index of ``snapshot``."""
        return cls(snapshot, {a.key: a for a in snapshot.attributes},
                   {m.name: m for m in snapshot.metrics})

    def contract(self, name: str) -> Attribute | Metric | None:
        """The attribute called ``name``, else the metric, else None."""
        attribute = self.attributes.get(name)
        return attribute if attribute is not None else self.metrics.get(name)
