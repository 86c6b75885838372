"""The guard against a registry that drips its answers one byte at a time (real loopback
servers): every request ends within its deadline, polling goes on afterwards, ``shutdown`` and
``force_flush`` keep their timeouts, and an unreachable registry with no disk copy is said."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.loopback_servers import Seen, dripping_server, recording_server

from telemetry_contracts.net import atomic_write
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.sdk_guard import Accounting, CountKey, Guard, UsageReporter
from telemetry_contracts.sdk_guard.source import RegistrySource

# Far beyond every timeout these tests pass, far below "for ever": only a hang trips it.
HANG = 30.0


def returns(call: Callable[[], object]) -> bool:
    """Whether ``call`` returns before :data:`HANG` seconds (it keeps running if not)."""
    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(HANG)
    return not thread.is_alive()


def test_polling_goes_on_after_a_dripping_answer(tmp_path: Path, snapshot: Snapshot) -> None:
    installed = threading.Event()
    with dripping_server(interval=0.2, drips=1, then=snapshot.to_json_bytes()) as (url, accepted):
        source = RegistrySource(url, cache_dir=tmp_path, poll_interval=0.1, timeout=1.0)
        source.start(lambda data: installed.set())
        try:
            assert installed.wait(HANG), f"no snapshot after {len(accepted)} connections"
        finally:
            source.stop(HANG)
    assert source.failures >= 1
    assert source.cache_file.read_bytes() == snapshot.to_json_bytes()


def test_a_dripping_fetch_fails_at_its_deadline(tmp_path: Path) -> None:
    with dripping_server(interval=0.2) as (url, _):
        source = RegistrySource(url, cache_dir=tmp_path, timeout=0.5)
        assert returns(source.poll_once)
    assert source.failures == 1
    assert "within the deadline" in (source.last_error or "")


def reporter_with_a_count(url: str) -> UsageReporter:
    accounting = Accounting()
    accounting.add(CountKey(signal="span", name="shop.debug.blob", rule="TC802", action="drop"))
    return UsageReporter(accounting, url, service="shop", interval=3600, timeout=HANG)


def test_force_flush_and_shutdown_keep_their_timeouts() -> None:
    with dripping_server(interval=0.2) as (url, accepted):
        reporter = reporter_with_a_count(url)
        flushed: list[bool] = []
        assert returns(lambda: flushed.append(reporter.force_flush(timeout_millis=500)))
        assert flushed == [False] and accepted
        assert len(reporter.queue) == 1  # kept for the next attempt, not lost
        assert returns(lambda: reporter.shutdown(timeout_millis=500))


def test_guard_shutdown_keeps_its_timeout(tmp_path: Path) -> None:
    with dripping_server(interval=0.2) as (url, accepted):
        guard = Guard.from_url(url, cache_dir=tmp_path, poll_interval=3600, environ={})
        assert guard.reporter is not None
        guard.accounting.add(CountKey(signal="span", name="x", rule="TC802", action="drop"))
        assert returns(lambda: guard.shutdown(timeout_millis=500))
    assert accepted


def test_the_token_stays_with_the_registry_origin(tmp_path: Path, snapshot: Snapshot) -> None:
    body = snapshot.to_json_bytes()
    with recording_server(lambda seen: (200, {}, body)) as elsewhere:
        def redirect(seen: Seen) -> tuple[int, dict[str, str], bytes]:
            return 307, {"Location": elsewhere.url + seen.path}, b""

        with recording_server(redirect) as registry:
            source = RegistrySource(registry.url, cache_dir=tmp_path, token="s3cret")
            assert source.poll_once()
            reporter = reporter_with_a_count(registry.url)
            reporter.token = "s3cret"
            assert reporter.force_flush(timeout_millis=10_000)
    assert registry.authorizations() == ["Bearer s3cret", "Bearer s3cret"]
    assert [seen.method for seen in elsewhere.seen] == ["GET", "POST"]
    assert elsewhere.authorizations() == [None, None]


def test_unreachable_without_a_disk_copy_says_it_runs_without_a_snapshot(
    tmp_path: Path, snapshot: Snapshot, caplog: pytest.LogCaptureFixture
) -> None:
    with dripping_server() as (url, _):
        pass  # closed: nothing listens on its port any more
    caplog.set_level(logging.WARNING, "telemetry_contracts.sdk_guard.source")
    source = RegistrySource(url, cache_dir=tmp_path / "empty")
    source.start(lambda data: None)
    source.wait_first_fetch(HANG)
    source.stop(HANG)
    assert "WITHOUT any snapshot" in caplog.text
    assert "keeping the last good one" not in caplog.text

    caplog.clear()
    with_copy = RegistrySource(url, cache_dir=tmp_path / "copy")
    atomic_write(with_copy.cache_file, snapshot.to_json_bytes())
    with_copy.start(lambda data: None)
    with_copy.wait_first_fetch(HANG)
    with_copy.stop(HANG)
    assert "keeping the last good one" in caplog.text
    assert "WITHOUT" not in caplog.text
