"""Concurrency and crash safety against a real server process on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import func, select

from telemetry_contracts.registry.service.auth import Principal, create_token
from telemetry_contracts.registry.service.models import ProposalIn, ReviewIn
from telemetry_contracts.registry.service.registry import RegistryService
from telemetry_contracts.registry.service.settings import Settings
from telemetry_contracts.registry.service.usage import day_number
from telemetry_contracts.registry.store.tables import Blob, Head, Proposal, UsageEmitter, Version
from telemetry_contracts.schemas.usage import UsageReport
from tests.registry.server_process import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
CLIENTS = 32


def _attribute(key: str, brief: str = "Load attribute.") -> dict[str, object]:
    return {"change": {"kind": "attribute", "attribute": {
        "key": key, "type": "string", "brief": brief, "stability": "development"}}}


@pytest.fixture
def pg_service(postgres_database: Callable[[], str], baseline: object
               ) -> tuple[str, RegistryService, dict[str, str]]:
    url = postgres_database()
    service = RegistryService(Settings(database_url=url), seed=baseline)  # type: ignore[arg-type]
    tokens = {}
    for name, role, namespaces in (("author", "contributor", []), ("owner", "reviewer", ["load"]),
                                   ("root", "admin", [])):
        tokens[name] = create_token(service.database, role=role, name=name,  # type: ignore[arg-type]
                                    namespaces=namespaces, actor="test")[1]
    return url, service, tokens


def _headers(tokens: dict[str, str], who: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who]}", **extra}


def test_32_clients_propose_and_publish_without_losing_anything(
    pg_service: tuple[str, RegistryService, dict[str, str]], tmp_path: Path
) -> None:
    url, service, tokens = pg_service
    server = ServerProcess(url, tmp_path / "server.log")
    try:
        def one_client(index: int) -> tuple[int, str]:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                created = client.post("/v1/proposals", json=_attribute(f"load.c{index}.key"),
                                      headers=_headers(tokens, "author"))
                assert created.status_code == 201, created.text
                proposal_id = created.json()["id"]
                approved = client.post(f"/v1/proposals/{proposal_id}/reviews",
                                       json={"decision": "approve"},
                                       headers=_headers(tokens, "owner"))
                assert approved.status_code == 201, approved.text
                published = client.post("/v1/versions", json={"proposals": [proposal_id]},
                                        headers=_headers(tokens, "root"))
                assert published.status_code == 201, published.text
                return proposal_id, published.json()["number"]

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(one_client, range(CLIENTS)))
        numbers = [number for _, number in results]
        assert len(set(numbers)) == CLIENTS, "two publishes got the same version number"
        assert sorted(numbers, key=lambda n: int(n.split(".")[1])) == [
            f"1.{minor}.0" for minor in range(1, CLIENTS + 1)]
        latest = httpx.get(server.url + "/v1/snapshot", headers=_headers(tokens, "root")).json()
        keys = {a["key"] for a in latest["attributes"]}
        assert {f"load.c{i}.key" for i in range(CLIENTS)} <= keys, "a publish lost an update"

        # 32 writers race on one proposal with If-Match: each success is exactly one revision.
        shared = httpx.post(server.url + "/v1/proposals", json=_attribute("load.shared"),
                            headers=_headers(tokens, "author")).json()

        def racer(index: int) -> int:
            return httpx.put(f"{server.url}/v1/proposals/{shared['id']}",
                             json=_attribute("load.shared", f"Version {index}."),
                             headers=_headers(tokens, "author", **{"If-Match": '"1"'}),
                             timeout=60).status_code

        with ThreadPoolExecutor(CLIENTS) as pool:
            statuses = list(pool.map(racer, range(CLIENTS)))
        assert statuses.count(200) == 1 and statuses.count(412) == CLIENTS - 1
        final = httpx.get(f"{server.url}/v1/proposals/{shared['id']}",
                          headers=_headers(tokens, "root")).json()
        assert final["revision"] == 2
    finally:
        server.stop()
        service.close()


class TransactionWatch:
    """Sees, from outside, whether a publish holds the head row's lock (is mid-transaction)."""

    def __init__(self, url: str) -> None:
        self.connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                                          autocommit=True)

    def in_transaction(self) -> bool:
        row = self.connection.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = 'registry_head'::regclass"
            " AND mode = 'RowShareLock' AND pid <> pg_backend_pid()").fetchone()
        return bool(row and row[0])

    def close(self) -> None:
        self.connection.close()


