"""Counters of what the guard did, per (signal, name, rule, action), and their OTel metrics.

Counts are cumulative since the guard started. The guard's own metric is the observable counter
``telemetry_contracts.guard.actions`` (unit ``{action}``), with the count key's fields as
attributes; it is registered on a meter provider that the guard does not wrap.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
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


MAX_LINES = 10_000
"""Distinct lines the accounts keep; past it, new lines go to an overflow line."""
NAME_LIMIT = 255
OVERFLOW_NAME = "telemetry_contracts.overflow"
"""The ``name`` of the line that counts what arrived once the accounts were full."""


def clipped(key: CountKey) -> CountKey:
    """``key`` with its names cut to :data:`NAME_LIMIT` characters (and an empty name named)."""
    name = key.name[:NAME_LIMIT] or "<empty>"
    metric = key.metric[:NAME_LIMIT] if key.metric else key.metric
    renamed = key.renamed_to[:NAME_LIMIT] if key.renamed_to else key.renamed_to
    if (name, metric, renamed) == (key.name, key.metric, key.renamed_to):
        return key
    return key._replace(name=name, metric=metric, renamed_to=renamed)


def overflow(key: CountKey) -> CountKey:
    """The overflow line ``key`` is counted under once the accounts are full."""
    return CountKey(key.signal, OVERFLOW_NAME, key.rule, key.action)


class Accounting:
    """Thread-safe cumulative counts; cheap cells for hot no-op instruments are read lazily.

    At most ``max_lines`` distinct lines are kept (names clipped to 255 characters): a flood of
    distinct attribute keys or metric names costs bounded memory, the excess counted under
    one overflow line per signal, rule and action; after each usage report, idle lines are
    forgotten (see :meth:`settle`).
    """

    def __init__(self, max_lines: int = MAX_LINES) -> None:
        self.max_lines = max_lines
        self._counts: dict[CountKey, int] = {}
        self._lock = threading.Lock()
        self._cells: dict[int, tuple[Any, tuple[CountKey, ...]]] = {}
        self._plans: dict[int, Any] = {}
        self._settled: dict[CountKey, int] = {}
        self._plan_hits: dict[int, int] = {}

    def _line(self, key: CountKey, table: dict[CountKey, int]) -> CountKey:
        """The line of ``table`` that counts ``key`` (itself, clipped, or the overflow)."""
        if key in table:
            return key
        key = clipped(key)
        if key in table or len(table) < self.max_lines:
            return key
        return overflow(key)

    def _bump(self, table: dict[CountKey, int], key: CountKey, amount: int) -> None:
        line = self._line(key, table)
        table[line] = table.get(line, 0) + amount

    def add(self, key: CountKey, amount: int = 1) -> None:
        with self._lock:
            self._bump(self._counts, key, amount)

    def register_cell(self, keys: tuple[CountKey, ...], tally: Any) -> None:
        """Count ``tally.n`` under each of ``keys`` (used by instruments, whose hot path only
        bumps an int of their own) until :meth:`retire_cell`."""
        with self._lock:
            self._cells[id(tally)] = (tally, keys)

    def retire_cell(self, tally: Any) -> None:
        """The instrument was rebound: fold its tally into the counts for good."""
        with self._lock:
            found = self._cells.pop(id(tally), None)
            if found is not None and found[0].n:
                for key in found[1]:
                    self._bump(self._counts, key, found[0].n)

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
                    self._bump(self._counts, key, hits)

    def totals(self) -> dict[CountKey, int]:
        """A copy of the cumulative counts, cells and cached plans included."""
        with self._lock:
            totals = dict(self._counts)
            cells = list(self._cells.values())
            plans = list(self._plans.values())
        for plan in plans:
            hits = plan.hits
            if hits:
                for key in plan.counts:
                    self._bump(totals, key, hits)
        for tally, keys in cells:
            value = tally.n
            if value:
                for key in keys:
                    self._bump(totals, key, value)
        return totals

    def settle(self) -> list[CountKey]:
        """Called after each usage report: once the accounts are half full, forget the lines
        that did not change since the previous report (their counts were all reported), making
        room for new lines. Cached plans idle since the previous report first hand their hits
        over to the counts. Returns the forgotten lines (one seen again counts from zero)."""
        with self._lock:
            counts, previous = self._counts, self._settled
            forgotten: list[CountKey] = []
            if len(counts) + len(self._plans) > self.max_lines // 2:
                live: set[CountKey] = set()
                for plan in self._plans.values():
                    hits = plan.hits
                    if hits and hits == self._plan_hits.get(id(plan)):
                        plan.hits = 0  # (unlocked: a racing increment may be lost)
                        for key in plan.counts:
                            self._bump(counts, key, hits)
                    elif hits:
                        live.update(plan.counts)
                live.update(key for _, keys in self._cells.values() for key in keys)
                forgotten = [
                    key
                    for key, count in counts.items()
                    if previous.get(key) == count and key not in live
                ]
                for key in forgotten:
                    del counts[key]
            self._settled = dict(counts)
            self._plan_hits = {id(plan): plan.hits for plan in self._plans.values()}
        return forgotten

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
