"""Where the guard's snapshot comes from: a file, or a registry URL polled in the background.

A :class:`RegistrySource` never makes the application wait: it starts from the last-known-good
copy on disk when there is one (else the guard passes everything until the first fetch), polls
``GET {url}/v1/snapshot`` with ``If-None-Match`` in a daemon thread (each fetch ends within
``timeout`` seconds, whatever the server does), writes each new snapshot to disk atomically, and
keeps the last good one when the registry is unreachable or answers junk.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
from collections.abc import Callable
from pathlib import Path

from telemetry_contracts import net

_logger = logging.getLogger(__name__)

MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024
Deliver = Callable[[bytes], None]
"""Receives snapshot bytes; raises when they cannot be used (then they are not kept)."""


def snapshot_url(url: str) -> str:
    """The snapshot endpoint of a registry base URL (a full ``/v1/snapshot`` URL is kept)."""
    trimmed = url.rstrip("/")
    return trimmed if trimmed.endswith("/v1/snapshot") else trimmed + "/v1/snapshot"


class FileSource:
    """A snapshot file read once at start (and again on :meth:`reload`)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._deliver: Deliver | None = None

    def start(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self.reload()

    def reload(self) -> None:
        if self._deliver is not None:
            self._deliver(self.path.read_bytes())

    def stop(self, timeout: float | None = None) -> None:
        """Nothing runs in the background."""


class RegistrySource:
    """A registry URL polled with ``ETag``; last-known-good copy under ``cache_dir``."""

    def __init__(
        self,
        url: str,
        cache_dir: str | os.PathLike[str] | None = None,
        poll_interval: float = 60.0,
        timeout: float = 10.0,
        token: str | None = None,
    ) -> None:
        if not math.isfinite(poll_interval) or poll_interval <= 0:
            # 0, a negative number or NaN would poll the registry in a tight loop
            raise ValueError(
                f"poll_interval must be a positive number of seconds, not {poll_interval!r}"
            )
        self.url = snapshot_url(url)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else net.default_cache_dir()
        digest = hashlib.sha256(self.url.encode()).hexdigest()[:16]
        self.cache_file = self.cache_dir / f"snapshot-{digest}.json"
        self.etag_file = self.cache_dir / f"snapshot-{digest}.etag"
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.token = token
        self.etag: str | None = None
        self.fetches = 0
        self.failures = 0
        self.last_error: str | None = None
        self.has_snapshot = False
        """True once a snapshot (the disk copy or a fetched one) was delivered."""
        self._deliver: Deliver | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fetched = threading.Event()

    def start(self, deliver: Deliver) -> None:
        """Load the disk copy (if any) now, then poll in a daemon thread."""
        self._deliver = deliver
        self._load_disk_copy()
        self._thread = threading.Thread(
            target=self._run, name="telemetry-contracts-snapshot", daemon=True
        )
        self._thread.start()

    def _load_disk_copy(self) -> None:
        try:
            data = self.cache_file.read_bytes()
        except OSError:
            return
        try:
            self._deliver_bytes(data)
        except Exception as error:  # a corrupt copy: ignore it and wait for the registry
            _logger.warning("ignoring unusable cached snapshot %s: %s", self.cache_file, error)
            return
        try:
            self.etag = self.etag_file.read_text().strip() or None
        except OSError:
            self.etag = None

    def _deliver_bytes(self, data: bytes) -> None:
        if self._deliver is not None:
            self._deliver(data)
            self.has_snapshot = True

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self.poll_interval)

    def poll_once(self) -> bool:
        """One conditional fetch; True when a new snapshot was installed. Never raises."""
        self.fetches += 1
        try:
            headers = {"Accept": "application/json"}
            if self.etag:
                headers["If-None-Match"] = self.etag
            response = net.request(
                self.url, headers=headers, token=self.token, deadline=self.timeout,
                max_bytes=MAX_SNAPSHOT_BYTES,
            )
            self._deliver_bytes(response.body)  # raises on junk: then nothing is kept
            net.atomic_write(self.cache_file, response.body)
            etag = response.headers.get("etag")
            if etag:
                net.atomic_write(self.etag_file, etag.encode())
            self.etag = etag
            self.last_error = None
            return True
        except net.HttpStatusError as error:
            if error.status == 304:
                self.last_error = None
                return False
            self._failed(f"HTTP {error.status}")
        except Exception as error:
            self._failed(str(error) or type(error).__name__)
        finally:
            self._fetched.set()
        return False

    def _failed(self, reason: str) -> None:
        self.failures += 1
        if self.last_error != reason:
            if self.has_snapshot:
                _logger.warning(
                    "snapshot fetch from %s failed (%s); keeping the last good one",
                    self.url, reason,
                )
            else:
                _logger.warning(
                    "snapshot fetch from %s failed (%s) and there is no copy on disk: the guard "
                    "runs WITHOUT any snapshot and passes everything unchecked until a fetch "
                    "succeeds", self.url, reason,
                )
        self.last_error = reason

    def wait_first_fetch(self, timeout: float | None = None) -> bool:
        """Block until the first fetch attempt ended (for tests and tooling, not the app)."""
        return self._fetched.wait(timeout)

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
