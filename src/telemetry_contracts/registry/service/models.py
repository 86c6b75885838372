"""The shapes the service takes and gives back; the HTTP layer uses them as its models."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from telemetry_contracts.registry.service.errors import Invalid
from telemetry_contracts.registry.service.fragments import ProposalBody
from telemetry_contracts.registry.service.lifecycle import State
from telemetry_contracts.schemas.findings import Finding

T = TypeVar("T")
ProposalStatus = Literal["open", "changes_requested", "approved", "rejected", "withdrawn",
                         "published"]
Decision = Literal["approve", "request_changes", "reject"]


def no_nul(value: str) -> str:
    """``value`` if it has no NUL character (no database column takes one)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NoNul = AfterValidator(no_nul)
Comment = Annotated[str, Field(max_length=10_000), NoNul]
Label = Annotated[str, Field(min_length=1, max_length=255), NoNul]
"""A name stored in a 255-character column: a token's name, a namespace, a service."""
NO_NUL_PATTERN = r"^[^\x00]*$"
"""The same rule for query parameters."""


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
    created_at: dt.datetime
    updated_at: dt.datetime


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
    last_seen: dt.datetime


class DeprecationEntry(Out):
    name: str
    kind: Literal["attribute", "metric"]
    state: State
    reason: str
    renamed_to: str | None = None
    note: str | None = None
    sunset: dt.date | None = None
    emitters: list[Emitter]
    last_seen: dt.datetime | None = None
    safe_to_remove: bool


class DeprecationReport(Page[DeprecationEntry]):
    version: str
    window_days: int


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
