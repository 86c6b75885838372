"""UCUM parsing for the unit rules; it lives in :mod:`telemetry_contracts.schemas.ucum`, which the
guard also uses to convert the measurements of renamed metrics."""

from telemetry_contracts.schemas.ucum import (
    BINARY_ATOMS,
    BINARY_PREFIXES,
    MAX_UNIT_LENGTH,
    METRIC_ATOMS,
    METRIC_PREFIXES,
    PLAIN_ATOMS,
    ParsedUnit,
    SimpleUnit,
    UnitSyntaxError,
    UnknownAtomError,
    conversion_factor,
    parse_unit,
    split_symbol,
)

__all__ = [
    "BINARY_ATOMS",
    "BINARY_PREFIXES",
    "MAX_UNIT_LENGTH",
    "METRIC_ATOMS",
    "METRIC_PREFIXES",
    "PLAIN_ATOMS",
    "ParsedUnit",
    "SimpleUnit",
    "UnitSyntaxError",
    "UnknownAtomError",
    "conversion_factor",
    "parse_unit",
    "split_symbol",
]
