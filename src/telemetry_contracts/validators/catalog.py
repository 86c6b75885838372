"""Every lint rule, listed once: the order here is the order of the documentation."""

from __future__ import annotations

from telemetry_contracts.validators import naming, units
from telemetry_contracts.validators.rule import Rule

RULES: tuple[Rule, ...] = (
    naming.LowerCaseName(),
    naming.NameFormat(),
    naming.MissingNamespace(),
    naming.UnitInMetricName(),
    naming.TypeInMetricName(),
    naming.ReservedNamespace(),
    naming.NameIsNamespace(),
    naming.CountSuffixInstrument(),
    units.UnitSyntax(),
    units.UnknownUnit(),
    units.NonBaseUnit(),
    units.DurationUnit(),
    units.CountUnit(),
    units.RatioUnit(),
    units.DurationInstrument(),
)
