"""The registry service: one object the HTTP layer (or any other caller) drives."""

from __future__ import annotations

import datetime as dt
from typing import Any

from telemetry_contracts.registry.service import queries, usage
from telemetry_contracts.registry.service.auth import (
    Authenticator,
    Principal,
    Role,
    create_token,
    revoke_token,
)
from telemetry_contracts.registry.service.errors import NotFound
from telemetry_contracts.registry.service.models import (
    AuditOut,
    DeprecationReport,
    DiffOut,
    Me,
    Page,
    ProposalDiff,
    ProposalIn,
    ProposalOut,
    PublishIn,
    ReviewIn,
    ReviewOut,
    Safety,
    ServiceState,
    TokenIn,
    TokenOut,
    UnknownName,
    UsageAccepted,
    VersionOut,
)
from telemetry_contracts.registry.service.proposal_diff import proposal_diff
from telemetry_contracts.registry.service.proposals import Proposals
from telemetry_contracts.registry.service.publishing import Publisher
from telemetry_contracts.registry.service.settings import Settings
from telemetry_contracts.registry.service.validation import semconv, use_rules
from telemetry_contracts.registry.service.versions import VersionStore
from telemetry_contracts.registry.store.database import Database
from telemetry_contracts.registry.store.tables import Token
from telemetry_contracts.schemas.model import Attribute, Metric
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.schemas.usage import UsageReport


