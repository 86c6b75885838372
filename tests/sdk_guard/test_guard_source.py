"""Snapshot sources against a real HTTP server on loopback: ETag, disk copy, hot reload,
an unreachable or misbehaving registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from guard_pipelines import Spans
from registry_server import RegistryServer

from telemetry_contracts.net import atomic_write
from telemetry_contracts.schemas.model import Attribute
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.sdk_guard import Guard
from telemetry_contracts.sdk_guard.source import RegistrySource


@pytest.fixture
def server(snapshot: Snapshot) -> Iterator[RegistryServer]:
    server = RegistryServer(snapshot.to_json_bytes())
    yield server
    server.close()


def remote_guard(server: RegistryServer, cache: Path) -> Guard:
    return Guard.from_url(
        server.url, cache_dir=cache, poll_interval=3600, report_usage=False, environ={}
    )


def test_first_fetch_installs_and_caches(
    server: RegistryServer, tmp_path: Path, snapshot: Snapshot
) -> None:
    guard = remote_guard(server, tmp_path)
    source = guard.source
    assert isinstance(source, RegistrySource)
    assert source.wait_first_fetch(10)
    assert guard.snapshot_hash == snapshot.content_hash
    assert source.cache_file.read_bytes() == snapshot.to_json_bytes()
    assert source.etag_file.read_text() == '"v1"'
    assert dict(Spans(guard).emit({"junk": 1}).attributes) == {}
    guard.shutdown()


def test_unchanged_snapshot_answers_304(server: RegistryServer, tmp_path: Path) -> None:
    guard = remote_guard(server, tmp_path)
    source = guard.source
    assert isinstance(source, RegistrySource)
    source.wait_first_fetch(10)
    assert source.poll_once() is False
    method, path, headers = server.requests[-1]
    assert (method, path, headers.get("If-None-Match")) == ("GET", "/v1/snapshot", '"v1"')
    assert guard.reloads == 1
    guard.shutdown()


def test_new_version_is_hot_reloaded(
    server: RegistryServer, tmp_path: Path, snapshot: Snapshot
) -> None:
    guard = remote_guard(server, tmp_path)
    source = guard.source
    assert isinstance(source, RegistrySource)
    source.wait_first_fetch(10)
    spans = Spans(guard)
    assert dict(spans.emit({"shop.new": 1}).attributes) == {}
    newer = Snapshot.build(
        registry=snapshot.registry,
        version="1.1.0",
        attributes=[*snapshot.attributes, Attribute(key="shop.new", type="int")],
        metrics=snapshot.metrics,
    )
    server.snapshot, server.etag = newer.to_json_bytes(), '"v2"'
    assert source.poll_once() is True
    assert guard.snapshot_hash == newer.content_hash
    assert dict(spans.emit({"shop.new": 1}).attributes) == {"shop.new": 1}
    guard.shutdown()


def test_starts_from_the_disk_copy_without_the_network(tmp_path: Path, snapshot: Snapshot) -> None:
    source = RegistrySource("http://127.0.0.1:9", cache_dir=tmp_path)
    atomic_write(source.cache_file, snapshot.to_json_bytes())
    guard = Guard.from_url(
        "http://127.0.0.1:9", cache_dir=tmp_path, poll_interval=3600, report_usage=False, environ={}
    )
    # installed synchronously from disk, before any fetch could have finished
    assert guard.snapshot_hash == snapshot.content_hash
    assert guard.source.wait_first_fetch(10)  # type: ignore[union-attr]
    assert guard.snapshot_hash == snapshot.content_hash  # unreachable: kept
    assert guard.source.failures == 1  # type: ignore[union-attr]
    guard.shutdown()


def test_fail_closed_until_the_first_fetch(tmp_path: Path) -> None:
    # no disk copy and the registry unreachable: which values are sensitive is unknown
    guard = Guard.from_url(
        "http://127.0.0.1:9", cache_dir=tmp_path, poll_interval=3600, report_usage=False, environ={}
    )
    assert guard.policy.waiting
    assert dict(Spans(guard).emit({"junk": 1}).attributes) == {"junk": "[redacted]"}
    guard.shutdown()
    dropping = Guard.from_url(
        "http://127.0.0.1:9", cache_dir=tmp_path, poll_interval=3600, report_usage=False,
        environ={"TELEMETRY_CONTRACTS_ON_ERROR": "drop"},
    )
    assert dict(Spans(dropping).emit({"junk": 1}).attributes) == {}
    dropping.shutdown()
    reporting = Guard.from_url(
        "http://127.0.0.1:9", cache_dir=tmp_path, poll_interval=3600, report_usage=False,
        environ={"TELEMETRY_CONTRACTS_MODE": "report"},
    )
    assert reporting.policy.permissive  # report mode changes nothing
    assert dict(Spans(reporting).emit({"junk": 1}).attributes) == {"junk": 1}
    reporting.shutdown()


@pytest.mark.parametrize("failure", ["status", "junk", "down"])
def test_bad_answers_keep_the_last_good_policy(
    server: RegistryServer, tmp_path: Path, snapshot: Snapshot, failure: str
) -> None:
    guard = remote_guard(server, tmp_path)
    source = guard.source
    assert isinstance(source, RegistrySource)
    source.wait_first_fetch(10)
    server.etag = '"v2"'
    if failure == "status":
        server.status = 503
    elif failure == "junk":
        server.snapshot = b"<html>not json</html>"
    else:
        server.close()
    assert source.poll_once() is False
    assert guard.snapshot_hash == snapshot.content_hash
    assert source.cache_file.read_bytes() == snapshot.to_json_bytes()
    assert source.last_error
    guard.shutdown()


def test_corrupt_disk_copy_is_ignored(
    server: RegistryServer, tmp_path: Path, snapshot: Snapshot
) -> None:
    source = RegistrySource(server.url, cache_dir=tmp_path)
    atomic_write(source.cache_file, b"{truncated")
    guard = remote_guard(server, tmp_path)
    guard.source.wait_first_fetch(10)  # type: ignore[union-attr]
    assert guard.snapshot_hash == snapshot.content_hash
    guard.shutdown()


def test_from_env_picks_file_or_url(
    snapshot_file: Path, snapshot: Snapshot, tmp_path: Path
) -> None:
    assert Guard.from_env({}) is None
    guard = Guard.from_env(
        {"TELEMETRY_CONTRACTS_REGISTRY": str(snapshot_file), "TELEMETRY_CONTRACTS_MODE": "report"}
    )
    assert guard is not None
    assert guard.snapshot_hash == snapshot.content_hash
    assert guard.config.mode == "report"
    remote = Guard.from_env(
        {
            "TELEMETRY_CONTRACTS_REGISTRY": "http://127.0.0.1:9",
            "TELEMETRY_CONTRACTS_CACHE_DIR": str(tmp_path),
        }
    )
    assert isinstance(remote.source, RegistrySource)  # type: ignore[union-attr]
    remote.shutdown()  # type: ignore[union-attr]


def test_wait_until_ready_is_bounded_and_reports_readiness(tmp_path: Path) -> None:
    guard = Guard.from_url(
        "http://127.0.0.1:9", cache_dir=tmp_path, poll_interval=3600, report_usage=False, environ={}
    )
    assert guard.wait_until_ready(10) is False  # the registry is unreachable: still waiting
    guard.shutdown()
    assert Guard.from_snapshot(
        {"attributes": [], "metrics": []}, environ={}
    ).wait_until_ready(0) is True


def test_wait_until_ready_returns_once_the_registry_answered(
    server: RegistryServer, tmp_path: Path, snapshot: Snapshot
) -> None:
    guard = remote_guard(server, tmp_path)
    assert guard.wait_until_ready(10) is True
    assert guard.snapshot_hash == snapshot.content_hash
    assert dict(Spans(guard).emit({"junk": 1}).attributes) == {}
    guard.shutdown()
