"""Every mutating (and admin) route times every role, plus missing and wrong tokens."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from telemetry_contracts.registry.service.auth import ROLES
from tests.registry.conftest import Harness

ROUTES: list[tuple[str, str, str, dict[str, object] | None]] = [
    # method, path, least role, body
    ("POST", "/v1/proposals", "contributor", {"change": {"kind": "removal", "name": "no.such"}}),
    ("PUT", "/v1/proposals/999999", "contributor",
     {"change": {"kind": "removal", "name": "no.such"}}),
    ("POST", "/v1/proposals/999999/withdraw", "contributor", None),
    ("POST", "/v1/proposals/999999/reviews", "reviewer", {"decision": "approve"}),
    ("POST", "/v1/versions", "admin", {"proposals": [999999]}),
    ("POST", "/v1/usage", "contributor", {"service": "s", "window_start": "2026-01-01T00:00:00Z",
                                          "window_end": "2026-01-01T00:01:00Z", "counts": []}),
    ("POST", "/v1/tokens", "admin", {"name": "x", "role": "viewer"}),
    ("DELETE", "/v1/tokens/999999", "admin", None),
    ("GET", "/v1/tokens", "admin", None),
    ("GET", "/v1/audit", "admin", None),
]
READS = ["/v1/snapshot", "/v1/attributes", "/v1/metrics", "/v1/versions", "/v1/proposals",
         "/v1/reports/deprecations", "/v1/attributes/error.type"]


def _call(harness: Harness, method: str, path: str, body: object,
          headers: dict[str, str]) -> int:
    return harness.client.request(method, path, json=body, headers=headers).status_code


@pytest.mark.parametrize("open_reads", [False, True], ids=["closed-reads", "open-reads"])
def test_authorization_matrix(make_harness: Callable[..., Harness], open_reads: bool) -> None:
    harness = make_harness(open_reads=open_reads)
    for role in ROLES:
        harness.token(role, role)
    harness.token("revoked", "admin")
    revoked_id = harness.client.get("/v1/tokens", headers=harness.auth("admin")).json()[
        "items"][-1]["id"]
    assert harness.client.delete(f"/v1/tokens/{revoked_id}",
                                 headers=harness.auth("admin")).status_code == 204
    failures = []
    for method, path, least, body in ROUTES:
        wrong = {"missing": {}, "garbage": {"Authorization": "Bearer tc_not-a-token"},
                 "scheme": {"Authorization": f"Basic {harness.tokens['admin']}"},
                 "revoked": harness.auth("revoked")}
        for label, headers in wrong.items():
            status = _call(harness, method, path, body, headers)
            if status != 401:
                failures.append(f"{method} {path} {label}: {status}, expected 401")
        for role in ROLES:
            status = _call(harness, method, path, body, harness.auth(role))
            allowed = ROLES.index(role) >= ROLES.index(least)
            if (allowed and status in (401, 403)) or (not allowed and status != 403):
                failures.append(f"{method} {path} as {role}: {status}, "
                                f"expected {'not 401/403' if allowed else 403}")
    for path in READS:
        status = harness.client.get(path).status_code
        if status != (200 if open_reads else 401):
            failures.append(f"GET {path} anonymous: {status}")
        if harness.client.get(path, headers=harness.auth("viewer")).status_code != 200:
            failures.append(f"GET {path} as viewer failed")
    assert not failures, "\n".join(failures)


def test_problem_answers_carry_the_problem_media_type(harness: Harness) -> None:
    unauthenticated = harness.client.post("/v1/proposals", json={})
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["content-type"] == "application/problem+json"
    assert unauthenticated.headers["www-authenticate"] == "Bearer"
    harness.token("admin", "admin")
    too_large = harness.client.post("/v1/usage", content=b"{" + b" " * (1024 * 1024 + 1),
                                    headers={**harness.auth("admin"),
                                             "content-type": "application/json"})
    assert too_large.status_code == 413
    assert too_large.headers["content-type"] == "application/problem+json"
    unknown = harness.client.get("/v1/metrics/no.such.metric", headers=harness.auth("admin"))
    assert unknown.status_code == 404 and unknown.json()["status"] == 404
    invalid = harness.client.post("/v1/proposals", json={"change": {"kind": "metric"}},
                                  headers=harness.auth("admin"))
    assert invalid.status_code == 422 and invalid.json()["findings"]
    assert invalid.json()["findings"][0]["message"].startswith("`body.change"), invalid.json()
    malformed = harness.client.post("/v1/proposals", content=b'{"change": ',
                                    headers={**harness.auth("admin"),
                                             "content-type": "application/json"})
    assert malformed.status_code == 422
    assert malformed.headers["content-type"] == "application/problem+json"
    assert "JSON" in malformed.json()["findings"][0]["message"], malformed.json()


def test_an_unexpected_failure_is_a_problem_too(harness: Harness,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    harness.token("viewer", "viewer")

    def broken(number: str) -> bytes:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(harness.service.versions, "snapshot_bytes", broken)
    client = type(harness.client)(harness.client.app, raise_server_exceptions=False)
    answer = client.get("/v1/snapshot", headers=harness.auth("viewer"))
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert "disk on fire" not in answer.text, "internals stay in the log"
