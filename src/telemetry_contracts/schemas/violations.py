"""Kinds of contract violation that the code scanner, the API and the runtime guard share.

Each kind has one stable rule code, so a finding in CI, a 422 answer and a guard counter about
the same problem carry the same code.
"""

from __future__ import annotations

from telemetry_contracts.schemas.backports import StrEnum


class Violation(StrEnum):
    """A kind of non-conforming telemetry; the value is its rule code."""

    UNKNOWN_METRIC = "TC801"
    UNKNOWN_ATTRIBUTE = "TC802"
    DEPRECATED_NAME = "TC803"
    WRONG_TYPE = "TC804"
    ENUM_VALUE = "TC805"
    SENSITIVE_VALUE = "TC806"
    CARDINALITY = "TC807"
    INSTRUMENT_MISMATCH = "TC808"
    UNIT_MISMATCH = "TC809"

    @property
    def code(self) -> str:
        return self.value

    @property
    def slug(self) -> str:
        """The lower-case name used in configuration (``unknown_attribute``)."""
        return self.name.lower()

    @property
    def description(self) -> str:
        """One sentence; the full documentation is :data:`codes.VIOLATIONS`."""
        from telemetry_contracts.schemas.codes import doc_of

        doc = doc_of(self.value)
        return doc.summary if doc else self.slug
