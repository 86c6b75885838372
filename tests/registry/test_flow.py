"""The whole review workflow through HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.registry.conftest import Harness

PROBLEM = "application/problem+json"


def _metric(name: str, attributes: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A proposal of one histogram in seconds."""
    return {"change": {"kind": "metric", "title": f"add {name}", "metric": {
        "name": name, "instrument": "histogram", "unit": "s", "brief": "Checkout time.",
        "stability": "development", "attributes": attributes,
        "annotations": {"owner": "team-payments"}, **extra}}}


def _all_deprecations(harness: Harness, who: str) -> list[dict[str, Any]]:
    entries, cursor = [], None
    while True:
        params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        page = harness.client.get("/v1/reports/deprecations", params=params,
                                  headers=harness.auth(who)).json()
        entries += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return entries


def test_propose_review_publish_deprecate_and_report(harness: Harness) -> None:
    client = harness.client
    harness.token("alice", "contributor")
    harness.token("bob", "reviewer", ("payments.",))
    harness.token("carol", "reviewer", ("shipping",))
    harness.token("root", "admin")
    harness.token("checkout-guard", "contributor")

    first = client.get("/v1/snapshot", headers=harness.auth("alice"))
    assert first.status_code == 200
    etag_seeded = first.headers["ETag"]
    assert first.json()["version"] == "1.0.0"

    # A metric that references an attribute nobody defined: refused with the finding.
    refused = client.post("/v1/proposals", headers=harness.auth("alice"),
                          json=_metric("payments.checkout.time", [{"ref": "payments.method"}]))
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM
    problem = refused.json()
    assert problem["status"] == 422
    assert [f["code"] for f in problem["findings"]] == ["TC103"]
    assert "payments.method" in problem["findings"][0]["message"]
    assert problem["findings"][0]["subject"] == "payments.checkout.time"

    # A name and unit that break the naming and unit rules: refused with the rules' findings.
    badly_named = _metric("payments.checkoutTime", [{"ref": "error.type"}])
    badly_named["change"]["metric"]["unit"] = "seconds"
    refused = client.post("/v1/proposals", headers=harness.auth("alice"), json=badly_named)
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    codes = {(f["code"], f["severity"]) for f in refused.json()["findings"]}
    assert ("TC201", "error") in codes and ("TC302", "warning") in codes

    # Fixed: a lower-case dotted name, a UCUM unit, an attribute the registry has.
    created = client.post("/v1/proposals", headers=harness.auth("alice"),
                          json=_metric("payments.checkout.time",
                                       [{"ref": "error.type", "requirement_level": "recommended"}]))
    assert created.status_code == 201, created.text
    proposal = created.json()
    assert proposal["status"] == "open" and proposal["lifecycle"] == {"from": "proposed",
                                                                      "to": "active"}
    assert created.headers["ETag"] == '"1"'
    assert isinstance(proposal["findings"], list)

    # An update with a stale If-Match is refused; with the current one it goes through.
    better = _metric("payments.checkout.time", [{"ref": "error.type"}],
                     note="From click to confirmation.")
    stale = client.put(f"/v1/proposals/{proposal['id']}", json=better,
                       headers={**harness.auth("alice"), "If-Match": '"7"'})
    assert stale.status_code == 412 and stale.headers["content-type"] == PROBLEM
    updated = client.put(f"/v1/proposals/{proposal['id']}", json=better,
                         headers={**harness.auth("alice"), "If-Match": created.headers["ETag"]})
    assert updated.status_code == 200 and updated.json()["revision"] == 2

    second = client.post("/v1/proposals", headers=harness.auth("alice"),
                         json=_metric("payments.checkout.duration", [{"ref": "error.type"}]))
    assert second.status_code == 201

    # Only owners of `payments` (or admins) decide; nobody approves their own proposal.
    review = {"decision": "approve", "comment": "looks right"}
    assert client.post(f"/v1/proposals/{proposal['id']}/reviews", json=review,
                       headers=harness.auth("carol")).status_code == 403
    own = client.post("/v1/proposals", headers=harness.auth("bob"),
                      json=_metric("payments.refund.time", [{"ref": "error.type"}]))
    assert own.status_code == 201
    assert client.post(f"/v1/proposals/{own.json()['id']}/reviews", json=review,
                       headers=harness.auth("bob")).status_code == 403
    assert client.post(f"/v1/proposals/{own.json()['id']}/withdraw",
                       headers=harness.auth("bob")).json()["status"] == "withdrawn"
    for proposal_id in (proposal["id"], second.json()["id"]):
        approved = client.post(f"/v1/proposals/{proposal_id}/reviews", json=review,
                               headers={**harness.auth("bob"), "If-Match": '"2"'
                                        if proposal_id == proposal["id"] else '"1"'})
        assert approved.status_code == 201, approved.text
        assert client.get(f"/v1/proposals/{proposal_id}",
                          headers=harness.auth("alice")).json()["status"] == "approved"

    # Reviewers cannot publish; the admin publishes version 1.1.0.
    assert client.post("/v1/versions", json={}, headers=harness.auth("bob")).status_code == 403
    published = client.post("/v1/versions", json={"note": "checkout metrics"},
                            headers=harness.auth("root"))
    assert published.status_code == 201, published.text
    version = published.json()
    assert version["number"] == "1.1.0" and version["bump"] == "minor"
    assert sorted(version["proposals"]) == sorted([proposal["id"], second.json()["id"]])

    # The snapshot's ETag changes; the old one no longer answers 304, the new one does.
    after = client.get("/v1/snapshot",
                       headers={**harness.auth("alice"), "If-None-Match": etag_seeded})
    assert after.status_code == 200
    assert after.headers["ETag"] != etag_seeded
    assert after.json()["version"] == "1.1.0"
    assert after.headers["ETag"] == f'"{after.json()["content_hash"]}"'
    assert "payments.checkout.time" in {m["name"] for m in after.json()["metrics"]}
    assert client.get("/v1/snapshot", headers={**harness.auth("alice"),
                                               "If-None-Match": after.headers["ETag"]}
                      ).status_code == 304
    metric = client.get("/v1/metrics/payments.checkout.time", headers=harness.auth("alice"))
    assert metric.json()["note"] == "From click to confirmation."

    # Deprecate one metric in favour of the other, with a sunset date: a minor version.
    deprecation = client.post("/v1/proposals", headers=harness.auth("alice"), json={"change": {
        "kind": "deprecation", "name": "payments.checkout.time",
        "renamed_to": "payments.checkout.duration", "sunset": "2027-06-30",
        "note": "Use payments.checkout.duration."}})
    assert deprecation.status_code == 201, deprecation.text
    assert deprecation.json()["lifecycle"] == {"from": "active", "to": "deprecated"}
    assert client.post(f"/v1/proposals/{deprecation.json()['id']}/reviews", json=review,
                       headers=harness.auth("bob")).status_code == 201
    minor = client.post("/v1/versions", json={}, headers=harness.auth("root"))
    assert minor.status_code == 201, minor.text
    assert minor.json()["number"] == "1.2.0" and minor.json()["bump"] == "minor"
    deprecated = client.get("/v1/metrics/payments.checkout.time", headers=harness.auth("alice"))
    assert deprecated.json()["deprecated"]["renamed_to"] == "payments.checkout.duration"

    # Guards report usage; the deprecation report shows who still emits the old name.
    now = dt.datetime.now(dt.timezone.utc)
    for service, name, action, count in (("checkout-api", "payments.checkout.time", "rename", 40),
                                         ("checkout-api", "payments.checkout.time", "rename", 2),
                                         ("billing", "payments.checkout.duration", "pass", 7)):
        report = {"format": "telemetry-contracts/usage/1", "service": service,
                  "window_start": (now - dt.timedelta(minutes=1)).isoformat(),
                  "window_end": now.isoformat(),
                  "counts": [{"signal": "metric", "name": name, "action": action, "count": count,
                              **({"rule": "TC803", "renamed_to": "payments.checkout.duration"}
                                 if action == "rename" else {})}]}
        accepted = client.post("/v1/usage", json=report, headers=harness.auth("checkout-guard"))
        assert accepted.status_code == 202, accepted.text
    entries = {entry["name"]: entry for entry in _all_deprecations(harness, "alice")}
    entry = entries["payments.checkout.time"]
    assert entry["renamed_to"] == "payments.checkout.duration"
    assert entry["sunset"] == "2027-06-30"
    assert entry["state"] == "deprecated"
    assert [(e["service"], e["count"]) for e in entry["emitters"]] == [("checkout-api", 42)]
    assert entry["safe_to_remove"] == "no"
    assert "payments.checkout.duration" not in entries
    quiet = [e for e in entries.values() if not e["emitters"]]
    # Their reports cover a minute of the 30-day window: nobody can say yet that nobody emits.
    assert quiet and all(e["safe_to_remove"] == "unknown" for e in quiet)
    still_used = client.get("/v1/reports/deprecations", params={"safe_to_remove": "no"},
                            headers=harness.auth("alice")).json()
    assert [e["name"] for e in still_used["items"]] == ["payments.checkout.time"]
    by_prefix = client.get("/v1/reports/deprecations", params={"prefix": "payments."},
                           headers=harness.auth("alice")).json()
    assert [e["name"] for e in by_prefix["items"]] == ["payments.checkout.time"]
    unknown = client.get("/v1/reports/deprecations",
                         params={"safe_to_remove": "unknown", "limit": 1000},
                         headers=harness.auth("alice")).json()
    assert {e["name"] for e in unknown["items"]} == {e["name"] for e in quiet}

    # Every change is in the audit log, with who did it.
    audit = client.get("/v1/audit", params={"limit": 1000}, headers=harness.auth("root")).json()
    actions = [(item["actor"], item["action"]) for item in audit["items"]]
    assert ("alice", "proposal.create") in actions and ("bob", "review.approve") in actions
    assert ("root", "version.publish") in actions and ("bob", "proposal.withdraw") in actions
    versions = client.get("/v1/versions", headers=harness.auth("alice")).json()["items"]
    assert [v["number"] for v in versions] == ["1.0.0", "1.1.0", "1.2.0"]
    diff = client.get("/v1/diff", params={"from": "1.1.0", "to": "1.2.0"},
                      headers=harness.auth("alice"))
    assert diff.status_code == 200 and diff.json()["bump"] == "minor"
