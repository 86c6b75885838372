"""The shapes the service takes and gives back; the HTTP layer uses them as its models."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from telemetry_contracts.registry.service.errors import Invalid
from telemetry_contracts.registry.service.fragments import ProposalBody
from telemetry_contracts.registry.service.lifecycle import State
from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.text import NoNul

T = TypeVar("T")
ProposalStatus = Literal["open", "changes_requested", "approved", "rejected", "withdrawn",
                         "published"]
Decision = Literal["approve", "request_changes", "reject"]
Action = Literal["approve", "request_changes", "reject", "edit", "withdraw", "publish"]
"""What a caller may do with a proposal (``allowed_actions``)."""
Safety = Literal["yes", "no", "unknown"]


Comment = Annotated[str, Field(max_length=10_000), NoNul]
Label = Annotated[str, Field(min_length=1, max_length=255), NoNul]
"""A name stored in a 255-character column: a token's name, a namespace, a service."""


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(Out, Generic[T]):
    """One page of a list; pass ``next_cursor`` as ``cursor`` for the next one."""

    items: list[T]
    next_cursor: str | None = None


def encode_cursor(value: str) -> str:
    """An opaque cursor for a position in a list."""
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The position a cursor stands for; :class:`Invalid` when it is not one of ours."""
    if cursor is None:
        return None
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise Invalid("`cursor` is not a cursor this service returned") from None


class ProposalIn(BaseModel):
    """``POST /v1/proposals`` and ``PUT /v1/proposals/{id}``: the change, one contract."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"change": {"kind": "attribute", "title": "Add the cart id", "attribute": {
            "key": "shop.cart.id", "type": "string", "brief": "The shopping cart's id.",
            "examples": ["c-1234"], "stability": "development"}}}]})
    change: ProposalBody


class ReviewIn(BaseModel):
    """A reviewer's decision with a comment."""

    model_config = ConfigDict(extra="forbid")
    decision: Decision
    comment: Comment = ""


class ReviewOut(Out):
    id: int
    proposal_id: int
    revision: int
    reviewer: str
    decision: Decision
    comment: str
    created_at: dt.datetime


class ProposalOut(Out):
    id: int
    kind: str
    subject: str
    status: ProposalStatus
    revision: int
    """Changes with every update; send it back in ``If-Match``."""
    author: str
    title: str
    change: dict[str, Any]
    findings: list[Finding]
    lifecycle: dict[str, State] = {}
    """The subject's state in the base version and after this change."""
    base_version: str
    published_version: str | None = None
    approvals: int = 0
    """Approvals from distinct reviewers of the current content."""
    allowed_actions: list[Action] = []
    """What the caller may do now, given its role, its namespaces and the status."""
    same_subject: list[int] = []
    """Other open proposals about the same subject: publishing one may refuse the others."""
    created_at: dt.datetime
    updated_at: dt.datetime


class DiffChange(Out):
    """One field-level change a proposal makes, classified as ``telemetry-contracts diff`` does."""

    description: str
    compatibility: Literal["breaking", "compatible"]
    """Under the service's compatibility mode."""
    bump: Literal["none", "patch", "minor", "major"]
    """The semver bump this change alone causes."""
    code: str | None = None
    change: dict[str, Any]
    """The change as ``telemetry-contracts diff --format json`` writes it."""


class ProposalDiff(Out):
    proposal_id: int
    subject: str
    against_version: str
    """The version the proposal is compared with: the latest, or its base once published."""
    mode: str
    bump: Literal["none", "patch", "minor", "major"]
    changes: list[DiffChange]


class Me(Out):
    """The caller as its token makes it."""

    name: str
    role: Literal["viewer", "contributor", "reviewer", "admin"]
    namespaces: list[str]
    services: list[str]
    token_id: int | None = None
    anonymous: bool = False


class PublishIn(BaseModel):
    """``POST /v1/versions``: which approved proposals to publish (all when omitted)."""

    model_config = ConfigDict(extra="forbid")
    proposals: Annotated[list[Annotated[int, Field(ge=1, le=2**31 - 1)]],
                         Field(max_length=10_000)] | None = None
    note: Comment = ""


class VersionOut(Out):
    number: str
    bump: str
    content_hash: str
    attributes: int
    metrics: int
    note: str
    published_by: str
    published_at: dt.datetime
    proposals: list[int] = []
    changes: list[dict[str, Any]] = []


class DiffOut(Out):
    from_version: str
    to_version: str
    bump: str
    changes: list[dict[str, Any]]
    breaking: list[dict[str, Any]]


class UsageAccepted(Out):
    service: str
    counts: int


class Emitter(Out):
    service: str
    count: int
    """Every time it was seen, over all time."""
    last_seen: dt.datetime
    daily: list[int] = []
    """Counts per day (UTC) over the window, oldest first (the report's ``days``)."""


class DeprecationEntry(Out):
    name: str
    kind: Literal["attribute", "metric"]
    state: State
    reason: str
    renamed_to: str | None = None
    note: str | None = None
    sunset: dt.date | None = None
    owner: str | None = None
    emitters: list[Emitter]
    last_seen: dt.datetime | None = None
    window_count: int = 0
    """Seen in the window, all emitters together."""
    daily: list[int] = []
    """Counts per day over the window, all emitters together."""
    safe_to_remove: Safety
    """``no``: emitted in the window; ``yes``: every service reporting in the window covered all
    of it and none emitted it; ``unknown``: otherwise (nobody reported, or not for long enough)."""


class DeprecationReport(Page[DeprecationEntry]):
    version: str
    window_days: int
    days: list[dt.date] = []
    """The days of the window, oldest first: the x axis of every ``daily``."""
    burn_down: list[int] = []
    """Deprecated usage per day over the window, every deprecated name together."""
    reporting_services: int = 0
    """Services that reported within the window."""
    covering_services: int = 0
    """Of those, the ones whose reports covered the whole window."""


class UnknownName(Out):
    """A name a service's guard saw that the registry did not know (TC801, TC802)."""

    service: str
    name: str
    signal: str
    rule: str
    count: int
    first_seen: dt.datetime
    last_seen: dt.datetime


class ServiceState(Out):
    """A service that reports usage: what its guard enforces and when it last reported."""

    service: str
    instance: str | None = None
    snapshot_hash: str | None = None
    version: str | None = None
    """The published version whose snapshot it enforces; None for a snapshot not published
    here."""
    versions_behind: int | None = None
    """Published versions after the one it enforces."""
    latest_version: str
    last_report: dt.datetime
    reported_since: dt.datetime
    """The start of its earliest report's window."""
    reports: int


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Label
    role: Literal["viewer", "contributor", "reviewer", "admin"]
    namespaces: Annotated[list[Label], Field(max_length=100)] = []
    services: Annotated[list[Label], Field(max_length=100)] = []
    """The services the token may post usage for; empty: any."""


class TokenOut(Out):
    id: int
    name: str
    role: str
    namespaces: list[str]
    services: list[str] = []
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    token: str | None = None
    """The secret, only in the answer that created it."""


class AuditOut(Out):
    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


class Health(Out):
    status: Literal["ok"]
    version: str | None
