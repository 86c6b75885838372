"""Role-aware review, the proposal diff and honest deprecation reports, through HTTP on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx

from telemetry_contracts.ci.diff import run_diff
from tests.registry.conftest import Harness

DEPRECATED = "az.namespace"
"""Deprecated in the baseline, renamed to ``azure.resource_provider.namespace``."""


def _metric(name: str) -> dict[str, Any]:
    return {"change": {"kind": "metric", "title": f"add {name}", "metric": {
        "name": name, "instrument": "histogram", "unit": "s", "brief": "Checkout time.",
        "stability": "development", "attributes": [{"ref": "error.type"}]}}}


def _people(harness: Harness) -> None:
    harness.token("alice", "contributor")
    harness.token("bob", "reviewer", ("payments.",))
    harness.token("carol", "reviewer", ("shipping",))
    harness.token("root", "admin")
    harness.token("guard", "contributor")


def _get(harness: Harness, who: str, path: str, **params: Any) -> Any:
    answer = harness.client.get(path, params=params, headers=harness.auth(who))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _post(harness: Harness, who: str, path: str, body: dict[str, Any], status: int = 201) -> Any:
    answer = harness.client.post(path, json=body, headers=harness.auth(who))
    assert answer.status_code == status, answer.text
    return answer.json()


def test_list_and_item_agree_and_offer_what_each_caller_may_do(harness: Harness) -> None:
    _people(harness)
    proposal = _post(harness, "alice", "/v1/proposals", _metric("payments.checkout.duration"))
    pid = proposal["id"]
    assert proposal["allowed_actions"] == ["edit", "withdraw"]
    assert _get(harness, "bob", "/v1/me") == {
        "name": "bob", "role": "reviewer", "namespaces": ["payments"], "services": [],
        "token_id": _get(harness, "bob", "/v1/me")["token_id"], "anonymous": False}

    def seen_by(who: str) -> tuple[dict[str, Any], dict[str, Any]]:
        item = _get(harness, who, f"/v1/proposals/{pid}")
        (listed,) = [p for p in _get(harness, who, "/v1/proposals")["items"] if p["id"] == pid]
        assert listed == item, "the list and the item say the same"
        return item, listed

    assert seen_by("bob")[0]["allowed_actions"] == ["approve", "request_changes", "reject"]
    assert seen_by("carol")[0]["allowed_actions"] == []
    assert seen_by("alice")[0]["allowed_actions"] == ["edit", "withdraw"]
    assert seen_by("root")[0]["allowed_actions"] == ["approve", "request_changes", "reject",
                                                     "edit", "withdraw"]
    _post(harness, "bob", f"/v1/proposals/{pid}/reviews", {"decision": "approve"})
    item, listed = seen_by("bob")
    assert item["status"] == "approved" and item["approvals"] == listed["approvals"] == 1
    assert item["allowed_actions"] == ["request_changes", "reject"], "no second approve"
    assert seen_by("root")[0]["allowed_actions"][-1] == "publish"
    _post(harness, "root", "/v1/versions", {})
    item, listed = seen_by("root")
    assert item["status"] == "published" and listed["approvals"] == 1
    assert item["allowed_actions"] == []


def test_a_second_open_proposal_on_a_subject_is_flagged(harness: Harness) -> None:
    _people(harness)
    first = _post(harness, "alice", "/v1/proposals", _metric("payments.refund.duration"))
    assert first["same_subject"] == []
    second = _post(harness, "root", "/v1/proposals", _metric("payments.refund.duration"))
    assert second["same_subject"] == [first["id"]]
    assert _get(harness, "bob", f"/v1/proposals/{first['id']}")["same_subject"] == [second["id"]]
    harness.client.post(f"/v1/proposals/{second['id']}/withdraw", headers=harness.auth("root"))
    assert _get(harness, "bob", f"/v1/proposals/{first['id']}")["same_subject"] == []


def _classes(changes: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {(c["change"]["kind"], c["change"]["subject"], c["change"].get("field"),
             c["compatibility"], c["bump"]) for c in changes}


def _cli_classes(harness: Harness, tmp_path: Path, old: str, new: str) -> set[tuple[Any, ...]]:
    """The classes ``telemetry-contracts diff`` finds between two published versions."""
    files = []
    for number in (old, new):
        path = tmp_path / f"{number}.json"
        path.write_text(harness.client.get(f"/v1/versions/{number}/snapshot",
                                           headers=harness.auth("alice")).text)
        files.append(str(path))
    result = run_diff(files[0], files[1], "BACKWARD")
    return {(c.kind, c.subject, c.field, "breaking" if c.breaks("BACKWARD") else "compatible",
             c.bump()) for c in result.diff.changes}


def test_the_proposal_diff_classifies_as_the_diff_command(harness: Harness,
                                                          tmp_path: Path) -> None:
    _people(harness)
    added = _post(harness, "alice", "/v1/proposals", _metric("payments.checkout.duration"))
    diff = _get(harness, "bob", f"/v1/proposals/{added['id']}/diff")
    assert diff["against_version"] == "1.0.0" and diff["bump"] == "minor"
    assert [c["description"] for c in diff["changes"]] == [
        "metric `payments.checkout.duration` added"]
    _post(harness, "bob", f"/v1/proposals/{added['id']}/reviews", {"decision": "approve"})
    _post(harness, "root", "/v1/versions", {})
    assert _classes(diff["changes"]) == _cli_classes(harness, tmp_path, "1.0.0", "1.1.0")
    published = _get(harness, "bob", f"/v1/proposals/{added['id']}/diff")
    assert published["against_version"] == "1.0.0" and published["changes"] == diff["changes"]

    deprecation = _post(harness, "alice", "/v1/proposals", {"change": {
        "kind": "deprecation", "name": "payments.checkout.duration",
        "renamed_to": "http.server.request.duration", "note": "Use the HTTP metric."}})
    diff = _get(harness, "bob", f"/v1/proposals/{deprecation['id']}/diff")
    assert diff["against_version"] == "1.1.0" and diff["changes"]
    _post(harness, "bob", f"/v1/proposals/{deprecation['id']}/reviews", {"decision": "approve"})
    _post(harness, "root", "/v1/versions", {})
    assert _classes(diff["changes"]) == _cli_classes(harness, tmp_path, "1.1.0", "1.2.0")
    assert harness.client.get("/v1/proposals/999/diff",
                              headers=harness.auth("bob")).status_code == 404


def _report(harness: Harness, service: str, start: dt.datetime, end: dt.datetime,
            counts: dict[str, int]) -> None:
    _post(harness, "guard", "/v1/usage", {
        "service": service, "window_start": start.isoformat(), "window_end": end.isoformat(),
        "counts": [{"signal": "span", "name": name, "action": "pass", "count": count}
                   for name, count in counts.items()]}, status=202)


def _verdicts(harness: Harness) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    report = _get(harness, "alice", "/v1/reports/deprecations", limit=1000)
    assert report["next_cursor"] is None
    return report, {entry["name"]: entry for entry in report["items"]}


def test_safe_to_remove_is_unknown_no_then_yes(harness: Harness) -> None:
    _people(harness)
    report, entries = _verdicts(harness)
    assert len(entries) > 50 and report["reporting_services"] == 0
    assert {e["safe_to_remove"] for e in entries.values()} == {"unknown"}, "nobody reported"
    assert len(report["days"]) == report["window_days"] + 1 == len(report["burn_down"])

    now = dt.datetime.now(dt.timezone.utc)
    _report(harness, "checkout", now - dt.timedelta(minutes=1), now, {"http.route": 5})
    _report(harness, "billing", now - dt.timedelta(minutes=1), now, {DEPRECATED: 1234})
    report, entries = _verdicts(harness)
    assert entries[DEPRECATED]["safe_to_remove"] == "no"
    quiet = {name for name, entry in entries.items() if name != DEPRECATED}
    assert {entries[name]["safe_to_remove"] for name in quiet} == {"unknown"}, \
        "a minute of reports says nothing about the window"
    (emitter,) = entries[DEPRECATED]["emitters"]
    assert emitter["service"] == "billing" and emitter["count"] == 1234
    assert emitter["daily"][-1] == 1234 and sum(emitter["daily"]) == 1234
    assert entries[DEPRECATED]["window_count"] == 1234
    assert report["burn_down"][-1] == 1234 and report["days"][-1] == now.date().isoformat()
    assert (report["reporting_services"], report["covering_services"]) == (2, 0)

    # Both services' reports now reach back over the whole window.
    for service in ("checkout", "billing"):
        _report(harness, service, now - dt.timedelta(days=31), now, {"http.route": 1})
    report, entries = _verdicts(harness)
    assert (report["reporting_services"], report["covering_services"]) == (2, 2)
    assert entries[DEPRECATED]["safe_to_remove"] == "no"
    assert {entries[name]["safe_to_remove"] for name in quiet} == {"yes"}
    only_no = _get(harness, "alice", "/v1/reports/deprecations", safe_to_remove="no")
    assert [e["name"] for e in only_no["items"]] == [DEPRECATED]

    # A new service that has reported for a day leaves nobody sure again.
    _report(harness, "search", now - dt.timedelta(days=1), now, {"http.route": 1})
    _, entries = _verdicts(harness)
    assert {entries[name]["safe_to_remove"] for name in quiet} == {"unknown"}


def test_unknown_names_and_service_versions_come_from_real_guards(
        database_url: str, tmp_path: Path) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from telemetry_contracts.registry.service.auth import create_token
    from telemetry_contracts.registry.store.database import Database
    from telemetry_contracts.sdk_guard import Guard
    from tests.registry.server_process import ServerProcess

    server = ServerProcess(database_url, tmp_path / "server.log")
    database = Database(database_url)
    try:
        secrets = {name: create_token(database, role=role, name=name, namespaces=[],
                                      actor="test")[1]
                   for name, role in (("guard", "contributor"), ("root", "admin"))}
        guards = []
        for service in ("checkout", "billing"):
            guard = Guard.from_url(server.url, token=secrets["guard"], service_name=service,
                                   poll_interval=3600, cache_dir=tmp_path / service)
            assert guard.wait_until_ready(30)
            provider = TracerProvider()
            provider.add_span_processor(guard.span_processor(
                SimpleSpanProcessor(InMemorySpanExporter())))
            tracer = provider.get_tracer("test")
            for _ in range(3 if service == "checkout" else 1):
                with tracer.start_as_current_span("op", attributes={
                        f"{service}.cart.secret_sauce": 1, DEPRECATED: "Microsoft.Web"}):
                    pass
            assert guard.force_flush()
            guards.append(guard)
        auth = {"Authorization": f"Bearer {secrets['root']}"}
        contributor = {"Authorization": f"Bearer {secrets['guard']}"}
        unknown = {(i["service"], i["name"]): i for i in httpx_get(
            server.url + "/v1/reports/unknown", auth)["items"]}
        assert set(unknown) == {("checkout", "checkout.cart.secret_sauce"),
                                ("billing", "billing.cart.secret_sauce")}
        assert unknown["checkout", "checkout.cart.secret_sauce"]["count"] == 3
        assert unknown["checkout", "checkout.cart.secret_sauce"]["rule"] == "TC802"
        services = {i["service"]: i for i in httpx_get(server.url + "/v1/reports/services",
                                                      auth)["items"]}
        assert set(services) == {"checkout", "billing"}
        assert {(s["version"], s["versions_behind"], s["latest_version"])
                for s in services.values()} == {("1.0.0", 0, "1.0.0")}
        entry = httpx_get(server.url + "/v1/reports/deprecations", auth,
                          prefix=DEPRECATED)["items"][0]
        assert entry["safe_to_remove"] == "no"
        assert {(e["service"], e["count"]) for e in entry["emitters"]} == {("checkout", 3),
                                                                            ("billing", 1)}

        # The unknown attribute is registered and published; the guards (polling hourly) still
        # enforce 1.0.0.
        made = httpx.post(server.url + "/v1/proposals", headers=contributor, json={"change": {
            "kind": "attribute", "title": "sauce", "attribute": {
                "key": "checkout.cart.secret_sauce", "type": "int", "brief": "Sauce.",
                "stability": "development"}}}, timeout=30)
        assert made.status_code == 201, made.text
        approved = httpx.post(f"{server.url}/v1/proposals/{made.json()['id']}/reviews",
                              headers=auth, json={"decision": "approve"}, timeout=30)
        assert approved.status_code == 201, approved.text
        published = httpx.post(f"{server.url}/v1/versions", headers=auth, json={}, timeout=30)
        assert published.status_code == 201, published.text
        services = {i["service"]: i for i in httpx_get(server.url + "/v1/reports/services",
                                                      auth)["items"]}
        assert {(s["version"], s["versions_behind"], s["latest_version"])
                for s in services.values()} == {("1.0.0", 1, "1.1.0")}
        names = {(i["service"], i["name"]) for i in httpx_get(
            server.url + "/v1/reports/unknown", auth)["items"]}
        assert names == {("billing", "billing.cart.secret_sauce")}, "registered since"
        for guard in guards:
            guard.shutdown()
    finally:
        database.dispose()
        server.stop()


def httpx_get(url: str, headers: dict[str, str], **params: Any) -> Any:
    answer = httpx.get(url, headers=headers, params=params, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()

