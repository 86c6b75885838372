"""``UsageReporter``: sends the guard's counts to the registry's ``POST /v1/usage`` in the
background, as :class:`~telemetry_contracts.schemas.usage.UsageReport` documents.

Each interval the counts accrued since the last report become one report (split at 10,000
lines). Reports wait in a bounded queue; when it is full the oldest is dropped and counted in
``dropped_reports``. A failed send is retried with exponential backoff (doubling from
``backoff_initial`` up to ``backoff_max``, with jitter). Every send ends within ``timeout``
seconds whatever the server does; ``force_flush`` and ``shutdown`` return within theirs.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import unquote

from telemetry_contracts import net
from telemetry_contracts.schemas.usage import UsageCount, UsageReport, reportable
from telemetry_contracts.sdk_guard.accounting import Accounting, CountKey
from telemetry_contracts.sdk_guard.config import ENV_TOKEN

_logger = logging.getLogger(__name__)
MAX_COUNTS_PER_REPORT = 10_000


def usage_url(url: str) -> str:
    """The usage endpoint of a registry base URL (a full ``/v1/usage`` URL is kept)."""
    trimmed = url.rstrip("/")
    if trimmed.endswith("/v1/snapshot"):
        trimmed = trimmed[: -len("/v1/snapshot")]
    return trimmed if trimmed.endswith("/v1/usage") else trimmed + "/v1/usage"


def service_name_from_env() -> str:
    """``OTEL_SERVICE_NAME``, else ``service.name`` in ``OTEL_RESOURCE_ATTRIBUTES`` (its
    values percent-encoded)."""
    name = os.environ.get("OTEL_SERVICE_NAME", "").strip()
    if name:
        return name
    for item in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
        key, _, value = item.partition("=")
        if key.strip() == "service.name" and value.strip():
            return unquote(value.strip())  # percent-encoded, as the SDK's resource reads it
    return "unknown_service"


def _usage_count(key: CountKey, count: int) -> UsageCount:
    return UsageCount(
        signal=key.signal,
        name=reportable(key.name or "<empty>"),
        metric=reportable(key.metric) if key.metric else None,
        rule=key.rule,
        action=key.action,
        renamed_to=reportable(key.renamed_to) if key.renamed_to else None,
        count=count,
    )


class UsageReporter:
    """Background sender of usage reports; never raises into the application."""

    def __init__(
        self,
        accounting: Accounting,
        url: str,
        service: str | None = None,
        token: str | None = None,
        snapshot_hash: Callable[[], str | None] = lambda: None,
        interval: float = 60.0,
        max_queue: int = 100,
        timeout: float = 10.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 300.0,
    ) -> None:
        self.url = usage_url(url)
        self.accounting = accounting
        self.service = service or service_name_from_env()
        self.instance = reportable(socket.gethostname()) or None
        self.token = token if token is not None else os.environ.get(ENV_TOKEN)
        self.snapshot_hash = snapshot_hash
        self.interval = interval
        self.timeout = timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.queue: deque[UsageReport] = deque()
        self.max_queue = max_queue
        self.dropped_reports = 0
        self.sent_reports = 0
        self.failed_sends = 0
        self._reported: dict[CountKey, int] = {}
        self._window_start = dt.datetime.now(dt.timezone.utc)
        self._lock = threading.Lock()
        self._sending = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="telemetry-contracts-usage", daemon=True
        )
        self._thread.start()

    # --- building reports ------------------------------------------------------------------

    def collect(self) -> int:
        """Queue the counts accrued since the last collection; returns the reports queued."""
        with self._lock:
            totals = self.accounting.totals()
            deltas = [
                (key, count - self._reported.get(key, 0))
                for key, count in totals.items()
                if count > self._reported.get(key, 0)
            ]
            self._reported = totals
            for key in self.accounting.settle():  # lines reported in full: room for new ones
                self._reported.pop(key, None)
            start = self._window_start
            end = max(start, dt.datetime.now(dt.timezone.utc))  # the clock may have been set back
            self._window_start = end
            queued = 0
            for first in range(0, len(deltas), MAX_COUNTS_PER_REPORT):
                chunk = deltas[first : first + MAX_COUNTS_PER_REPORT]
                self._enqueue(
                    UsageReport(
                        service=reportable(self.service),
                        instance=self.instance,
                        snapshot_hash=self.snapshot_hash(),
                        window_start=start,
                        window_end=end,
                        counts=[_usage_count(key, count) for key, count in chunk],
                    )
                )
                queued += 1
            return queued

    def _enqueue(self, report: UsageReport) -> None:
        if len(self.queue) >= self.max_queue:
            self.queue.popleft()
            self.dropped_reports += 1
        self.queue.append(report)

    # --- sending ---------------------------------------------------------------------------

    def _post(self, report: UsageReport, deadline: float) -> None:
        net.request(
            self.url, method="POST", body=report.model_dump_json(exclude_none=True).encode(),
            headers={"Content-Type": "application/json"}, token=self.token,
            deadline=deadline, max_bytes=1024 * 1024,
        )

    def send_queued(self, timeout: float | None = None) -> bool:
        """Send queued reports oldest first, all within ``timeout`` seconds when given; False
        at the first failure or when time runs out (what is unsent stays queued)."""
        ends = time.monotonic() + (timeout if timeout is not None else 1e9)
        if not self._sending.acquire(timeout=max(0.0, ends - time.monotonic())):
            return False
        try:
            return self._send_until(ends)
        finally:
            self._sending.release()

    def _send_until(self, ends: float) -> bool:
        while self.queue:
            left = ends - time.monotonic()
            if left <= 0:
                return False
            report = self.queue[0]
            try:
                self._post(report, min(self.timeout, left))
            except net.HttpStatusError as error:
                if 400 <= error.status < 500 and error.status not in (408, 429):
                    _logger.warning(
                        "usage report refused by %s: HTTP %s; dropping it", self.url, error.status
                    )
                    self._discard(report)
                    continue
                self.failed_sends += 1
                return False
            except Exception as error:
                self.failed_sends += 1
                _logger.debug("usage report to %s failed: %s", self.url, error)
                return False
            self._discard(report)
            self.sent_reports += 1
        return True

    def _discard(self, report: UsageReport) -> None:
        if self.queue and self.queue[0] is report:
            self.queue.popleft()

    def _run(self) -> None:
        backoff = self.backoff_initial
        wait = self.interval
        while not self._stop.wait(wait):
            try:
                self.collect()
                if self.send_queued():
                    backoff, wait = self.backoff_initial, self.interval
                else:
                    wait = min(backoff, self.backoff_max) * (0.5 + random.random() / 2)
                    backoff = min(backoff * 2, self.backoff_max)
            except Exception:
                _logger.warning("usage reporter error", exc_info=True)
                wait = self.interval

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Collect now and try to send everything queued within ``timeout_millis``."""
        try:
            self.collect()
            return self.send_queued(timeout_millis / 1000)
        except Exception:
            _logger.warning("usage report flush failed", exc_info=True)
            return False

    def shutdown(self, timeout_millis: float = 10_000) -> None:
        """Stop the background thread and send the last report, all within ``timeout_millis``."""
        ends = time.monotonic() + timeout_millis / 1000
        self._stop.set()
        self.force_flush(timeout_millis)
        self._thread.join(max(0.0, ends - time.monotonic()))
