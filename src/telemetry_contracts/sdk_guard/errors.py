"""The guard's own failures: logged once per place, counted, never raised into the application."""

from __future__ import annotations

import logging
import threading

_logger = logging.getLogger("telemetry_contracts.sdk_guard")
_seen: set[str] = set()
_lock = threading.Lock()
internal_errors: dict[str, int] = {}
"""How often each place fell back to passing data through unchanged."""


def internal_error(where: str) -> None:
    """Call from an ``except`` block: log the first failure of ``where`` with its traceback."""
    with _lock:
        internal_errors[where] = internal_errors.get(where, 0) + 1
        first = where not in _seen
        _seen.add(where)
    if first:
        _logger.warning(
            "guard error in %s; passing the data through unchanged", where, exc_info=True
        )
