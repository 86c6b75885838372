"""Hostile and careless callers: forged usage, bad strings and cursors, large bodies, quotas,
HTTP edge cases. Every answer is a 4xx that says why, never a 5xx, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from telemetry_contracts.registry.service import proposals as proposals_module
from telemetry_contracts.registry.service import queries
from telemetry_contracts.registry.service.auth import create_token
from telemetry_contracts.registry.service.usage import MAX_COUNT, day_number
from telemetry_contracts.registry.store.tables import UsageEmitter, UsageRow
from tests.registry.conftest import Harness

DEPRECATED = "db.client.connections.usage"
"""A deprecated metric of the semconv baseline the registry is seeded with."""
NUL = "a\x00b"
CURSORS = ["OTk5OTk5OTk5OTk5OTk5OTk5OTk", "wrI"]


def _report(service: str = "svc", end: str = "2026-01-01T00:01:00Z",
            **count: Any) -> dict[str, Any]:
    return {"service": service, "window_start": "2026-01-01T00:00:00Z", "window_end": end,
            "counts": [{"signal": "metric", "name": DEPRECATED, "action": "pass", "count": 1,
                        **count}]}


def _attribute(key: str, title: str = "", brief: str = "An attribute.") -> dict[str, Any]:
    return {"change": {"kind": "attribute", "title": title, "attribute": {
        "key": key, "type": "string", "brief": brief, "stability": "development"}}}


def _metric(name: str, refs: list[str]) -> dict[str, Any]:
    return {"change": {"kind": "metric", "metric": {
        "name": name, "instrument": "counter", "unit": "{request}", "brief": "Requests.",
        "stability": "development", "attributes": [{"ref": ref} for ref in refs]}}}


def _deprecation_entry(harness: Harness) -> dict[str, Any]:
    answer = harness.client.get("/v1/reports/deprecations", headers=harness.auth("viewer"),
                                params={"prefix": DEPRECATED, "limit": 10})
    assert answer.status_code == 200, answer.text
    return {e["name"]: e for e in answer.json()["items"]}[DEPRECATED]


@pytest.fixture
def hostile(harness: Harness) -> Iterator[Harness]:
    """The harness with a client that answers server errors rather than raising them."""
    for name, role in (("guard", "contributor"), ("viewer", "viewer"), ("root", "admin"),
                       ("owner", "reviewer")):
        harness.token(name, role, ("shop",) if role == "reviewer" else ())
    client = type(harness.client)(harness.client.app, raise_server_exceptions=False)
    plain = harness.client
    harness.client = client
    yield harness
    harness.client = plain
    client.close()


# -- forged usage (defect 3) --------------------------------------------------------------
def test_usage_counts_are_bounded_and_sums_never_overflow(hostile: Harness) -> None:
    for forged in (10**25, 2**62):
        answer = hostile.client.post("/v1/usage", json=_report(count=forged),
                                     headers=hostile.auth("guard"))
        assert answer.status_code == 422, answer.text
    # Rows stored before counts were bounded: their sum is over 2**63.
    seen = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    today = str(day_number(seen.date()))

    def forged_rows(session: Session) -> None:
        for service in ("svc", "other", "third"):
            session.add(UsageEmitter(name=DEPRECATED, service=service, count=MAX_COUNT,
                                     last_seen=seen, days=f'{{"{today}":{MAX_COUNT}}}'))

    hostile.service.database.write(forged_rows)
    end = (seen + dt.timedelta(seconds=1)).isoformat()
    answer = hostile.client.post("/v1/usage", json=_report(end=end, count=5),
                                 headers=hostile.auth("guard"))
    assert answer.status_code == 202, answer.text
    report = hostile.client.get("/v1/reports/deprecations", headers=hostile.auth("viewer"),
                                params={"prefix": DEPRECATED}).json()
    entry = {e["name"]: e for e in report["items"]}[DEPRECATED]
    assert [(e["service"], e["count"], e["daily"][-1]) for e in entry["emitters"]] == [
        (service, MAX_COUNT, MAX_COUNT) for service in ("other", "svc", "third")]
    assert entry["emitters"][1]["last_seen"] == end.replace("+00:00", "Z")
    assert entry["window_count"] == entry["daily"][-1] == report["burn_down"][-1] == MAX_COUNT


def test_usage_rows_add_up_per_name_action_and_rule(hostile: Harness) -> None:
    counts = [{"signal": "span", "name": "http.route", "action": "drop", "rule": "TC801",
               "count": 3},
              {"signal": "metric", "name": "http.route", "metric": "shop.requests",
               "action": "pass", "count": 5},
              {"signal": "span", "name": "http.route", "action": "drop", "rule": "TC801",
               "count": 4}]
    for end in ("2026-01-01T00:01:00Z", "2026-01-01T00:05:00Z"):
        report = {**_report(end=end), "counts": counts}
        answer = hostile.client.post("/v1/usage", json=report, headers=hostile.auth("guard"))
        assert answer.status_code == 202 and answer.json()["counts"] == 2
    with hostile.service.database.read() as session:
        rows = {(r.signal, r.name, r.metric, r.action, r.rule): (r.count, r.first_seen.minute,
                                                                r.last_seen.minute)
                for r in session.query(UsageRow).filter(UsageRow.service == "svc")}
    assert rows == {("span", "http.route", "", "drop", "TC801"): (14, 1, 5),
                    ("metric", "http.route", "shop.requests", "pass", ""): (10, 1, 5)}


def test_days_before_the_window_are_dropped_and_the_totals_kept(hostile: Harness) -> None:
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    for end, count in ((now - dt.timedelta(days=40), 5), (now, 7), (now, 1)):
        answer = hostile.client.post("/v1/usage", json=_report(end=end.isoformat(), count=count),
                                     headers=hostile.auth("guard"))
        assert answer.status_code == 202, answer.text
    (emitter,) = _deprecation_entry(hostile)["emitters"]
    assert (emitter["count"], emitter["daily"][-1], sum(emitter["daily"])) == (13, 8, 8)
    with hostile.service.database.read() as session:
        (days,) = session.scalars(select(UsageEmitter.days))
    assert json.loads(days) == {str(day_number(now.date())): 8}, "the day 40 days back is gone"


def test_usage_windows_in_the_future_are_clamped_to_server_time(hostile: Harness) -> None:
    answer = hostile.client.post("/v1/usage", json=_report(end="9999-12-31T00:00:00Z"),
                                 headers=hostile.auth("guard"))
    assert answer.status_code == 202, answer.text
    last_seen = dt.datetime.fromisoformat(
        _deprecation_entry(hostile)["last_seen"].replace("Z", "+00:00"))  # 3.10 reads no Z
    assert last_seen <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=6)
    report = hostile.client.get("/v1/reports/deprecations", headers=hostile.auth("viewer"),
                                params={"prefix": DEPRECATED, "safe_to_remove": "yes"})
    assert DEPRECATED not in {e["name"] for e in report.json()["items"]}, "seen now, not safe"


def test_a_token_bound_to_services_reports_for_them_alone(hostile: Harness) -> None:
    _, secret = create_token(hostile.service.database, role="contributor", name="checkout-guard",
                             namespaces=[], actor="test", services=["checkout"])
    bound = {"Authorization": f"Bearer {secret}"}
    refused = hostile.client.post("/v1/usage", json=_report("payments"), headers=bound)
    assert refused.status_code == 403 and "checkout" in refused.json()["detail"]
    assert hostile.client.post("/v1/usage", json=_report("checkout"),
                               headers=bound).status_code == 202
    made = hostile.client.post("/v1/tokens", headers=hostile.auth("root"), json={
        "name": "cart-guard", "role": "contributor", "services": ["cart"]})
    assert made.status_code == 201 and made.json()["services"] == ["cart"]


# -- bad strings and cursors (defects 4 and 5) ----------------------------------------------
@pytest.mark.parametrize("end", ["2025-12-31T23:59:00Z", "2025-12-31T23:59:00",
                                 "2026-01-01T00:59:00+01:00"])
def test_a_usage_window_that_ends_before_it_starts_is_refused(hostile: Harness,
                                                              end: str) -> None:
    """A time without a UTC offset is in UTC; 00:59 at +01:00 is before 00:00 UTC."""
    answer = hostile.client.post("/v1/usage", json=_report(end=end),
                                 headers=hostile.auth("guard"))
    assert answer.status_code == 422, answer.text
    assert "is before window_start" in answer.text
    assert _deprecation_entry(hostile)["emitters"] == []
    naive = hostile.client.post("/v1/usage", json=_report(end="2026-01-01T00:01:00"),
                                headers=hostile.auth("guard"))
    assert naive.status_code == 202, naive.text


def test_ordinary_bad_input_is_refused_with_4xx(hostile: Harness) -> None:
    client, root = hostile.client, hostile.auth("root")
    created = client.post("/v1/proposals", json=_attribute("shop.cart.id"), headers=root)
    assert created.status_code == 201, created.text
    proposal = created.json()["id"]
    long_name = "shop." + "x" * 300
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/v1/proposals", {"params": {"subject_prefix": NUL}}),
        ("GET", "/v1/audit", {"params": {"actor": NUL}}),
        ("GET", "/v1/audit", {"params": {"action": NUL}}),
        ("POST", f"/v1/proposals/{proposal}/reviews",
         {"json": {"decision": "request_changes", "comment": NUL}}),
        ("POST", "/v1/proposals", {"json": _attribute("shop.cart.size", title=NUL)}),
        ("POST", "/v1/proposals", {"json": _attribute(long_name)}),
        ("POST", "/v1/proposals", {"json": {"change": {"kind": "deprecation",
                                                       "name": long_name}}}),
        ("POST", "/v1/tokens", {"json": {"name": NUL, "role": "viewer"}}),
        ("POST", "/v1/usage", {"json": _report(NUL)}),
        ("POST", "/v1/usage", {"json": _report(name=NUL)}),
        ("POST", "/v1/usage", {"json": _report(rule="TC8" + "0" * 20)}),
        ("POST", "/v1/usage", {"json": _report(rule=NUL)}),
        ("POST", "/v1/usage", {"json": _report(metric=NUL)}),
        ("POST", "/v1/usage", {"json": _report(renamed_to=NUL)}),
        ("POST", "/v1/usage", {"json": {**_report(), "snapshot_hash": NUL}}),
        ("POST", "/v1/usage", {"json": {**_report(), "instance": NUL}}),
        ("POST", "/v1/versions", {"json": {"note": NUL}}),
    ]
    for path in ("/v1/proposals", "/v1/versions", "/v1/audit", "/v1/tokens",
                 f"/v1/proposals/{proposal}/reviews"):
        requests += [("GET", path, {"params": {"cursor": cursor}}) for cursor in CURSORS]
    for method, path, options in requests:
        answer = client.request(method, path, headers=root, **options)
        assert 400 <= answer.status_code < 500, (method, path, options, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    names = {p["subject"] for p in client.get("/v1/proposals", headers=root).json()["items"]}
    assert names == {"shop.cart.id"}, "nothing refused was stored"


def test_one_bad_proposal_fails_alone(hostile: Harness) -> None:
    def propose(index: int) -> tuple[bool, int]:
        bad = index % 4 == 0
        body = (_attribute(f"shop.c{index}.id", title=NUL) if index % 8 == 0
                else _attribute(f"shop.c{index}." + "x" * 300) if bad
                else _attribute(f"shop.c{index}.id"))
        answer = hostile.client.post("/v1/proposals", json=body, headers=hostile.auth("guard"))
        return bad, answer.status_code

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(propose, range(48)))
    assert {status for bad, status in results if not bad} == {201}
    assert {status for bad, status in results if bad} == {422}


# -- memory (defects 7 and 8) ---------------------------------------------------------------
def test_a_list_of_large_proposals_is_cut_by_bytes(hostile: Harness,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "PAGE_BYTES", 20_000)
    for index in range(10):
        answer = hostile.client.post("/v1/proposals", headers=hostile.auth("guard"),
                                     json=_attribute(f"shop.big{index}.id", brief="b" * 5000))
        assert answer.status_code == 201, answer.text
    seen: list[int] = []
    cursor = None
    while True:
        page = hostile.client.get("/v1/proposals", headers=hostile.auth("viewer"), params={
            "limit": 1000, **({"cursor": cursor} if cursor else {})}).json()
        assert 1 <= len(page["items"]) <= 4, "about 20 kB a page"
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 10


def test_an_author_holds_a_bounded_number_and_size_of_open_proposals(
        make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(max_open_proposals=3, max_proposal_bytes=12_000)
    harness.token("guard", "contributor")
    statuses = [harness.client.post("/v1/proposals", headers=harness.auth("guard"),
                                    json=_attribute(f"shop.q{index}.id")).status_code
                for index in range(4)]
    assert statuses == [201, 201, 201, 409]
    first = harness.client.get("/v1/proposals", headers=harness.auth("guard")).json()["items"][0]
    harness.client.post(f"/v1/proposals/{first['id']}/withdraw", headers=harness.auth("guard"))
    too_big = harness.client.post("/v1/proposals", headers=harness.auth("guard"),
                                  json=_attribute("shop.q9.id", brief="b" * 12_000))
    assert too_big.status_code == 409 and "bytes" in too_big.json()["detail"]
    assert harness.client.post("/v1/proposals", headers=harness.auth("guard"),
                               json=_attribute("shop.q9.id")).status_code == 201


class _Cycle:
    """Garbage only the cyclic collector frees."""

    def __init__(self) -> None:
        self.me = self


def test_filling_the_snapshot_cache_freezes_no_garbage(hostile: Harness) -> None:
    created = hostile.client.post("/v1/proposals", json=_attribute("shop.cart.id"),
                                  headers=hostile.auth("guard")).json()
    hostile.client.post(f"/v1/proposals/{created['id']}/reviews", json={"decision": "approve"},
                        headers=hostile.auth("owner"))
    assert hostile.client.post("/v1/versions", json={},
                               headers=hostile.auth("root")).status_code == 201
    frozen_before = gc.get_freeze_count()
    # Garbage of a request in flight elsewhere, old enough to sit in the oldest generation.
    garbage = _Cycle()
    gone = weakref.ref(garbage)
    gc.collect()
    del garbage
    versions = hostile.service.versions
    versions._snapshots.clear()
    versions._indexes.clear()
    versions.index("1.0.0")  # a cache fill
    versions.snapshot("1.1.0")
    gc.collect()
    try:
        assert gone() is None, "the garbage was frozen out of the collector's reach"
        assert gc.get_freeze_count() == frozen_before
    finally:
        gc.unfreeze()


# -- large valid proposals (defect 10) ------------------------------------------------------
def test_repeated_and_excessive_refs_are_refused_with_a_finding(hostile: Harness) -> None:
    headers = hostile.auth("guard")
    repeated = hostile.client.post("/v1/proposals", headers=headers, json=_metric(
        "shop.requests", ["http.request.method"] * 3 + ["url.scheme"]))
    assert repeated.status_code == 422
    finding = repeated.json()["findings"][0]
    assert finding["code"] == "TC104" and "`http.request.method`" in finding["message"]
    excessive = hostile.client.post("/v1/proposals", headers=headers, json=_metric(
        "shop.requests", ["http.request.method"] * 30_000))
    assert excessive.status_code == 422
    assert "at most 2000 list items" in excessive.json()["findings"][0]["message"]
    members = [{"id": f"m{index}", "value": f"v{index}", "brief": "A member.",
                "stability": "development"} for index in range(3000)]
    many_members = hostile.client.post("/v1/proposals", headers=headers, json={"change": {
        "kind": "attribute", "attribute": {"key": "shop.mode", "type": {"members": members},
                                           "brief": "A mode.", "stability": "development"}}})
    assert many_members.status_code == 422
    assert "at most 2000 list items" in many_members.json()["findings"][0]["message"]
    fine = hostile.client.post("/v1/proposals", headers=headers, json=_metric(
        "shop.requests", ["http.request.method", "url.scheme"]))
    assert fine.status_code == 201, fine.text


def test_proposals_are_validated_off_the_event_loop(hostile: Harness,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    on_a_loop: list[bool] = []
    check = proposals_module.check_change

    def watched(*arguments: Any, **options: Any) -> Any:
        try:
            asyncio.get_running_loop()
            on_a_loop.append(True)
        except RuntimeError:
            on_a_loop.append(False)
        return check(*arguments, **options)

    monkeypatch.setattr(proposals_module, "check_change", watched)
    for body in (_attribute("shop.cart.id"), _metric("shop.requests", ["url.scheme"])):
        answer = hostile.client.post("/v1/proposals", json=body, headers=hostile.auth("guard"))
        assert answer.status_code == 201, answer.text
    assert on_a_loop == [False, False], "validated on a worker thread, not the event loop"


# -- HTTP edge cases (defect 12) ------------------------------------------------------------
def test_a_chunked_body_over_the_limit_is_413(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(max_body_bytes=10_000)
    harness.token("guard", "contributor")

    def chunks() -> Iterator[bytes]:
        yield b'{"change": {"kind": "attribute", "title": "'
        for _ in range(20):
            yield b"x" * 1000
        yield b'"}}'

    for path in ("/v1/proposals", "/v1/usage"):
        answer = harness.client.post(path, content=chunks(), headers={
            **harness.auth("guard"), "Content-Type": "application/json"})
        assert answer.status_code == 413, path
    assert answer.headers["content-type"] == "application/problem+json"


def test_405_lists_every_allowed_method(hostile: Harness) -> None:
    answer = hostile.client.delete("/v1/proposals", headers=hostile.auth("root"))
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"


def test_anonymous_callers_hear_401_before_anything_about_their_request(
        hostile: Harness) -> None:
    for path in ("/v1/proposals", "/v1/usage", "/v1/tokens", "/v1/proposals/1/reviews"):
        for options in ({"content": b"{not json",
                         "headers": {"Content-Type": "application/json"}},
                        {"json": {}}, {"json": _attribute("shop.cart.id")}):
            answer = hostile.client.post(path, **options)  # type: ignore[arg-type]
            assert answer.status_code == 401, (path, answer.text)
            assert answer.headers["www-authenticate"] == "Bearer"
    unknown = hostile.client.post("/v1/usage", json={},
                                  headers={"Authorization": "Bearer tc_unknown"})
    assert unknown.status_code == 401
    assert hostile.client.get("/v1/proposals", params={"limit": 0}).status_code == 401
    assert hostile.client.post("/v1/proposals", json={},
                               headers=hostile.auth("guard")).status_code == 422


def test_docs_are_off_unless_asked_for(make_harness: Callable[..., Harness]) -> None:
    assert make_harness().client.get("/docs").status_code == 404
    page = make_harness(api_docs=True).client.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()


@pytest.mark.parametrize(("access", "anonymous", "viewer"),
                         [("viewer", 401, 200), ("public", 200, 200), ("admin", 401, 403),
                          ("off", 404, 404)])
def test_metrics_visibility_is_configurable(make_harness: Callable[..., Harness], access: str,
                                            anonymous: int, viewer: int) -> None:
    harness = make_harness(metrics_access=access)
    harness.token("viewer", "viewer")
    assert harness.client.get("/metrics").status_code == anonymous
    assert harness.client.get("/metrics", headers=harness.auth("viewer")).status_code == viewer
