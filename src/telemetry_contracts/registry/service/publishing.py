"""Publishing approved proposals as a new immutable version, numbered by the compatibility bump."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from telemetry_contracts.registry.service.auth import Principal
from telemetry_contracts.registry.service.errors import Conflict, Invalid
from telemetry_contracts.registry.service.index import ContractIndex
from telemetry_contracts.registry.service.models import PublishIn, VersionOut
from telemetry_contracts.registry.service.proposals import BODY, evaluate
from telemetry_contracts.registry.service.validation import classify, next_version
from telemetry_contracts.registry.service.versions import HEAD_ID, VersionStore
from telemetry_contracts.registry.store.tables import Head, Proposal, RetiredName, Version
from telemetry_contracts.schemas.snapshot import Snapshot


class Publisher:
    """Turns approved proposals into the next version, one publish at a time."""

    def __init__(self, versions: VersionStore, compatibility: str) -> None:
        self.versions = versions
        self.compatibility = compatibility

    def publish(self, principal: Principal, body: PublishIn) -> VersionOut:
        """Apply the approved proposals to the latest version and store the result.

        The head row is locked for the whole transaction, so concurrent publishes take turns;
        the unique version number is the backstop. A crash before commit leaves nothing.
        """

        def work(session: Session) -> tuple[Snapshot, Version, VersionOut]:
            head = session.get(Head, HEAD_ID, with_for_update=True, populate_existing=True)
            if head is None or head.version_id is None:
                raise Conflict("the registry has no version to publish onto")
            latest = session.get(Version, head.version_id)
            assert latest is not None
            base = self.versions.snapshot(latest.number, session)
            rows = self._approved(session, body.proposals)
            candidate, subjects = base, set()
            index = self.versions.index(latest.number, session)
            for row in rows:
                retired = session.get(RetiredName, row.subject) is not None
                if index.snapshot is not candidate:
                    index = ContractIndex.of(candidate)
                try:
                    candidate, _, _ = evaluate(index, BODY.validate_json(row.body), retired)
                except Invalid as error:
                    raise Invalid(f"proposal {row.id} no longer applies to version "
                                  f"{latest.number}: {error.detail}",
                                  findings=error.findings) from None
                subjects.add(row.subject)
            classification = classify(base, candidate, self.compatibility, subjects)
            if classification.bump == "none":
                raise Conflict("the approved proposals change nothing")
            if classification.breaking:
                raise Conflict(f"the change breaks the `{self.compatibility}` compatibility "
                               f"mode", extra={"breaking": classification.breaking})
            number = next_version(latest.number, classification.bump)
            snapshot = candidate.model_copy(update={"version": number})
            version = self.versions.store(session, snapshot, bump=classification.bump,
                                          note=body.note, actor=principal.name)
            for row in rows:
                row.status, row.published_version = "published", number
                row.revision += 1
                row.updated_at = dt.datetime.now(dt.timezone.utc)
                if row.kind == "removal":
                    session.merge(RetiredName(name=row.subject, version=number))
            answer = VersionOut(
                number=number, bump=classification.bump, content_hash=version.content_hash,
                attributes=version.attributes, metrics=version.metrics, note=version.note,
                published_by=version.published_by, published_at=version.published_at,
                proposals=[row.id for row in rows], changes=classification.changes)
            return snapshot, version, answer

        snapshot, version, answer = self.versions.database.write(work)
        self.versions.publish_done(snapshot, version)
        return answer

    @staticmethod
    def _approved(session: Session, ids: list[int] | None) -> list[Proposal]:
        query = select(Proposal).where(Proposal.status == "approved").order_by(Proposal.id)
        if ids is not None:
            query = query.where(Proposal.id.in_(ids))
        rows = list(session.scalars(query.with_for_update()))
        if ids is not None and len(rows) != len(set(ids)):
            missing = sorted(set(ids) - {row.id for row in rows})
            raise Conflict(f"proposals {missing} are not approved")
        if not rows:
            raise Conflict("there are no approved proposals to publish")
        return rows
