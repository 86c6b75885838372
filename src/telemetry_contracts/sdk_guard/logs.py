"""``GuardLogRecordProcessor``: rewrites each log record's attributes in place.

It must be the first processor added to the ``LoggerProvider``. Unlike spans, log record
processors share one mutable ``ReadWriteLogRecord`` and run in the order they were added, so an
exporting processor added before the guard would export (or queue) the record before the guard
has seen it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord

from telemetry_contracts.sdk_guard.errors import internal_error
from telemetry_contracts.sdk_guard.policy import KeySpace

if TYPE_CHECKING:
    from telemetry_contracts.sdk_guard.guard import Guard


def guard_log_record(space: KeySpace, log_record: Any) -> None:
    """Rewrite the attributes of the API ``LogRecord`` inside a ``ReadWriteLogRecord``."""
    attributes = log_record.attributes
    if not attributes:
        return
    raw = getattr(attributes, "_dict", attributes)
    if raw.keys() <= space.clean:
        return
    result = space.rewrite(raw)
    if not result.changed:
        return
    if hasattr(attributes, "_dict"):  # BoundedAttributes: swap its contents, keep its limits
        with attributes._lock:
            attributes._dict = result.attributes
            attributes.dropped += result.dropped
    else:
        log_record.attributes = dict(result.attributes)


class GuardLogRecordProcessor(LogRecordProcessor):
    """First in the provider's chain; it exports nothing itself."""

    def __init__(self, guard: Guard) -> None:
        self._guard = guard

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        try:
            guard_log_record(self._guard.policy.logs, log_record.log_record)
        except Exception:
            internal_error("log record processor")

    def shutdown(self) -> None:
        """Nothing to release; the guard itself is shut down by :meth:`Guard.shutdown`."""

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
