"""The data model of telemetry contracts and their file formats: the bottom layer."""

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
