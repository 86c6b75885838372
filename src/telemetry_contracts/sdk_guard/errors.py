"""The guard's own failures: logged once per place, counted, never raised into the application;
and the fail-closed rule for what passes after one: values of sensitive attributes never do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from telemetry_contracts.sdk_guard.accounting import CountKey

_logger = logging.getLogger("telemetry_contracts.sdk_guard")
_seen: set[str] = set()
_lock = threading.Lock()
internal_errors: dict[str, int] = {}
"""How often each place failed inside the guard (process-wide)."""
INTERNAL_ERROR = "internal_error"
"""The ``rule`` under which internal errors are counted in the guard's accounts."""


def internal_error(where: str, policy: Any = None, signal: str | None = None) -> None:
    """Call from an ``except`` block: count the failure of ``where`` (in the policy's accounts
    too, under ``rule=internal_error`` and the ``on_error`` action, when one is given) and log
    its first occurrence with the traceback."""
    with _lock:
        internal_errors[where] = internal_errors.get(where, 0) + 1
        first = where not in _seen
        _seen.add(where)
    action = "pass"
    if policy is not None and signal is not None:
        try:
            action = policy.config.on_error
            policy.accounting.add(CountKey(signal, where, INTERNAL_ERROR, action))
        except Exception:  # the accounts must not turn one error into two
            action = "drop"
    if first:
        _logger.warning(
            "guard error in %s; sensitive values are redacted, on_error=%s for the rest",
            where,
            action,
            exc_info=True,
        )


def is_sensitive(policy: Any, key: Any) -> bool:
    """True when ``key`` (or the name it is renamed to) is annotated ``pii`` or ``secret``;
    with an unusable snapshot every key counts as sensitive."""
    if getattr(policy, "failed", False):
        return True
    if not isinstance(key, str):
        return False
    contract = policy.contracts.attribute(key)
    if contract is None:
        return False
    if contract.sensitive:
        return True
    renamed = contract.renamed_to
    successor = policy.contracts.attribute(renamed) if renamed else None
    return bool(successor is not None and successor.sensitive)


def without_sensitive(policy: Any, attributes: Mapping[Any, Any] | None) -> dict[Any, Any]:
    """A copy of ``attributes`` with the values of sensitive attributes redacted."""
    redacted = policy.config.redacted_value
    return {
        key: redacted if is_sensitive(policy, key) else value
        for key, value in (attributes or {}).items()
    }
