"""``GuardLogRecordProcessor``: wraps the exporting log record processor, as spans are wrapped.

``guard.log_record_processor(BatchLogRecordProcessor(exporter))`` rewrites each record's
attributes, then hands the record to its delegate. Log record processors share one mutable
record and run in the order they were added: processors added after this one see the rewritten
record, processors added before it the raw one. Without a delegate (the older form, kept as an
alias) the processor must be added first, before every exporting processor.

The SDK calls ``on_emit`` (older releases: ``emit``) with a ``ReadWriteLogRecord`` (older
releases: ``LogData``); both hold the record in ``log_record``, which is all the guard reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry.sdk._logs import LogRecordProcessor

from telemetry_contracts.sdk_guard.compat import raw_attributes, swap_attributes
from telemetry_contracts.sdk_guard.errors import internal_error, without_sensitive
from telemetry_contracts.sdk_guard.policy import KeySpace

if TYPE_CHECKING:
    from telemetry_contracts.sdk_guard.guard import Guard


def guard_log_record(space: KeySpace, log_record: Any, swap: bool = True) -> None:
    """Rewrite the attributes of the API ``LogRecord`` inside the SDK's record in place.

    ``swap``: replace the dict inside the SDK's ``BoundedAttributes`` under its lock (checked
    at start, see ``compat``); otherwise its contents are replaced through its public mapping
    interface.
    """
    attributes = log_record.attributes
    if not attributes:
        return
    raw = raw_attributes(attributes) if swap else attributes
    if raw.keys() <= space.clean:
        return
    result = space.rewrite(raw)
    if not result.changed:
        return
    _replace(log_record, attributes, dict(result.attributes), result.dropped, swap)


def _replace(
    log_record: Any, attributes: Any, new: dict[Any, Any], dropped: int, swap: bool
) -> None:
    if not hasattr(attributes, "dropped"):  # not a BoundedAttributes: a new plain dict
        log_record.attributes = new
    elif swap:
        swap_attributes(attributes, new, dropped)
    else:
        attributes.clear()
        attributes.update(new)
        attributes.dropped += dropped


class GuardLogRecordProcessor(LogRecordProcessor):
    """Rewrites each record, then passes it to ``delegate`` (when there is one)."""

    def __init__(self, guard: Guard, delegate: LogRecordProcessor | None = None) -> None:
        self._guard = guard
        self.delegate = delegate
        self._swap = guard.compat.log_swap
        self._forward = getattr(delegate, guard.compat.log_method, None) if delegate else None

    def on_emit(self, log_record: Any) -> None:
        try:
            guard_log_record(self._guard.policy.logs, log_record.log_record, self._swap)
        except Exception:
            if not self._failed(log_record):
                return
        if self._forward is not None:
            self._forward(log_record)

    emit = on_emit

    def _failed(self, container: Any) -> bool:
        """After an internal error: redact sensitive values (all of them when that fails);
        False when the record must not be passed on (``on_error=drop``)."""
        drop = True
        record = getattr(container, "log_record", container)
        try:
            policy = self._guard.policy
            internal_error("log record processor", policy, "log")
            drop = policy.config.on_error == "drop"
            attributes = record.attributes
            new = {} if drop else without_sensitive(policy, attributes)
            _replace(record, attributes, new, len(attributes or ()) - len(new), False)
        except Exception:
            try:
                record.attributes = {}
            except Exception:
                return False
        return not drop

    def shutdown(self) -> None:
        """Shuts the delegate down; the guard itself is shut down by :meth:`Guard.shutdown`."""
        if self.delegate is not None:
            self.delegate.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        if self.delegate is not None:
            return bool(self.delegate.force_flush(timeout_millis))
        return True