def _consistent(service: RegistryService) -> tuple[int, int]:
    """Every version has its blob, the head points at the newest, published proposals match."""
    with service.database.read() as session:
        versions = list(session.scalars(select(Version).order_by(Version.id)))
        blobs = set(session.scalars(select(Blob.body_hash)))
        head = session.get(Head, 1)
        assert head is not None and head.version_id == versions[-1].id
        assert all(v.body_hash in blobs for v in versions)
        published = {v.number for v in versions[1:]}
        by_version = set(session.scalars(select(Proposal.published_version).where(
            Proposal.published_version.is_not(None))))
        assert by_version == published
        approved = session.scalar(select(func.count()).select_from(Proposal).where(
            Proposal.status == "approved")) or 0
    return len(versions), approved


def test_concurrent_usage_reports_of_one_service_lose_no_count(
        pg_service: tuple[str, RegistryService, dict[str, str]]) -> None:
    _, service, _ = pg_service
    guard = Principal(name="guard", role="contributor")
    now = dt.datetime.now(dt.timezone.utc)
    expected: dict[str, int] = defaultdict(int)
    reports = []
    for number in range(160):
        # Overlapping names, some new to the store; rows of usage_counts of their own.
        counts = [{"signal": "metric", "name": f"load.metric{(number * 3 + i) % 60}",
                   "action": ("pass", "drop", "rename")[number % 3], "count": 1 + (number + i) % 7}
                  for i in range(20)]
        for count in counts:
            expected[str(count["name"])] += int(str(count["count"]))
        reports.append(UsageReport.model_validate({
            "service": "checkout", "window_start": now - dt.timedelta(minutes=1),
            "window_end": now, "counts": counts}))
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(lambda report: service.ingest_usage(guard, report), reports))
    with service.database.read() as session:
        stored = {row.name: (row.count, json.loads(row.days))
                  for row in session.scalars(select(UsageEmitter))}
    today = str(day_number(now.date()))
    assert stored == {name: (total, {today: total}) for name, total in expected.items()}


def test_a_server_killed_mid_publish_leaves_no_partial_version(
    pg_service: tuple[str, RegistryService, dict[str, str]], tmp_path: Path
) -> None:
    url, service, tokens = pg_service
    for index in range(150):
        body = ProposalIn.model_validate(_attribute(f"load.k{index}.key"))
        proposal = service.propose(Principal("author", "contributor"), body)
        service.review(Principal("owner", "reviewer", ("load",)), proposal.id,
                       ReviewIn(decision="approve"), None)
    killed_before_commit = 0
    watch = TransactionWatch(url)
    try:
        for delay in (0.0, 0.2):
            versions_before, approved_before = _consistent(service)
            server = ServerProcess(url, tmp_path / "server.log")
            with httpx.Client(base_url=server.url, timeout=60) as client:
                request = client.build_request("POST", "/v1/versions", json={},
                                               headers=_headers(tokens, "root"))
                with ThreadPoolExecutor(1) as pool:
                    pending = pool.submit(client.send, request)
                    deadline = time.monotonic() + 30
                    while not watch.in_transaction() and time.monotonic() < deadline:
                        pass
                    time.sleep(delay)
                    server.kill()
                    try:
                        answered = pending.result().status_code
                    except httpx.HTTPError:
                        answered = None  # killed before it answered

            deadline = time.monotonic() + 10
            while watch.in_transaction() and time.monotonic() < deadline:
                time.sleep(0.01)  # PostgreSQL notices the closed connection and rolls back
            versions_after, approved_after = _consistent(service)
            if versions_after == versions_before:
                assert answered is None, "an answered publish is stored"
                killed_before_commit += 1
                assert approved_after == approved_before
            else:
                assert versions_after == versions_before + 1 and approved_after == 0
                break
        assert killed_before_commit >= 1, "no kill landed inside the publish transaction"
        server = ServerProcess(url, tmp_path / "server.log")
        try:
            if approved_after:
                published = httpx.post(server.url + "/v1/versions", json={}, timeout=120,
                                       headers=_headers(tokens, "root"))
                assert published.status_code == 201, published.text
                assert published.json()["number"] == "1.1.0"
            _consistent(service)
        finally:
            server.stop()
    finally:
        watch.close()
        service.close()
