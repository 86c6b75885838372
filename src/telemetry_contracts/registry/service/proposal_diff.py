"""A proposal's field-level diff against the contract it changes, classified as ``diff`` does."""

from __future__ import annotations

from telemetry_contracts.registry.service.errors import Conflict, Invalid, NotFound
from telemetry_contracts.registry.service.models import DiffChange, ProposalDiff
from telemetry_contracts.registry.service.proposals import BODY, evaluate
from telemetry_contracts.registry.service.validation import classify
from telemetry_contracts.registry.service.versions import VersionStore
from telemetry_contracts.registry.store.tables import Proposal
from telemetry_contracts.validators.compatibility import Change


def proposal_diff(versions: VersionStore, proposal_id: int, mode: str) -> ProposalDiff:
    """The changes proposal ``proposal_id`` makes to the latest version (to its base version
    once published), each with its compatibility class under ``mode`` and its semver bump."""
    with versions.database.read() as session:
        row = session.get(Proposal, proposal_id)
    if row is None:
        raise NotFound(f"no proposal {proposal_id}")
    against = row.base_version if row.status == "published" else versions.latest().number
    index = versions.index(against)
    try:
        changed, _, _ = evaluate(index, BODY.validate_json(row.body), retired=False)
    except (Invalid, Conflict) as error:
        raise Conflict(f"proposal {proposal_id} no longer applies to version {against}: "
                       f"{error}") from None
    result = classify(index.snapshot, changed, mode, subjects={row.subject})
    changes = []
    for dumped in result.changes:
        change = Change.model_validate(dumped)
        changes.append(DiffChange(
            description=change.describe(), bump=change.bump(), code=change.code,
            compatibility="breaking" if change.breaks(mode) else "compatible", change=dumped))
    return ProposalDiff(proposal_id=proposal_id, subject=row.subject, against_version=against,
                        mode=mode, bump=result.bump, changes=changes)
