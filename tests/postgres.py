"""A real PostgreSQL server for the tests: initdb + pg_ctl as the ``postgres`` user on loopback.

Skips with a reason when the binaries are missing, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PG_BIN = Path(os.environ.get("TELEMETRY_CONTRACTS_PG_BIN", "/usr/lib/postgresql/15/bin"))
IN_CI = os.environ.get("CI", "").lower() == "true"


@dataclass(frozen=True)
class PostgresServer:
    """A running server: where it listens and how to reach its ``postgres`` superuser."""

    host: str
    port: int
    data_dir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{database}"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def _as_postgres(*command: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def missing_binaries() -> str | None:
    """Why a PostgreSQL server cannot be started here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL binaries not found in {PG_BIN}"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is needed to start PostgreSQL as the postgres user"
    return None


def start_postgres(*, durable: bool = False) -> PostgresServer:
    """initdb a data directory in a fresh temporary directory and start a server on loopback.

    Tests run it without flushing to disk; ``durable`` keeps PostgreSQL's defaults (fsync and
    synchronous commit on), as a deployment runs it.
    """
    root = Path(tempfile.mkdtemp(prefix="tc-postgres-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    root.chmod(0o700)
    port = _free_port()
    run: dict[str, Any] = {"check": True, "capture_output": True, "timeout": 120}
    subprocess.run(_as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust",
                                "-U", "postgres", "--no-sync", "-E", "UTF8"), **run)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options,
                                "-l", str(root / "server.log"), "-w", "-t", "60", "start"), **run)
    return PostgresServer("127.0.0.1", port, data)


def stop_postgres(server: PostgresServer) -> None:
    """Stop the server and remove its directory."""
    subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(server.data_dir), "-m",
                                "immediate", "-w", "stop"), check=False, capture_output=True,
                   timeout=60)
    shutil.rmtree(server.data_dir.parent, ignore_errors=True)


def create_database(server: PostgresServer, name: str, template: str | None = None) -> str:
    """Create an empty database, or a copy of ``template``; its SQLAlchemy URL."""
    import psycopg

    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(host=server.host, port=server.port, user="postgres", dbname="postgres",
                         autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"{copy}')
    return server.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start a throw-away PostgreSQL 15 server for the session; remove it afterwards."""
    reason = missing_binaries()
    if reason is not None:
        _unavailable(reason)
    server = start_postgres()
    try:
        yield server
    finally:
        stop_postgres(server)


@pytest.fixture(scope="session")
def postgres_database(postgres_server: PostgresServer) -> Callable[[], str]:
    """Make a fresh, empty database on the session's server; returns its SQLAlchemy URL."""
    counter = itertools.count()

    def create() -> str:
        return create_database(postgres_server, f"registry_{os.getpid()}_{next(counter)}")

    return create
