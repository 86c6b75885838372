"""Counters of what the guard did, per (signal, name, rule, action), and their OTel metrics.

Counts are cumulative since the guard started. The guard's own metric is the observable counter
``telemetry_contracts.guard.actions`` (unit ``{action}``), with the count key's fields as
attributes; it is registered on a meter provider that the guard does not wrap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

ACTIONS_METRIC = "telemetry_contracts.guard.actions"


class CountKey(NamedTuple):
    """One line of the guard's accounts; ``rule`` is a :class:`Violation` code."""

    signal: str
    name: str
    rule: str | None
    action: str
    metric: str | None = None
    renamed_to: str | None = None

    def attributes(self) -> dict[str, str]:
        """The key as OTel attributes (``telemetry_contracts.*``), absent fields left out."""
        out = {
            "telemetry_contracts.signal": self.signal,
            "telemetry_contracts.name": self.name,
            "telemetry_contracts.action": self.action,
        }
        if self.rule:
            out["telemetry_contracts.rule"] = self.rule
        if self.metric:
            out["telemetry_contracts.metric"] = self.metric
        if self.renamed_to:
            out["telemetry_contracts.renamed_to"] = self.renamed_to
        return out


class Accounting:
    """Thread-safe cumulative counts; cheap cells for hot no-op instruments are read lazily."""

    def __init__(self) -> None:
        self._counts: dict[CountKey, int] = {}
        self._lock = threading.Lock()
        self._cells: list[tuple[CountKey, Callable[[], int]]] = []
        self._plans: dict[int, Any] = {}

    def add(self, key: CountKey, amount: int = 1) -> None:
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + amount

    def add_many(self, keys: Iterable[CountKey]) -> None:
        counts = self._counts
        with self._lock:
            for key in keys:
                counts[key] = counts.get(key, 0) + 1

    def register_cell(self, key: CountKey, read: Callable[[], int]) -> None:
        """Count whatever ``read()`` returns under ``key`` (used by dropped instruments, whose
        hot path only bumps an int of their own)."""
        with self._lock:
            self._cells.append((key, read))

    def track_plan(self, plan: Any) -> None:
        """Count ``plan.hits`` under each of ``plan.counts`` while the plan is cached."""
        with self._lock:
            self._plans[id(plan)] = plan

    def retire_plan(self, plan: Any) -> None:
        """The plan left its cache: fold its hits into the counts for good."""
        with self._lock:
            if self._plans.pop(id(plan), None) is None:
                return
            hits = plan.hits
            if hits:
                for key in plan.counts:
                    self._counts[key] = self._counts.get(key, 0) + hits

    def totals(self) -> dict[CountKey, int]:
        """A copy of the cumulative counts, cells and cached plans included."""
        with self._lock:
            totals = dict(self._counts)
            cells = list(self._cells)
            plans = list(self._plans.values())
        for plan in plans:
            hits = plan.hits
            if hits:
                for key in plan.counts:
                    totals[key] = totals.get(key, 0) + hits
        for key, read in cells:
            value = read()
            if value:
                totals[key] = totals.get(key, 0) + value
        return totals

    def get(self, **fields: Any) -> int:
        """Sum of the counts whose key matches every given field (for tests and tooling)."""
        return sum(
            count
            for key, count in self.totals().items()
            if all(getattr(key, name) == value for name, value in fields.items())
        )

    def instrument(self, meter_provider: Any) -> None:
        """Publish the counts as ``telemetry_contracts.guard.actions`` on ``meter_provider``."""
        from opentelemetry.metrics import CallbackOptions, Observation

        def observe(options: CallbackOptions) -> Iterator[Observation]:
            for key, count in self.totals().items():
                yield Observation(count, key.attributes())

        meter = meter_provider.get_meter("telemetry_contracts.sdk_guard")
        meter.create_observable_counter(
            ACTIONS_METRIC,
            callbacks=[observe],
            unit="{action}",
            description="What the telemetry-contracts guard did, per signal, name, rule, action.",
        )
