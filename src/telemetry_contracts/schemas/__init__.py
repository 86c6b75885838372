"""The data model of telemetry contracts and their file formats: the bottom layer.

The names below load on first use, so importing one small module of this package (the codes,
the findings) does not build every model.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telemetry_contracts.schemas.findings import ContractError, Finding, Location, Severity
    from telemetry_contracts.schemas.model import (
        Attribute,
        AttributeRef,
        Deprecation,
        Entity,
        EnumMember,
        Event,
        Governance,
        Metric,
        RequirementLevel,
        SourceLocation,
        Span,
    )
    from telemetry_contracts.schemas.snapshot import Snapshot

_HOMES = {
    **dict.fromkeys(("ContractError", "Finding", "Location", "Severity"), "findings"),
    **dict.fromkeys(
        ("Attribute", "AttributeRef", "Deprecation", "Entity", "EnumMember", "Event",
         "Governance", "Metric", "RequirementLevel", "SourceLocation", "Span"), "model"),
    "Snapshot": "snapshot",
}

__all__ = [
    "Attribute",
    "AttributeRef",
    "ContractError",
    "Deprecation",
    "Entity",
    "EnumMember",
    "Event",
    "Finding",
    "Governance",
    "Location",
    "Metric",
    "RequirementLevel",
    "Severity",
    "Snapshot",
    "SourceLocation",
    "Span",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)
