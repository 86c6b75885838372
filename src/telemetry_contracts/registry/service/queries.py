"""Reads: contracts of a version, versions, diffs, proposals, reviews, tokens and the audit log."""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from telemetry_contracts.registry.service.auth import Principal
from telemetry_contracts.registry.service.errors import Invalid, NotFound
from telemetry_contracts.registry.service.models import (
    AuditOut,
    DiffOut,
    Page,
    ProposalOut,
    ReviewOut,
    TokenOut,
    VersionOut,
    decode_cursor,
    encode_cursor,
)
from telemetry_contracts.registry.service.proposals import (
    Proposals,
    approval_counts,
    review_out,
    same_subject,
)
from telemetry_contracts.registry.service.validation import classify
from telemetry_contracts.registry.service.versions import VersionStore
from telemetry_contracts.registry.store.tables import AuditEntry, Proposal, Review, Token, Version
from telemetry_contracts.schemas.model import Attribute, Metric

C = TypeVar("C", Attribute, Metric)
PAGE_BYTES = 4 * 1024 * 1024
"""About how many bytes of proposals one page of the list holds at most."""
MAX_KEY = 2**31 - 1
"""The largest key of an integer column on every store."""


def contracts_page(items: Sequence[C], key: str, *, prefix: str | None, stability: str | None,
                   deprecated: bool | None, limit: int, cursor: str | None) -> Page[C]:
    """A page of a snapshot's sorted attributes or metrics, filtered."""
    names = [getattr(item, key) for item in items]
    after = decode_cursor(cursor)
    start = bisect.bisect_right(names, after) if after is not None else 0
    if prefix:
        start = max(start, bisect.bisect_left(names, prefix))
    chosen: list[C] = []
    index = start
    while index < len(items) and len(chosen) < limit:
        item = items[index]
        if prefix and not names[index].startswith(prefix):
            break
        if ((stability is None or item.stability == stability)
                and (deprecated is None or (item.deprecated is not None) == deprecated)):
            chosen.append(item)
        index += 1
    more = index < len(items) and not (prefix and not names[index].startswith(prefix))
    next_cursor = encode_cursor(names[index - 1]) if more and index > start else None
    return Page[C](items=chosen, next_cursor=next_cursor)


def one_contract(items: Sequence[C], key: str, name: str, what: str) -> C:
    """The attribute or metric called ``name``."""
    names = [getattr(item, key) for item in items]
    index = bisect.bisect_left(names, name)
    if index < len(items) and names[index] == name:
        return items[index]
    raise NotFound(f"no {what} `{name}`")


def _keyset(query: Select[Any], column: Any, cursor: str | None, limit: int) -> Select[Any]:
    after = decode_cursor(cursor)
    if after is not None:
        if re.fullmatch(r"[0-9]{1,10}", after) is None or int(after) > MAX_KEY:
            raise Invalid("`cursor` is not a cursor this service returned")
        query = query.where(column > int(after))
    return query.order_by(column).limit(limit + 1)


def _paged(rows: list[Any], limit: int, id_of: Any) -> tuple[list[Any], str | None]:
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(str(id_of(rows[-1]))) if more and rows else None


def version_out(row: Version) -> VersionOut:
    """The answer shape of a version."""
    return VersionOut(number=row.number, bump=row.bump, content_hash=row.content_hash,
                      attributes=row.attributes, metrics=row.metrics, note=row.note,
                      published_by=row.published_by, published_at=row.published_at)


def versions_page(session: Session, limit: int, cursor: str | None) -> Page[VersionOut]:
    rows, next_cursor = _paged(list(session.scalars(_keyset(select(Version), Version.id, cursor,
                                                            limit))), limit, lambda r: r.id)
    return Page[VersionOut](items=[version_out(r) for r in rows], next_cursor=next_cursor)


def version_one(session: Session, number: str) -> VersionOut:
    row = session.scalars(select(Version).where(Version.number == number)).first()
    if row is None:
        raise NotFound(f"no version {number}")
    return version_out(row)


def diff(versions: VersionStore, old: str, new: str, mode: str) -> DiffOut:
    """The classified changes from version ``old`` to ``new``."""
    result = classify(versions.snapshot(old), versions.snapshot(new), mode)
    return DiffOut(from_version=old, to_version=new, bump=result.bump, changes=result.changes,
                   breaking=result.breaking)


def proposals_page(session: Session, status: str | None, subject_prefix: str | None,
                   limit: int, cursor: str | None, caller: Principal | None = None
                   ) -> Page[ProposalOut]:
    """A page of proposals, cut short once it holds :data:`PAGE_BYTES` of changes and findings
    (never empty): a page of large proposals stays a few MB whatever ``limit`` asks."""
    query = select(Proposal.id, func.length(Proposal.body) + func.length(Proposal.findings))
    if status:
        query = query.where(Proposal.status == status)
    if subject_prefix:
        query = query.where(Proposal.subject.startswith(subject_prefix, autoescape=True))
    sizes = session.execute(_keyset(query, Proposal.id, cursor, limit)).all()
    chosen: list[int] = []
    total = 0
    for proposal_id, size in sizes[:limit]:
        if chosen and total + size > PAGE_BYTES:
            break
        chosen.append(proposal_id)
        total += size
    rows = list(session.scalars(select(Proposal).where(Proposal.id.in_(chosen))
                                .order_by(Proposal.id))) if chosen else []
    more = len(chosen) < len(sizes)
    approvals = approval_counts(session, rows)
    same = same_subject(session, rows)
    return Page[ProposalOut](items=[Proposals.out(r, approvals.get(r.id, 0), caller=caller,
                                                  same=same.get(r.id))
                                    for r in rows],
                             next_cursor=encode_cursor(str(chosen[-1])) if more else None)


def reviews_page(session: Session, proposal_id: int, limit: int, cursor: str | None
                 ) -> Page[ReviewOut]:
    if session.get(Proposal, proposal_id) is None:
        raise NotFound(f"no proposal {proposal_id}")
    query = select(Review).where(Review.proposal_id == proposal_id)
    rows, next_cursor = _paged(list(session.scalars(_keyset(query, Review.id, cursor, limit))),
                               limit, lambda r: r.id)
    return Page[ReviewOut](items=[review_out(r) for r in rows], next_cursor=next_cursor)


def audit_page(session: Session, actor: str | None, action: str | None, limit: int,
               cursor: str | None) -> Page[AuditOut]:
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    rows, next_cursor = _paged(list(session.scalars(_keyset(query, AuditEntry.id, cursor,
                                                            limit))), limit, lambda r: r.id)
    return Page[AuditOut](items=[AuditOut(id=r.id, at=r.at, actor=r.actor, action=r.action,
                                          target=r.target, detail=json.loads(r.detail))
                                 for r in rows], next_cursor=next_cursor)


def token_out(row: Token, secret: str | None = None) -> TokenOut:
    return TokenOut(id=row.id, name=row.name, role=row.role,
                    namespaces=json.loads(row.namespaces),
                    services=json.loads(row.services), created_at=row.created_at,
                    revoked_at=row.revoked_at, token=secret)


def tokens_page(session: Session, limit: int, cursor: str | None) -> Page[TokenOut]:
    rows, next_cursor = _paged(list(session.scalars(_keyset(select(Token), Token.id, cursor,
                                                            limit))), limit, lambda r: r.id)
    return Page[TokenOut](items=[token_out(r) for r in rows], next_cursor=next_cursor)
