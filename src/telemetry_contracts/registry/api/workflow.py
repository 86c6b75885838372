"""Write routes of the review workflow: proposals, reviews and publishing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from telemetry_contracts.registry.api.deps import (
    Admin,
    Contributor,
    Cursor,
    IfMatch,
    Limit,
    Reviewer,
    Service,
    Viewer,
)
from telemetry_contracts.registry.api.problems import problem_responses
from telemetry_contracts.registry.service.models import (
    Page,
    ProposalDiff,
    ProposalIn,
    ProposalOut,
    ProposalStatus,
    PublishIn,
    ReviewIn,
    ReviewOut,
    VersionOut,
)
from telemetry_contracts.schemas.text import NO_NUL_PATTERN

router = APIRouter(prefix="/v1", tags=["workflow"],
                   responses=problem_responses(400, 401, 403, 404, 409, 412, 413, 422))
ProposalId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _answer(proposal: ProposalOut, status: int = 200, **headers: str) -> Response:
    """The proposal with its revision as ETag, serialised once: returning the model would have
    FastAPI validate it again and serialise it on a worker thread."""
    return Response(proposal.model_dump_json(), status_code=status,
                    media_type="application/json",
                    headers={"ETag": f'"{proposal.revision}"', **headers})


def _links(parameter: str, source: str, *operations: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``links`` of a 201 answer: where the created resource's key goes next."""
    return {201: {"description": "Created.", "links": {
        name: {"operationId": name, "parameters": {parameter: f"$response.body#/{source}"}}
        for name in operations}}}


PROPOSAL_LINKS = _links(
    "proposal_id", "id", "get_proposal_v1_proposals__proposal_id__get",
    "update_proposal_v1_proposals__proposal_id__put",
    "withdraw_proposal_v1_proposals__proposal_id__withdraw_post",
    "create_review_v1_proposals__proposal_id__reviews_post",
    "list_reviews_v1_proposals__proposal_id__reviews_get")


@router.post("/proposals", response_model=ProposalOut, status_code=201,
             responses=PROPOSAL_LINKS)
def create_proposal(service: Service, caller: Contributor, body: ProposalIn) -> Response:
    """Propose a new or changed attribute or metric, a deprecation or a removal.

    The answer carries the validation findings; an invalid proposal is refused with 422.
    """
    proposal = service.propose(caller, body)
    return _answer(proposal, 201, Location=f"/v1/proposals/{proposal.id}")


@router.get("/proposals", response_model=Page[ProposalOut])
def list_proposals(service: Service, caller: Viewer, limit: Limit = 100, cursor: Cursor = None,
                   status: ProposalStatus | None = None,
                   subject_prefix: Annotated[str | None, Query(max_length=255,
                                                               pattern=NO_NUL_PATTERN)] = None
                   ) -> Page[ProposalOut]:
    """Proposals, oldest first, each with what the caller may do with it."""
    return service.proposal_list(status, subject_prefix, limit, cursor, caller)


@router.get("/proposals/{proposal_id}", response_model=ProposalOut)
def get_proposal(service: Service, caller: Viewer, proposal_id: ProposalId) -> Response:
    """One proposal; its ETag is its revision; `allowed_actions` is what the caller may do."""
    return _answer(service.proposal(proposal_id, caller))


@router.get("/proposals/{proposal_id}/diff", response_model=ProposalDiff)
def get_proposal_diff(service: Service, _: Viewer, proposal_id: ProposalId) -> ProposalDiff:
    """The field-level changes the proposal makes to the latest version (its base once
    published), each classified as `telemetry-contracts diff` classifies it, with its bump."""
    return service.proposal_diff(proposal_id)


@router.put("/proposals/{proposal_id}", response_model=ProposalOut)
def update_proposal(service: Service, caller: Contributor, proposal_id: ProposalId,
                    body: ProposalIn, if_match: IfMatch) -> Response:
    """Replace the proposed change (author or admin); approvals start over."""
    return _answer(service.update_proposal(caller, proposal_id, body, if_match))


@router.post("/proposals/{proposal_id}/withdraw", response_model=ProposalOut)
def withdraw_proposal(service: Service, caller: Contributor, proposal_id: ProposalId,
                      if_match: IfMatch) -> Response:
    """Withdraw a proposal (author or admin)."""
    return _answer(service.withdraw(caller, proposal_id, if_match))


@router.post("/proposals/{proposal_id}/reviews", response_model=ReviewOut, status_code=201)
def create_review(service: Service, caller: Reviewer, proposal_id: ProposalId, body: ReviewIn,
                  if_match: IfMatch) -> ReviewOut:
    """Approve, request changes or reject; only owners of the subject's namespace or admins."""
    return service.review(caller, proposal_id, body, if_match)


@router.get("/proposals/{proposal_id}/reviews", response_model=Page[ReviewOut])
def list_reviews(service: Service, _: Viewer, proposal_id: ProposalId, limit: Limit = 100,
                 cursor: Cursor = None) -> Page[ReviewOut]:
    """Reviews of one proposal, oldest first."""
    return service.reviews(proposal_id, limit, cursor)


@router.post("/versions", response_model=VersionOut, status_code=201,
             responses=_links("number", "number", "get_version_v1_versions__number__get",
                              "get_version_snapshot_v1_versions__number__snapshot_get"))
def publish_version(service: Service, caller: Admin, body: PublishIn, response: Response
                    ) -> VersionOut:
    """Publish approved proposals as a new immutable version numbered by the semver bump."""
    version = service.publish(caller, body)
    response.headers["Location"] = f"/v1/versions/{version.number}"
    return version
