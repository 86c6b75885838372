"""The ``serve`` and ``token create`` commands, the ops endpoints and the import boundary."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from telemetry_contracts.registry.store.database import Database
from tests.ci.conftest import git
from tests.registry.server_process import ServerProcess

CLI = "from telemetry_contracts.ci.cli import main; main()"


def _cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TELEMETRY_CONTRACTS")}
    return subprocess.run([sys.executable, "-c", CLI, *arguments], cwd=cwd, text=True,
                          capture_output=True, timeout=120, env=environment)


def test_serve_without_a_database_uses_a_seeded_sqlite_file(tmp_path: Path) -> None:
    made = _cli("token", "create", "--role", "admin", "--name", "ops", "--create", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("tc_") and "admin" in made.stderr
    assert (tmp_path / "telemetry-contracts.db").exists()
    server = ServerProcess(None, tmp_path / "server.log", cwd=tmp_path)
    try:
        health = httpx.get(server.url + "/healthz").json()
        assert health == {"status": "ok", "version": "1.0.0"}
        snapshot = httpx.get(server.url + "/v1/snapshot",
                             headers={"Authorization": f"Bearer {secret}"})
        assert snapshot.status_code == 200
        assert len(snapshot.json()["attributes"]) > 500, "seeded with the semconv baseline"
        assert httpx.get(server.url + "/v1/snapshot").status_code == 401
        proposal = httpx.post(server.url + "/v1/proposals", headers={
            "Authorization": f"Bearer {secret}"}, json={"change": {
                "kind": "attribute", "attribute": {"key": "ops.cli.check", "type": "string",
                                                   "brief": "Checked.",
                                                   "stability": "development"}}})
        assert proposal.status_code == 201, proposal.text
        assert httpx.get(server.url + "/metrics").status_code == 401
        metrics = httpx.get(server.url + "/metrics",
                            headers={"Authorization": f"Bearer {secret}"}).text
        assert 'route="/v1/proposals",status="201"} 1' in metrics
        assert 'route="/v1/snapshot",status="200"} 1' in metrics
        assert 'route="/v1/snapshot",status="401"} 1' in metrics
        assert 'route="/metrics",status="401"} 1' in metrics
        assert "telemetry_contracts_http_request_duration_seconds_bucket" in metrics
    finally:
        server.stop()


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and b"spawn_main" in command:
            children.append(int(stat.parent.name))
    return children


def test_serve_with_workers_runs_processes_that_share_the_store_and_the_options(
        tmp_path: Path) -> None:
    tokens = {}
    for role in ("contributor", "admin"):
        made = _cli("token", "create", "--role", role, "--create", cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        tokens[role] = {"Authorization": f"Bearer {made.stdout.strip()}"}
    server = ServerProcess(None, tmp_path / "server.log", "--workers", "2", "--approvals", "2",
                           cwd=tmp_path)
    try:
        assert len(_children(server.process.pid)) == 2
        change = {"change": {"kind": "attribute", "attribute": {
            "key": "app.workers.mode", "type": "string", "brief": "A mode.",
            "stability": "development"}}}
        created = httpx.post(server.url + "/v1/proposals", json=change,
                             headers=tokens["contributor"])
        assert created.status_code == 201, created.text
        proposal = created.json()["id"]
        review = httpx.post(f"{server.url}/v1/proposals/{proposal}/reviews",
                            json={"decision": "approve"}, headers=tokens["admin"])
        assert review.status_code == 201, review.text
        for _ in range(6):  # fresh connections, answered by either process
            read = httpx.get(f"{server.url}/v1/proposals/{proposal}", headers=tokens["admin"])
            assert read.status_code == 200
            assert (read.json()["approvals"], read.json()["status"]) == (1, "open"), \
                "--approvals 2 holds in every process"
    finally:
        server.stop()


def test_token_create_refuses_an_unknown_role(tmp_path: Path) -> None:
    refused = _cli("token", "create", "--role", "owner", cwd=tmp_path)
    assert refused.returncode == 2 and "owner" in refused.stderr


def test_token_create_refuses_names_no_column_holds(tmp_path: Path) -> None:
    for option in ("--name", "--namespace", "--service"):
        refused = _cli("token", "create", "--role", "viewer", option, "x" * 300, "--create",
                       cwd=tmp_path)
        assert refused.returncode == 2 and "255" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr


def test_cli_and_registry_loading_do_not_import_the_server_stack() -> None:
    probe = ("import sys, telemetry_contracts.ci.cli, telemetry_contracts.resolution.loader; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "{'fastapi', 'starlette', 'sqlalchemy', 'alembic', 'uvicorn', 'psycopg'}))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_token_create_binds_a_token_to_services(tmp_path: Path) -> None:
    made = _cli("token", "create", "--create", "--role", "contributor", "--name", "guard",
                "--service",
                "checkout", "--service", "cart", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    from telemetry_contracts.registry.service.auth import Authenticator

    database = Database(f"sqlite:///{tmp_path / 'telemetry-contracts.db'}")
    try:
        authenticator = Authenticator(database, open_reads=False)
        caller = authenticator.authenticate(f"Bearer {made.stdout.strip()}", "contributor")
    finally:
        database.dispose()
    assert caller.services == ("cart", "checkout")
    assert caller.reports_for("cart") and not caller.reports_for("payments")


def test_serving_processes_collect_garbage_seldom(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    from telemetry_contracts.registry import server
    from telemetry_contracts.registry.service.settings import Settings

    seen = []
    monkeypatch.setattr(server.uvicorn, "run", lambda *_, **__: seen.append(gc.get_threshold()))
    monkeypatch.setattr(server, "create_app", lambda settings: settings)
    monkeypatch.setenv("TELEMETRY_CONTRACTS_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        server.serve(Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}"))
        assert seen == [server.COLLECTOR_THRESHOLDS]
        gc.set_threshold(700, 10, 10)
        server.app_from_env()  # each of the worker processes
        assert gc.get_threshold() == server.COLLECTOR_THRESHOLDS
    finally:
        gc.set_threshold(*before)


def test_serve_and_token_refuse_to_make_a_store_silently(tmp_path: Path) -> None:
    where = tmp_path.resolve() / "telemetry-contracts.db"
    for command in (("token", "create", "--role", "admin"), ("token", "list"), ("serve",)):
        refused = _cli(*command, cwd=tmp_path)
        assert refused.returncode == 2, refused.stderr
        assert f"no registry store at {where}" in refused.stderr and "--create" in refused.stderr
        assert not where.exists()
    made = _cli("token", "create", "--role", "admin", "--name", "ops", "--create", cwd=tmp_path)
    assert made.returncode == 0 and where.exists(), made.stderr


def test_token_list_and_revoke(tmp_path: Path) -> None:
    made = _cli("token", "create", "--create", "--role", "reviewer", "--name", "owners",
                "--namespace", "payments.", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    listed = _cli("token", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.splitlines()
    token_id, role, name, namespaces, services, _, state = line.split("\t")
    assert (role, name, namespaces, services, state) == ("reviewer", "owners", "payments", "-",
                                                         "active")
    assert made.stdout.strip() not in listed.stdout, "secrets are never listed"
    assert _cli("token", "revoke", token_id, cwd=tmp_path).returncode == 0
    assert _cli("token", "list", cwd=tmp_path).stdout.split("\t")[-1].startswith("revoked")
    missing = _cli("token", "revoke", "999", cwd=tmp_path)
    assert missing.returncode == 2 and "no token 999" in missing.stderr


def test_serve_seeds_a_new_store_from_a_registry(tmp_path: Path) -> None:
    registry = tmp_path / "shop"
    registry.mkdir()
    (registry / "shop.yaml").write_text(
        "file_format: definition/2\nattributes:\n  - key: shop.cart.items\n    type: int\n"
        "    brief: Items in the cart.\n    stability: stable\n    examples: [3]\n")
    made = _cli("token", "create", "--create", "--role", "admin", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    server = ServerProcess(None, tmp_path / "server.log", "--seed", str(registry), cwd=tmp_path)
    try:
        snapshot = httpx.get(server.url + "/v1/snapshot", headers={
            "Authorization": f"Bearer {made.stdout.strip()}"}).json()
    finally:
        server.stop()
    assert snapshot["version"] == "1.0.0"
    assert [a["key"] for a in snapshot["attributes"]] == ["shop.cart.items"]
    bad = _cli("serve", "--seed", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert bad.returncode == 2 and "nowhere" in bad.stderr and "Traceback" not in bad.stderr


def test_serve_seeds_a_new_store_from_a_git_revision(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    contracts = repository / "telemetry" / "shop.yaml"
    contracts.parent.mkdir(parents=True)
    contracts.write_text(
        "file_format: definition/2\nattributes:\n  - key: shop.cart.items\n    type: int\n"
        "    brief: Items in the cart.\n    stability: stable\n    examples: [3]\n"
        "  - key: shop.cart.coupon\n    type: string\n    brief: The coupon applied.\n"
        "    stability: development\n    examples: [SPRING]\n")
    git(repository, "init", "-q")
    git(repository, "add", ".")
    git(repository, "-c", "user.name=CI", "-c", "user.email=ci@example.com", "commit", "-qm",
        "contracts")
    contracts.write_text("not: [a registry")  # the working tree is not what is read
    made = _cli("token", "create", "--create", "--role", "viewer", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    database = f"sqlite:///{tmp_path / 'telemetry-contracts.db'}"
    server = ServerProcess(database, tmp_path / "server.log", "--seed", "git:HEAD:telemetry",
                           cwd=repository)
    try:
        auth = {"Authorization": f"Bearer {made.stdout.strip()}"}
        snapshot = httpx.get(server.url + "/v1/snapshot", headers=auth).json()
        item = httpx.get(server.url + "/v1/attributes/shop.cart.coupon", headers=auth)
    finally:
        server.stop()
    assert snapshot["version"] == "1.0.0"
    assert [a["key"] for a in snapshot["attributes"]] == ["shop.cart.coupon", "shop.cart.items"]
    assert item.status_code == 200, item.text
    assert (item.json()["type"], item.json()["stability"]) == ("string", "development")
    bad = _cli("serve", "--database", database, "--seed", "git:no-such-revision:telemetry",
               cwd=repository)
    assert bad.returncode == 2 and "no-such-revision" in bad.stderr
    assert "Traceback" not in bad.stderr
