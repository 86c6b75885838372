"""The usage report the runtime guard sends to ``POST /v1/usage``: its wire format."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from telemetry_contracts.schemas.text import NoNul

USAGE_FORMAT: Final = "telemetry-contracts/usage/1"
NAME_LIMIT: Final = 255
"""The most characters a name in a report has."""
Name = Annotated[str, Field(min_length=1, max_length=NAME_LIMIT), NoNul]
OptionalName = Optional[Annotated[str, Field(max_length=NAME_LIMIT), NoNul]]
"""(``Optional``, as Python 3.9 evaluates this alias when the guard imports it.)"""


def reportable(text: str) -> str:
    """``text`` as a report carries it: cut to :data:`NAME_LIMIT` characters, a NUL character
    (which no database column takes) shown as U+FFFD, so that one odd name an application
    emitted does not get the whole report refused."""
    return text[:NAME_LIMIT].replace("\x00", "\ufffd")


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A time without a UTC offset is in UTC (a report may say so; SQLite hands back naive
    datetimes that were written in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


Signal = Literal["span", "metric", "log"]
Action = Literal["pass", "drop", "rename", "redact", "report"]


class UsageCount(BaseModel):
    """How often the guard saw one name on one signal and what it did about it.

    ``rule`` is the :class:`~telemetry_contracts.schemas.violations.Violation` code, absent for
    conforming data counted as seen.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    signal: Signal
    name: Name
    """The metric name or attribute key as the application emitted it."""
    metric: OptionalName = None
    """For an attribute on a measurement, the metric it was recorded on."""
    rule: OptionalName = None
    action: Action
    renamed_to: OptionalName = None
    count: Annotated[int, Field(ge=1)]


class UsageReport(BaseModel):
    """A batch of counts from one service over one time window."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["telemetry-contracts/usage/1"] = USAGE_FORMAT
    service: Name
    """``service.name`` of the reporting process."""
    instance: OptionalName = None
    snapshot_hash: OptionalName = None
    """Content hash of the snapshot the guard was enforcing."""
    window_start: dt.datetime
    window_end: dt.datetime
    counts: Annotated[list[UsageCount], Field(max_length=10_000)]

    @field_validator("window_start", "window_end")
    @classmethod
    def _utc_unless_said(cls, moment: dt.datetime) -> dt.datetime:
        return as_utc(moment)

    @model_validator(mode="after")
    def _window_in_order(self) -> UsageReport:
        if self.window_end < self.window_start:
            raise ValueError(f"window_end ({self.window_end.isoformat()}) is before "
                             f"window_start ({self.window_start.isoformat()})")
        return self
