"""Workflow rules in the service layer, without HTTP: approvals, lifecycle, storage, paging."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from telemetry_contracts.registry.service import versions as versions_module
from telemetry_contracts.registry.service.auth import Principal
from telemetry_contracts.registry.service.errors import (
    Conflict,
    Forbidden,
    Invalid,
    PreconditionFailed,
)
from telemetry_contracts.registry.service.lifecycle import TRANSITIONS, allowed
from telemetry_contracts.registry.service.models import ProposalIn, PublishIn, ReviewIn
from telemetry_contracts.registry.service.validation import next_version
from telemetry_contracts.registry.store.tables import Blob, Version
from tests.registry.conftest import Harness

AUTHOR = Principal("alice", "contributor")
OWNER_1 = Principal("bob", "reviewer", ("shop",))
OWNER_2 = Principal("dave", "reviewer", ("shop",))
ADMIN = Principal("root", "admin")
APPROVE = ReviewIn(decision="approve")


def _attribute(key: str, type_name: str = "string") -> ProposalIn:
    return ProposalIn.model_validate({"change": {"kind": "attribute", "attribute": {
        "key": key, "type": type_name, "brief": "An attribute.", "stability": "development"}}})


def _change(kind: str, name: str, **fields: object) -> ProposalIn:
    return ProposalIn.model_validate({"change": {"kind": kind, "name": name, **fields}})


def _publish_one(harness: Harness, body: ProposalIn, reviewers: tuple[Principal, ...] = (OWNER_1,)
                 ) -> str:
    service = harness.service
    proposal = service.propose(AUTHOR, body)
    for reviewer in reviewers:
        service.review(reviewer, proposal.id, APPROVE, None)
    return service.publish(ADMIN, PublishIn(proposals=[proposal.id])).number


def test_configured_number_of_approvals(make_harness: Callable[..., Harness]) -> None:
    service = make_harness(required_approvals=2).service
    proposal = service.propose(AUTHOR, _attribute("shop.cart.id"))
    service.review(OWNER_1, proposal.id, APPROVE, None)
    service.review(OWNER_1, proposal.id, APPROVE, None)
    assert service.proposal(proposal.id).status == "open", "one reviewer counts once"
    with pytest.raises(Conflict):
        service.publish(ADMIN, PublishIn(proposals=[proposal.id]))
    service.review(OWNER_2, proposal.id, APPROVE, None)
    assert service.proposal(proposal.id).status == "approved"
    # A change to the proposal makes earlier approvals stale.
    updated = service.update_proposal(AUTHOR, proposal.id, _attribute("shop.cart.id", "int"),
                                      None)
    assert updated.status == "open" and service.proposal(proposal.id).approvals == 0


def test_an_approved_proposal_takes_no_second_approval(harness: Harness) -> None:
    service = harness.service
    proposal = service.propose(AUTHOR, _attribute("shop.cart.id"))
    service.review(OWNER_1, proposal.id, APPROVE, None)
    approved = service.proposal(proposal.id)
    assert approved.status == "approved"
    assert "approve" not in service.proposal(proposal.id, OWNER_2).allowed_actions
    for reviewer in (OWNER_1, OWNER_2):
        with pytest.raises(Conflict, match="already approved"):
            service.review(reviewer, proposal.id, APPROVE, None)
    assert service.proposal(proposal.id).revision == approved.revision
    # Racing approvals of one open proposal: one is recorded, the others are refused.
    racing = service.propose(AUTHOR, _attribute("shop.cart.size"))

    def approve(reviewer: Principal) -> str:
        try:
            service.review(reviewer, racing.id, APPROVE, None)
        except Conflict:
            return "refused"
        return "recorded"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(approve, (OWNER_1, OWNER_2, ADMIN, OWNER_2)))
    assert outcomes.count("recorded") == 1, outcomes
    assert service.proposal(racing.id).status == "approved"


def test_if_match_protects_against_lost_updates(harness: Harness) -> None:
    service = harness.service
    proposal = service.propose(AUTHOR, _attribute("shop.cart.id"))
    service.update_proposal(AUTHOR, proposal.id, _attribute("shop.cart.id", "int"),
                            proposal.revision)
    with pytest.raises(PreconditionFailed):
        service.update_proposal(AUTHOR, proposal.id, _attribute("shop.cart.id", "double"),
                                proposal.revision)
    assert service.proposal(proposal.id).change["attribute"]["type"] == "int"


def test_only_owners_review_and_never_their_own(harness: Harness) -> None:
    service = harness.service
    proposal = service.propose(OWNER_1, _attribute("shop.cart.id"))
    with pytest.raises(Forbidden):
        service.review(OWNER_1, proposal.id, APPROVE, None)
    with pytest.raises(Forbidden):
        service.review(Principal("eve", "reviewer", ("shopping",)), proposal.id, APPROVE, None)
    service.review(ADMIN, proposal.id, APPROVE, None)
    assert service.proposal(proposal.id).status == "approved"


def test_lifecycle_table_governs_removal_and_reuse(harness: Harness) -> None:
    assert not allowed("active", "removed") and allowed("deprecated", "removed")
    assert TRANSITIONS["removed"] == frozenset()
    service = harness.service
    assert _publish_one(harness, _attribute("shop.cart.id")) == "1.1.0"
    with pytest.raises(Conflict, match="active to removed"):
        service.propose(AUTHOR, _change("removal", "shop.cart.id"))
    assert _publish_one(harness, _change("deprecation", "shop.cart.id", sunset="2027-01-01")
                        ) == "1.2.0"
    states = {e.name: e.state for e in service.deprecations(1000, None).items}
    assert states["shop.cart.id"] == "deprecated"
    later = dt.datetime(2027, 1, 2, tzinfo=dt.timezone.utc)
    assert {e.name: e.state for e in service.deprecations(1000, None, now=later).items}[
        "shop.cart.id"] == "sunset"
    removal = service.propose(AUTHOR, _change("removal", "shop.cart.id"))
    assert removal.lifecycle == {"from": "deprecated", "to": "removed"}
    service.review(OWNER_1, removal.id, APPROVE, None)
    try:
        published = service.publish(ADMIN, PublishIn())
    except Conflict as refused:
        # The compatibility mode may treat removing a contract as breaking.
        assert refused.extra.get("breaking"), refused
        return
    assert published.bump != "none"
    assert published.number == next_version("1.2.0", published.bump)
    assert "shop.cart.id" not in {a.key for a in service.snapshot_of(None).attributes}
    with pytest.raises(Conflict, match="removed"):
        service.propose(AUTHOR, _attribute("shop.cart.id"))


def test_invalid_fragments_are_refused_with_findings(harness: Harness) -> None:
    with pytest.raises(Invalid) as refused:
        harness.service.propose(AUTHOR, _attribute("shop.cart.id", "uuid"))
    assert refused.value.findings[0].code == "TC102"
    with pytest.raises(Invalid) as missing:
        harness.service.propose(AUTHOR, _change("deprecation", "shop.nothing"))
    assert missing.value.findings[0].code == "TC103"


def test_identical_content_is_stored_once_and_versions_are_unique(harness: Harness) -> None:
    service = harness.service
    _publish_one(harness, _attribute("shop.cart.id"))
    with service.database.read() as session:
        assert session.scalar(select(func.count()).select_from(Blob)) == 2
        numbers = list(session.scalars(select(Version.number).order_by(Version.id)))
    assert numbers == ["1.0.0", "1.1.0"]
    latest = service.versions.latest(fresh=True)
    snapshot = service.versions.snapshot(latest.number)
    assert snapshot.verify_hash(), "the stored hash is the snapshot's own content hash"


def test_pagination_walks_every_item_once(harness: Harness) -> None:
    service = harness.service
    everything = service.snapshot_of(None).attributes
    seen, cursor = [], None
    while True:
        page = service.attributes(None, prefix=None, stability=None, deprecated=None, limit=97,
                                  cursor=cursor)
        seen += [a.key for a in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [a.key for a in everything]
    http = service.attributes(None, prefix="http.", stability="stable", deprecated=False,
                              limit=1000, cursor=None)
    assert http.items and all(a.key.startswith("http.") and a.stability == "stable"
                              for a in http.items)


def test_concurrent_reviews_without_if_match_all_count(make_harness: Callable[..., Harness]
                                                       ) -> None:
    service = make_harness(required_approvals=8).service
    proposal = service.propose(AUTHOR, _attribute("shop.cart.id"))
    reviewers = [Principal(f"owner{i}", "reviewer", ("shop",)) for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        reviews = list(pool.map(lambda r: service.review(r, proposal.id, APPROVE, None),
                                reviewers))
    assert len({review.reviewer for review in reviews}) == 8
    final = service.proposal(proposal.id)
    assert final.status == "approved" and final.approvals == 8
    assert final.revision == 1 + 8, "every review is one revision; none was lost"


def test_proposals_are_validated_again_when_another_replica_published(
        make_harness: Callable[..., Harness]) -> None:
    here, elsewhere = make_harness(), make_harness()  # two replicas over one database
    assert _publish_one(elsewhere, _attribute("shop.cart.id")) == "1.1.0"
    last_known = here.service.versions.last_known()
    assert last_known is not None and last_known.number == "1.0.0"
    # Validated first against 1.0.0, where the key is new; the write sees 1.1.0 and it is
    # validated again against that.
    proposal = here.service.propose(AUTHOR, _attribute("shop.cart.id", "int"))
    assert proposal.base_version == "1.1.0"
    assert proposal.lifecycle == {"from": "active", "to": "active"}
    # Through HTTP, the same race is settled inside the request.
    assert _publish_one(elsewhere, _attribute("shop.order.id")) == "1.2.0"
    here.token("alice", "contributor")
    answer = here.client.post("/v1/proposals", headers=here.auth("alice"), json={
        "change": {"kind": "attribute", "attribute": {
            "key": "shop.order.id", "type": "int", "brief": "An order.",
            "stability": "development"}}})
    assert answer.status_code == 201, answer.text
    assert answer.json()["base_version"] == "1.2.0"
    assert answer.json()["lifecycle"]["from"] == "active"


def test_a_replica_reads_the_latest_version_again_once_per_interval(
        make_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(versions_module, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    reader, publisher = make_harness(), make_harness()
    versions = reader.service.versions
    interval = reader.service.settings.snapshot_revalidate_seconds
    first = versions.latest(fresh=True)
    published = _publish_one(publisher, _attribute("shop.cart.id"))
    assert versions.cached_latest() == first, "trusted for the interval"
    clock[0] += interval
    assert versions.cached_latest() is None, "then one caller reads it again"
    assert [versions.cached_latest() for _ in range(3)] == [first] * 3, \
        "meanwhile the others get the version read before"
    clock[0] += interval
    assert versions.cached_latest() is None, "a read that never landed is asked for again"
    assert versions.latest().number == published
    latest = versions.cached_latest()
    assert latest is not None and latest.number == published
