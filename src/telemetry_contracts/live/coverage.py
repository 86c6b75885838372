"""Coverage: what fraction of the registry's contracts the telemetry used, per namespace and per
signal, which attributes arrived on which signal, and which names the registry does not know."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from telemetry_contracts.live.judge import Aggregate, RegistryIndex
from telemetry_contracts.schemas.violations import Violation

SIGNALS = ("resource", "span", "metric", "log")
_UNKNOWN = (Violation.UNKNOWN_ATTRIBUTE.code, Violation.UNKNOWN_METRIC.code)


def in_scope(name: str, prefixes: Sequence[str]) -> bool:
    """True when ``name`` is one of the namespaces ``prefixes`` (``http`` or ``http.``)."""
    if not prefixes:
        return True
    for prefix in prefixes:
        bare = prefix.rstrip(".")
        if name == bare or name.startswith(bare + "."):
            return True
    return False


def unknown_namespace(index: RegistryIndex, prefix: str) -> str | None:
    """Why ``prefix`` scopes nothing (no attribute or metric of the registry is in it, as when
    it is mistyped), with the namespaces closest to it; ``None`` when it scopes something."""
    names = [*index.attributes, *index.metrics]
    if any(in_scope(name, (prefix,)) for name in names):
        return None
    close = difflib.get_close_matches(prefix.rstrip("."), sorted({namespace_of(n) for n in names}))
    hint = f" (did you mean {', '.join(f'`{c}`' for c in close)}?)" if close else ""
    return f"no attribute or metric of the registry is in namespace `{prefix}`{hint}"


def namespace_of(name: str) -> str:
    return name.split(".", 1)[0]


def _ratio(seen: int, total: int) -> float:
    return round(seen / total, 4) if total else 0.0


def coverage(
    index: RegistryIndex,
    seen: dict[str, list[str]],
    findings: Sequence[Aggregate],
    scope: Sequence[str] = (),
) -> dict[str, Any]:
    """The coverage document; deprecated contracts are not counted (they should not be used)."""
    attributes = {a.key for a in index.attributes.values()
                  if a.deprecated is None and in_scope(a.key, scope)}
    metrics = {m.name for m in index.metrics.values()
               if m.deprecated is None and in_scope(m.name, scope)}
    seen_attributes = {name for signal in SIGNALS for name in seen.get(signal, ())} & attributes
    seen_metrics = set(seen.get("metric_names", ())) & metrics
    namespaces: dict[str, dict[str, Any]] = {}
    for contract_names, seen_names, kind in ((attributes, seen_attributes, "attributes"),
                                    (metrics, seen_metrics, "metrics")):
        for name in contract_names:
            entry = namespaces.setdefault(namespace_of(name), {
                "attributes": {"seen": 0, "total": 0}, "metrics": {"seen": 0, "total": 0}})
            entry[kind]["total"] += 1
            entry[kind]["seen"] += name in seen_names
    for entry in namespaces.values():
        entry["ratio"] = _ratio(entry["attributes"]["seen"] + entry["metrics"]["seen"],
                                entry["attributes"]["total"] + entry["metrics"]["total"])
    signals: dict[str, Any] = {}
    for signal in SIGNALS:
        on_signal = sorted(set(seen.get(signal, ())) & attributes)
        signals[signal] = {"attributes": on_signal,
                           "ratio": _ratio(len(on_signal), len(attributes))}
    signals["metric"]["metrics"] = sorted(seen_metrics)
    unknown: dict[str, dict[str, int]] = {}
    for finding in findings:
        if finding.code in _UNKNOWN and in_scope(finding.name, scope) and (
                finding.code == Violation.UNKNOWN_METRIC.code
                or index.key_rule(finding.name).unknown):
            per_signal = unknown.setdefault(finding.signal, {})
            per_signal[finding.name] = per_signal.get(finding.name, 0) + finding.count
    total = len(attributes) + len(metrics)
    covered = len(seen_attributes) + len(seen_metrics)
    return {
        "scope": list(scope),
        "contracts": total,
        "seen": covered,
        "ratio": _ratio(covered, total),
        "namespaces": dict(sorted(namespaces.items())),
        "signals": signals,
        "unknown": {signal: dict(sorted(names.items())) for signal, names in
                    sorted(unknown.items())},
    }
