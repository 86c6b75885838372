"""Proposals and reviews: validated at once, decided by namespace owners, changed optimistically."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from pydantic import TypeAdapter
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from telemetry_contracts.registry.service.audit import record
from telemetry_contracts.registry.service.auth import Principal
from telemetry_contracts.registry.service.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    PreconditionFailed,
    QuotaExceeded,
)
from telemetry_contracts.registry.service.fragments import (
    AttributeChange,
    DeprecationChange,
    Edit,
    MetricChange,
    ProposalBody,
    ProposalInvalid,
    RemovalChange,
    applied,
    edit_of,
    subject_of,
)
from telemetry_contracts.registry.service.index import ContractIndex
from telemetry_contracts.registry.service.lifecycle import State, allowed, state_of
from telemetry_contracts.registry.service.models import (
    Action,
    ProposalIn,
    ProposalOut,
    ReviewIn,
    ReviewOut,
)
from telemetry_contracts.registry.service.validation import findings_for_edit
from telemetry_contracts.registry.service.versions import VersionStore
from telemetry_contracts.registry.store.tables import Proposal, RetiredName, Review
from telemetry_contracts.schemas.findings import Finding, Location
from telemetry_contracts.schemas.model import Attribute, Metric
from telemetry_contracts.schemas.snapshot import Snapshot

Change = AttributeChange | MetricChange | DeprecationChange | RemovalChange
BODY: TypeAdapter[Change] = TypeAdapter(ProposalBody)
FINDINGS = TypeAdapter(list[Finding])
T = TypeVar("T")
NAME_LENGTH = 255
EDITABLE = {"open", "changes_requested", "approved"}
REVIEWABLE = {"open", "changes_requested", "approved"}


def allowed_actions(principal: Principal | None, row: Proposal) -> list[Action]:
    """What ``principal`` may do with the proposal ``row`` now: the rules the writes enforce."""
    if principal is None or not principal.at_least("contributor"):
        return []
    actions: list[Action] = []
    if (row.status in REVIEWABLE and principal.at_least("reviewer")
            and principal.owns(row.subject)):
        if row.status != "approved" and principal.name != row.author:
            actions.append("approve")
        actions += ["request_changes", "reject"]
    if row.status in EDITABLE and (principal.name == row.author or principal.role == "admin"):
        actions += ["edit", "withdraw"]
    if row.status == "approved" and principal.role == "admin":
        actions.append("publish")
    return actions


def storable(change: Change) -> None:
    """:class:`Invalid` unless the subject and title fit their columns on every store."""
    subject = subject_of(change)
    if len(subject) > NAME_LENGTH:
        message = f"a name is at most {NAME_LENGTH} characters; this one has {len(subject)}"
        raise Invalid(message, findings=[Finding(
            code="TC209", severity="error", message=message,
            location=Location(file="proposal"), subject=subject[:60])])
    if "\x00" in subject or "\x00" in change.title:
        raise Invalid("names and titles must not contain NUL characters")


def transition(before: Attribute | Metric | None, after: Attribute | Metric | None, subject: str,
               retired: bool, today: dt.date) -> tuple[State, State]:
    """The subject's lifecycle states before and after a change; :class:`Conflict` if illegal."""
    old = state_of(before, today, ever_published=retired)
    new = state_of(after, today, ever_published=True)
    if not allowed(old, new):
        raise Conflict(f"`{subject}` cannot go from {old} to {new}",
                       extra={"from_state": old, "to_state": new})
    return old, new


def check_change(base: ContractIndex, change: Change, retired: bool
                 ) -> tuple[Edit, list[Finding], dict[str, State]]:
    """What ``change`` does to the snapshot ``base`` indexes, its findings and the lifecycle move.

    Only the subject and what it names are looked at; the changed snapshot is not built.
    Raises :class:`Invalid` with the findings when the change cannot apply or breaks an
    error-level rule.
    """
    subject = subject_of(change)
    try:
        edit = edit_of(base, change)
    except ProposalInvalid as error:
        raise Invalid("the proposal cannot be applied", findings=error.findings) from None
    old, new = transition(base.contract(subject), _after(base, edit), subject, retired,
                          dt.date.today())
    findings = findings_for_edit(base, edit)
    if any(f.severity == "error" for f in findings):
        raise Invalid("the proposal breaks validation rules", findings=findings)
    return edit, findings, {"from": old, "to": new}


