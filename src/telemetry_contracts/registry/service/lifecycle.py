"""The lifecycle of a contract and the explicit table of the transitions a publish may make."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from telemetry_contracts.schemas.model import Attribute, Metric

State = Literal["proposed", "active", "deprecated", "sunset", "removed"]

TRANSITIONS: dict[State, frozenset[State]] = {
    "proposed": frozenset({"active", "deprecated"}),
    "active": frozenset({"active", "deprecated"}),
    "deprecated": frozenset({"deprecated", "sunset", "removed"}),
    "sunset": frozenset({"sunset", "removed"}),
    "removed": frozenset(),
}
"""From a state (left) to the states a publish may move a contract into. A removed name is
never reused; an active contract is deprecated before it is removed."""


def state_of(contract: Attribute | Metric | None, today: dt.date, *, ever_published: bool) -> State:
    """The state of a contract as one snapshot has it (``None``: not in it)."""
    if contract is None:
        return "removed" if ever_published else "proposed"
    if contract.deprecated is None:
        return "active"
    sunset = contract.governance.sunset
    return "sunset" if sunset is not None and sunset <= today else "deprecated"


def allowed(before: State, after: State) -> bool:
    """True when the transition table lets a contract move from ``before`` to ``after``."""
    return after in TRANSITIONS[before]