class RegistryService:
    """Opens the store (upgrading and seeding it) and offers every workflow operation."""

    def __init__(self, settings: Settings, *, seed: Snapshot | None = None) -> None:
        self.settings = settings
        use_rules(settings.rules_file)  # declared and plugin rules; a bad rules file stops here
        self.database = Database(settings.database_url)
        self.versions = VersionStore(self.database, settings)
        self.versions.seed(lambda: seed if seed is not None else semconv())
        semconv()  # built before requests arrive, not by the first few at once
        self.versions.index(self.versions.latest(fresh=True).number)
        self.proposals = Proposals(self.versions, settings.required_approvals)
        self.publisher = Publisher(self.versions, settings.compatibility)
        self.authenticator = Authenticator(self.database, open_reads=settings.open_reads)

    def close(self) -> None:
        """Release the database connections."""
        self.database.dispose()

    # -- auth ----------------------------------------------------------------------------
    def authenticate(self, authorization: str | None, needed: Role) -> Principal:
        """The caller, if its token has at least the ``needed`` role."""
        return self.authenticator.authenticate(authorization, needed)

    def create_token(self, body: TokenIn, actor: str) -> TokenOut:
        """A new token; the answer is the only place its secret appears."""
        token_id, secret = create_token(self.database, role=body.role, name=body.name,
                                        namespaces=body.namespaces, actor=actor,
                                        services=body.services)
        with self.database.read() as session:
            row = session.get(Token, token_id)
            assert row is not None
            return queries.token_out(row, secret)

    @staticmethod
    def me(principal: Principal) -> Me:
        """The caller as its token makes it."""
        return Me(name=principal.name, role=principal.role,
                  namespaces=list(principal.namespaces), services=list(principal.services),
                  token_id=principal.token_id, anonymous=principal.token_id is None)

    def revoke_token(self, token_id: int, actor: Principal) -> None:
        revoke_token(self.database, token_id, actor)
        self.authenticator.forget()

    def tokens(self, limit: int, cursor: str | None) -> Page[TokenOut]:
        with self.database.read() as session:
            return queries.tokens_page(session, limit, cursor)

    def audit(self, actor: str | None, action: str | None, limit: int, cursor: str | None
              ) -> Page[AuditOut]:
        with self.database.read() as session:
            return queries.audit_page(session, actor, action, limit, cursor)

    # -- contracts and versions -----------------------------------------------------------
    def snapshot_of(self, number: str | None) -> Snapshot:
        """The snapshot of version ``number``, the latest when None."""
        return self.versions.snapshot(number or self.versions.latest().number)

    def attributes(self, version: str | None, **filters: object) -> Page[Attribute]:
        return queries.contracts_page(self.snapshot_of(version).attributes, "key",
                                      **filters)  # type: ignore[arg-type]

    def attribute(self, key: str, version: str | None) -> Attribute:
        return queries.one_contract(self.snapshot_of(version).attributes, "key", key,
                                    "attribute")

    def metrics(self, version: str | None, **filters: object) -> Page[Metric]:
        return queries.contracts_page(self.snapshot_of(version).metrics, "name",
                                      **filters)  # type: ignore[arg-type]

    def metric(self, name: str, version: str | None) -> Metric:
        return queries.one_contract(self.snapshot_of(version).metrics, "name", name, "metric")

    def version_list(self, limit: int, cursor: str | None) -> Page[VersionOut]:
        with self.database.read() as session:
            return queries.versions_page(session, limit, cursor)

    def version(self, number: str) -> VersionOut:
        with self.database.read() as session:
            return queries.version_one(session, number)

    def diff(self, old: str, new: str) -> DiffOut:
        return queries.diff(self.versions, old, new, self.settings.compatibility)

    def publish(self, principal: Principal, body: PublishIn) -> VersionOut:
        return self.publisher.publish(principal, body)

    # -- proposals -----------------------------------------------------------------------
    def propose(self, principal: Principal, body: ProposalIn) -> ProposalOut:
        return self.proposals.create(principal, body)

    def proposal(self, proposal_id: int, caller: Principal | None = None) -> ProposalOut:
        return self.proposals.get(proposal_id, caller)

    def proposal_diff(self, proposal_id: int) -> ProposalDiff:
        return proposal_diff(self.versions, proposal_id, self.settings.compatibility)

    def proposal_list(self, status: str | None, subject_prefix: str | None, limit: int,
                      cursor: str | None, caller: Principal | None = None
                      ) -> Page[ProposalOut]:
        with self.database.read() as session:
            return queries.proposals_page(session, status, subject_prefix, limit, cursor,
                                          caller)

    def update_proposal(self, principal: Principal, proposal_id: int, body: ProposalIn,
                        if_match: int | None) -> ProposalOut:
        return self.proposals.update(principal, proposal_id, body, if_match)

    def withdraw(self, principal: Principal, proposal_id: int, if_match: int | None
                 ) -> ProposalOut:
        return self.proposals.withdraw(principal, proposal_id, if_match)

    def review(self, principal: Principal, proposal_id: int, body: ReviewIn,
               if_match: int | None) -> ReviewOut:
        return self.proposals.review(principal, proposal_id, body, if_match)

    def reviews(self, proposal_id: int, limit: int, cursor: str | None) -> Page[ReviewOut]:
        with self.database.read() as session:
            return queries.reviews_page(session, proposal_id, limit, cursor)

    # -- usage ---------------------------------------------------------------------------
    def ingest_usage(self, principal: Principal, report: UsageReport) -> UsageAccepted:
        return usage.ingest(self.versions, principal, report,
                            window_days=self.settings.usage_window_days)

    def deprecations(self, limit: int, cursor: str | None, now: dt.datetime | None = None,
                     prefix: str | None = None,
                     safe_to_remove: Safety | None = None) -> DeprecationReport:
        return DeprecationReport.model_validate(self.deprecation_document(
            limit, cursor, now, prefix, safe_to_remove))

    def deprecation_document(self, limit: int, cursor: str | None,
                             now: dt.datetime | None = None, prefix: str | None = None,
                             safe_to_remove: Safety | None = None) -> dict[str, Any]:
        """:meth:`deprecations` as JSON-ready data, as the HTTP route sends it."""
        return usage.deprecation_report(self.versions, window_days=self.settings.usage_window_days,
                                        limit=limit, cursor=cursor, now=now, prefix=prefix,
                                        safe_to_remove=safe_to_remove)

    def unknown_names(self, limit: int, cursor: str | None, service: str | None = None
                      ) -> Page[UnknownName]:
        return usage.unknown_report(self.versions, limit=limit, cursor=cursor, service=service)

    def reporting_services(self, limit: int, cursor: str | None) -> Page[ServiceState]:
        return usage.services_report(self.versions, limit=limit, cursor=cursor)


__all__ = ["NotFound", "RegistryService"]