def evaluate(base: ContractIndex, change: Change, retired: bool
             ) -> tuple[Snapshot, list[Finding], dict[str, State]]:
    """:func:`check_change`, and the whole changed snapshot (what a publish stores)."""
    edit, findings, lifecycle = check_change(base, change, retired)
    return applied(base.snapshot, edit), findings, lifecycle


def _after(base: ContractIndex, edit: Edit) -> Attribute | Metric | None:
    """The attribute (else metric) named ``edit.name`` once ``edit`` is made."""
    attribute = edit.contract if edit.kind == "attribute" else base.attributes.get(edit.name)
    if attribute is not None:
        return attribute
    return edit.contract if edit.kind == "metric" else base.metrics.get(edit.name)


class Proposals:
    """Creating, changing, withdrawing and reviewing proposals."""

    def __init__(self, versions: VersionStore, required_approvals: int) -> None:
        self.versions = versions
        self.database = versions.database
        self.required_approvals = required_approvals
        self.max_open = versions.settings.max_open_proposals
        self.max_bytes = versions.settings.max_proposal_bytes

    def _latest(self) -> tuple[str, ContractIndex]:
        """The latest version's number and index (read from the database if need be)."""
        number = self.versions.latest().number
        return number, self.versions.index(number)

    @staticmethod
    def _evaluate(base: tuple[str, ContractIndex], change: Change
                  ) -> tuple[str, list[Finding], dict[str, State]]:
        """Validate against the latest version; a publish validates again against its base."""
        number, index = base
        _, findings, lifecycle = check_change(index, change, retired=False)
        return number, findings, lifecycle

    @staticmethod
    def _refuse_retired(session: Session, subject: str, lifecycle: dict[str, State]) -> None:
        """A new name must not be one a publish removed (checked inside the write)."""
        if lifecycle["from"] != "proposed":
            return
        retired = session.get(RetiredName, subject)
        if retired is not None:
            raise Conflict(f"`{subject}` cannot go from removed to {lifecycle['to']}: it was "
                           f"removed in version {retired.version}",
                           extra={"from_state": "removed", "to_state": lifecycle["to"]})

    def create(self, principal: Principal, body: ProposalIn) -> ProposalOut:
        """Validate and store a new proposal; the answer carries its findings.

        It is validated against the latest version and stored only if that is still the
        latest inside the write; otherwise (a publish landed meanwhile) it is validated again.
        """
        storable(body.change)
        while True:
            base_version, findings, lifecycle = self._evaluate(self._latest(), body.change)
            row = self.database.write(partial(self._insert, principal=principal,
                                              change=body.change, base_version=base_version,
                                              findings=findings, lifecycle=lifecycle))
            if row is not None:
                return self._out(row, 0, lifecycle, principal, self._same_subject(row))

    def _insert(self, session: Session, principal: Principal, change: Change, base_version: str,
                findings: list[Finding], lifecycle: dict[str, State]) -> Proposal | None:
        """Insert the new proposal and its audit entry; None when ``base_version`` is no longer
        the latest."""
        latest = self.versions.read_latest(session)
        if latest.number != base_version:
            self.versions.remember_latest(latest)
            return None
        subject = subject_of(change)
        self._refuse_retired(session, subject, lifecycle)
        body = change.model_dump_json(exclude_none=True)
        self._within_quota(session, principal.name, len(body), new=True)
        now = dt.datetime.now(dt.timezone.utc)
        row = Proposal(kind=change.kind, subject=subject, status="open", revision=1,
                       content_revision=1, author=principal.name, title=change.title,
                       body=body,
                       findings=FINDINGS.dump_json(findings).decode(),
                       base_version=base_version, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        record(session, principal.name, "proposal.create", f"proposal:{row.id}",
               {"kind": change.kind, "subject": subject})
        return row

    def update(self, principal: Principal, proposal_id: int, body: ProposalIn,
               if_match: int | None) -> ProposalOut:
        """Replace the proposed change (author or admin); approvals so far no longer count."""
        return _retrying(if_match,
                         lambda: self._update_once(principal, proposal_id, body, if_match))

    def _update_once(self, principal: Principal, proposal_id: int, body: ProposalIn,
                     if_match: int | None) -> ProposalOut:
        current = self._get(proposal_id)
        self._may_edit(principal, current)
        change = body.change
        if subject_of(change) != current.subject:
            raise Invalid(f"a proposal stays about `{current.subject}`; open a new one for "
                          f"`{subject_of(change)}`")
        storable(change)
        base_version, findings, lifecycle = self._evaluate(self._latest(), change)
        expected = current.revision if if_match is None else if_match

        def work(session: Session) -> Proposal:
            self._refuse_retired(session, subject_of(change), lifecycle)
            body = change.model_dump_json(exclude_none=True)
            self._within_quota(session, current.author, len(body) - len(current.body), new=False)
            values = {"body": body, "title": change.title,
                      "findings": FINDINGS.dump_json(findings).decode(), "status": "open",
                      "base_version": base_version, "content_revision": expected + 1}
            return self._bump(session, current, expected, values, principal, "proposal.update")

        row = self.database.write(work)
        return self._out(row, 0, lifecycle, principal, self._same_subject(row))

    def withdraw(self, principal: Principal, proposal_id: int, if_match: int | None
                 ) -> ProposalOut:
        """Withdraw a proposal that is not published yet (author or admin)."""
        return _retrying(if_match, lambda: self._withdraw_once(principal, proposal_id, if_match))

    def _withdraw_once(self, principal: Principal, proposal_id: int, if_match: int | None
                       ) -> ProposalOut:
        current = self._get(proposal_id)
        if principal.name != current.author and principal.role != "admin":
            raise Forbidden("only the author or an admin may withdraw a proposal")
        if current.status in {"published", "withdrawn", "rejected"}:
            raise Conflict(f"proposal {proposal_id} is {current.status}")
        expected = current.revision if if_match is None else if_match

        def work(session: Session) -> Proposal:
            return self._bump(session, current, expected, {"status": "withdrawn"}, principal,
                              "proposal.withdraw")

        return self._out(self.database.write(work), caller=principal)

    def review(self, principal: Principal, proposal_id: int, body: ReviewIn,
               if_match: int | None) -> ReviewOut:
        """Record a decision by an owner of the subject's namespace and update the status."""
        return _retrying(if_match,
                         lambda: self._review_once(principal, proposal_id, body, if_match))

    def _review_once(self, principal: Principal, proposal_id: int, body: ReviewIn,
                     if_match: int | None) -> ReviewOut:
        current = self._get(proposal_id)
        if not principal.owns(current.subject):
            raise Forbidden(f"only owners of the namespace of `{current.subject}` or admins "
                            f"review it")
        if body.decision == "approve" and principal.name == current.author:
            raise Forbidden("authors cannot approve their own proposals")
        if current.status not in REVIEWABLE:
            raise Conflict(f"proposal {proposal_id} is {current.status}")
        if body.decision == "approve" and current.status == "approved":
            raise Conflict(f"proposal {proposal_id} is already approved")
        expected = current.revision if if_match is None else if_match

        def work(session: Session) -> Review:
            review = Review(proposal_id=proposal_id, revision=expected, reviewer=principal.name,
                            decision=body.decision, comment=body.comment,
                            created_at=dt.datetime.now(dt.timezone.utc))
            session.add(review)
            session.flush()
            status = {"reject": "rejected", "request_changes": "changes_requested"}.get(
                body.decision)
            if status is None:
                approvals = self._approvals(session, proposal_id, current.content_revision)
                status = "approved" if approvals >= self.required_approvals else current.status
            self._bump(session, current, expected, {"status": status}, principal,
                       f"review.{body.decision}")
            return review

        return review_out(self.database.write(work))

    # -- helpers -------------------------------------------------------------------------
    def _within_quota(self, session: Session, author: str, more_bytes: int, *, new: bool
                      ) -> None:
        """:class:`QuotaExceeded` unless ``author`` may store ``more_bytes`` more of open
        proposals (and, if ``new``, one more proposal)."""
        count, size = session.execute(
            select(func.count(), func.coalesce(func.sum(func.length(Proposal.body)), 0))
            .where(Proposal.author == author, Proposal.status.in_(EDITABLE))).one()
        if new and count >= self.max_open:
            raise QuotaExceeded(f"`{author}` has {count} open proposals, the most one author "
                                f"may hold; withdraw or finish some first")
        if more_bytes > 0 and size + more_bytes > self.max_bytes:
            raise QuotaExceeded(f"`{author}`'s open proposals would hold over "
                                f"{self.max_bytes} bytes; withdraw or finish some first")

    def _get(self, proposal_id: int) -> Proposal:
        with self.database.read() as session:
            row = session.get(Proposal, proposal_id)
        if row is None:
            raise NotFound(f"no proposal {proposal_id}")
        return row

    @staticmethod
    def _may_edit(principal: Principal, row: Proposal) -> None:
        if principal.name != row.author and principal.role != "admin":
            raise Forbidden("only the author or an admin may change a proposal")
        if row.status not in EDITABLE:
            raise Conflict(f"proposal {row.id} is {row.status}; published, rejected and "
                           f"withdrawn proposals stay as they are")

    @staticmethod
    def _bump(session: Session, current: Proposal, expected: int, values: dict[str, object],
              principal: Principal, action: str) -> Proposal:
        """Compare-and-set on the revision: no update is lost to a concurrent one."""
        result = session.execute(
            update(Proposal).where(Proposal.id == current.id, Proposal.revision == expected)
            .values(revision=expected + 1, updated_at=dt.datetime.now(dt.timezone.utc), **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise PreconditionFailed(
                f"proposal {current.id} changed since revision {expected}; read it again")
        record(session, principal.name, action, f"proposal:{current.id}",
               {"revision": expected + 1, **{k: v for k, v in values.items() if k != "body"}})
        row = session.get(Proposal, current.id, populate_existing=True)
        assert row is not None
        return row

    @staticmethod
    def _approvals(session: Session, proposal_id: int, content_revision: int) -> int:
        return int(session.scalar(
            select(func.count(func.distinct(Review.reviewer))).where(
                Review.proposal_id == proposal_id, Review.decision == "approve",
                Review.revision >= content_revision)
        ) or 0)

    def get(self, proposal_id: int, caller: Principal | None = None) -> ProposalOut:
        """One proposal with its approval count and what ``caller`` may do with it."""
        with self.database.read() as session:
            row = session.get(Proposal, proposal_id)
            if row is None:
                raise NotFound(f"no proposal {proposal_id}")
            approvals = approval_counts(session, [row]).get(row.id, 0)
            same = same_subject(session, [row]).get(row.id, [])
        return self._out(row, approvals, caller=caller, same=same)

    def _same_subject(self, row: Proposal) -> list[int]:
        with self.database.read() as session:
            return same_subject(session, [row]).get(row.id, [])

    @staticmethod
    def _out(row: Proposal, approvals: int = 0, lifecycle: dict[str, State] | None = None,
             caller: Principal | None = None, same: list[int] | None = None) -> ProposalOut:
        return ProposalOut(
            id=row.id, kind=row.kind, subject=row.subject, status=row.status,
            revision=row.revision, author=row.author, title=row.title,
            change=json.loads(row.body), findings=FINDINGS.validate_json(row.findings),
            lifecycle=lifecycle or {}, base_version=row.base_version,
            published_version=row.published_version, approvals=approvals,
            allowed_actions=allowed_actions(caller, row), same_subject=same or [],
            created_at=row.created_at, updated_at=row.updated_at,
        )

    out = _out


def _retrying(if_match: int | None, attempt: Callable[[], T]) -> T:
    """Run ``attempt``; without ``If-Match`` the caller wants the latest, so a lost race to a
    concurrent change is retried on the fresh revision instead of answered with 412."""
    for _ in range(10):
        try:
            return attempt()
        except PreconditionFailed:
            if if_match is not None:
                raise
    return attempt()


def approval_counts(session: Session, rows: list[Proposal]) -> dict[int, int]:
    """Approvals from distinct reviewers of each proposal's current content, in one query."""
    if not rows:
        return {}
    found = session.execute(
        select(Review.proposal_id, func.count(func.distinct(Review.reviewer)))
        .join(Proposal, Proposal.id == Review.proposal_id)
        .where(Review.proposal_id.in_([row.id for row in rows]), Review.decision == "approve",
               Review.revision >= Proposal.content_revision)
        .group_by(Review.proposal_id))
    return {proposal_id: int(count) for proposal_id, count in found}


def same_subject(session: Session, rows: list[Proposal]) -> dict[int, list[int]]:
    """For each open proposal of ``rows``, the other open proposals about its subject."""
    open_rows = [row for row in rows if row.status in EDITABLE]
    if not open_rows:
        return {}
    found: dict[str, list[int]] = {}
    for proposal_id, subject in session.execute(
            select(Proposal.id, Proposal.subject)
            .where(Proposal.subject.in_({row.subject for row in open_rows}),
                   Proposal.status.in_(EDITABLE)).order_by(Proposal.id)):
        found.setdefault(subject, []).append(proposal_id)
    return {row.id: [other for other in found.get(row.subject, []) if other != row.id]
            for row in open_rows}


def review_out(row: Review) -> ReviewOut:
    """The answer shape of a review."""
    return ReviewOut(id=row.id, proposal_id=row.proposal_id, revision=row.revision,
                     reviewer=row.reviewer, decision=row.decision,
                     comment=row.comment, created_at=row.created_at)
