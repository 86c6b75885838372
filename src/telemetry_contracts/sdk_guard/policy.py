"""The compiled policy: lookup tables built once from a snapshot, and cached per-key-set plans.

Data that already conforms costs one subset test (``attributes.keys() <= space.clean``); any
other key set is decided once into a :class:`Plan` that is cached in a bounded dict.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Mapping
from typing import Any

from telemetry_contracts.schemas.backports import dataclass
from telemetry_contracts.schemas.model import find_by_key
from telemetry_contracts.schemas.ucum import conversion_factor
from telemetry_contracts.schemas.violations import Violation
from telemetry_contracts.sdk_guard.accounting import Accounting, CountKey
from telemetry_contracts.sdk_guard.config import GuardConfig
from telemetry_contracts.sdk_guard.errors import INTERNAL_ERROR

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "int": (int,),
    "double": (float, int),
    "boolean": (bool,),
}
_SENSITIVE = frozenset({"pii", "secret"})
OVERFLOW_ATTRIBUTES: Mapping[str, Any] = {"otel.metric.overflow": True}


@dataclass(frozen=True, slots=True)
class AttributeContract:
    """What the guard needs to know about one attribute key (or template prefix)."""

    key: str
    type: str
    enum_values: frozenset[Any] | None = None
    renamed_to: str | None = None
    deprecated: bool = False
    sensitive: bool = False
    legacy: bool = False
    """A name only the history knows (see ``Snapshot.history``)."""

    def type_ok(self, value: object) -> bool:
        """True when ``value`` has the contract's primitive type (``any`` accepts everything)."""
        base = self.type
        if base.startswith("template["):
            base = base[len("template[") : -1]
        if base in ("any", "enum"):
            return True
        if base.endswith("[]"):
            if not isinstance(value, (list, tuple)):
                return False
            types = _PY_TYPES.get(base[:-2])
            return types is None or all(_is(item, types) for item in value)
        types = _PY_TYPES.get(base)
        return types is None or _is(value, types)

    @property
    def checks_type(self) -> bool:
        return self.type not in ("any", "enum", "template[any]")


def _is(value: object, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


@dataclass(frozen=True, slots=True)
class MetricContract:
    """What the guard needs to know about one metric name."""

    name: str
    instrument: str
    unit: str
    attribute_keys: frozenset[str] | None
    """The metric's attribute refs; ``None`` when the contract lists none (then any key the
    registry knows is allowed)."""
    deprecated: bool = False
    renamed_to: str | None = None
    cardinality_limit: int | None = None
    legacy: bool = False


class Contracts:
    """The snapshot's tables, read straight from its JSON (no model validation, for load speed)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.registry: str = str(document.get("registry", ""))
        self.version: str = str(document.get("version", ""))
        self.content_hash: str = str(document.get("content_hash", ""))
        self.attributes: dict[str, AttributeContract] = {}
        self.templates: dict[str, AttributeContract] = {}
        for raw in document.get("attributes", ()):
            contract = _attribute_contract(raw)
            if contract.type.startswith("template["):
                self.templates[contract.key] = contract
            else:
                self.attributes[contract.key] = contract
        self.metrics: dict[str, MetricContract] = {
            m.name: m for m in (_metric_contract(raw) for raw in document.get("metrics", ()))
        }
        for raw in document.get("history", ()):
            self._add_legacy(raw)

    def _add_legacy(self, raw: Mapping[str, Any]) -> None:
        """A legacy name: deprecated, renamed to its successor when it has exactly one."""
        name, successor = str(raw["name"]), raw.get("successor")
        if raw.get("kind") == "metric":
            self.metrics.setdefault(name, MetricContract(
                name, str(raw.get("instrument") or ""), str(raw.get("unit") or ""), None,
                deprecated=True, renamed_to=successor, legacy=True,
            ))
        elif name not in self.attributes:
            self.attributes[name] = AttributeContract(
                name, "any", renamed_to=successor, deprecated=True, legacy=True
            )

    @classmethod
    def from_json_bytes(cls, data: bytes | str) -> Contracts:
        """Parse a snapshot document; raises ``ValueError`` when it is not one."""
        document = json.loads(data)
        if not isinstance(document, dict) or "attributes" not in document:
            raise ValueError("not a telemetry-contracts snapshot (no 'attributes')")
        return cls(document)

    def attribute(self, key: str) -> AttributeContract | None:
        """The contract of ``key``: exact key first, then the longest template prefix."""
        return find_by_key(key, self.attributes, self.templates)


def _deprecation(raw: Mapping[str, Any]) -> tuple[bool, str | None]:
    deprecated = raw.get("deprecated")
    if not deprecated:
        return False, None
    renamed = deprecated.get("renamed_to") if isinstance(deprecated, dict) else None
    return True, renamed if isinstance(renamed, str) and renamed else None


def _attribute_contract(raw: Mapping[str, Any]) -> AttributeContract:
    deprecated, renamed_to = _deprecation(raw)
    members = raw.get("members") or ()
    governance = raw.get("governance") or {}
    return AttributeContract(
        key=str(raw["key"]),
        type=str(raw.get("type", "any")),
        enum_values=frozenset(m["value"] for m in members) if members else None,
        renamed_to=renamed_to,
        deprecated=deprecated,
        sensitive=governance.get("sensitivity") in _SENSITIVE,
    )


def _metric_contract(raw: Mapping[str, Any]) -> MetricContract:
    deprecated, renamed_to = _deprecation(raw)
    refs = raw.get("attributes") or ()
    governance = raw.get("governance") or {}
    return MetricContract(
        name=str(raw["name"]),
        instrument=str(raw.get("instrument", "")),
        unit=str(raw.get("unit", "")),
        attribute_keys=frozenset(r["key"] for r in refs) if refs else None,
        deprecated=deprecated,
        renamed_to=renamed_to,
        cardinality_limit=governance.get("cardinality_limit"),
    )


# Step operations on one attribute key.
KEEP, DROP, RENAME, REDACT, CHECK = range(5)


@dataclass(frozen=True, slots=True)
class Step:
    """What to do with one key: the operation, the output key and what to count."""

    op: int
    target: Any
    counts: tuple[CountKey, ...] = ()
    contract: AttributeContract | None = None
    """For ``CHECK``: the contract whose type and enum the value is checked against."""
    type_action: str = "pass"
    enum_action: str = "pass"


class Plan:
    """The decided steps for one ordered key set, compiled into ``build``: a function that
    makes the rewritten mapping from one with those keys (``None`` when values need checking
    or nothing changes)."""

    __slots__ = ("build", "checked", "counts", "dropped", "hits", "kept", "steps", "trivial")

    def __init__(
        self,
        keys: tuple[Any, ...],
        steps: tuple[Step, ...],
        redacted: str,
        generated: bool = True,
    ) -> None:
        self.steps = steps
        self.counts = tuple(c for s in steps for c in s.counts)
        self.trivial = all(s.op == KEEP for s in steps)
        """True when applying changes nothing (report mode or ``pass`` actions)."""
        self.checked = any(s.op == CHECK for s in steps)
        given = set(keys)
        produced: set[Any] = set()
        pairs: list[tuple[Any, Any, bool]] = []
        for key, step in zip(keys, steps):
            # a key the application also gave under its new name, or a second key renamed
            # to the same name, is dropped: the new name (or the first one) wins
            clash = step.target != key and step.target in given
            if step.op == DROP or clash or step.target in produced:
                continue
            produced.add(step.target)
            pairs.append((key, step.target, step.op == REDACT))
        self.dropped = len(keys) - len(pairs)
        self.kept = {source: target for source, target, _ in pairs}
        """Source key to output key, for the keys that survive."""
        self.build: Callable[[Mapping[Any, Any]], dict[Any, Any]] | None = None
        if not (self.checked or self.trivial):
            self.build = _builder(keys, pairs, redacted, generated)
        self.hits = 0
        """How often the plan was applied; its ``counts`` are read from this (unlocked, so a
        rare increment may be lost when threads race on the same plan)."""


def _builder(
    keys: tuple[Any, ...], pairs: list[tuple[Any, Any, bool]], redacted: str, generated: bool
) -> Callable[[Mapping[Any, Any]], dict[Any, Any]]:
    """A function building the output mapping from one with exactly ``keys``.

    For string keys it is generated source (the keys enter it only through ``repr`` of a
    ``str``, which is always a literal). When at most about half the keys change, it copies
    the mapping (a dict is cloned in one block) and patches it: ``o = dict(a); o["new"] =
    o.pop("old"); del o["gone"]``; otherwise it is one dict display ``{"new": a["old"], ...}``.
    Both are several times faster than ``dict(zip(...))``. A renamed key moves to the end.
    """
    strings = all(isinstance(k, str) for k in keys) and all(isinstance(t, str) for _, t, _ in pairs)
    if generated and strings:
        kept = {source for source, _, _ in pairs}
        patches = [f"del o[{key!r}]" for key in keys if key not in kept]
        for source, target, redact in pairs:
            if source != target:
                value = "REDACTED" if redact else f"o.pop({source!r})"
                if redact:
                    patches.append(f"del o[{source!r}]")
                patches.append(f"o[{target!r}] = {value}")
            elif redact:
                patches.append(f"o[{target!r}] = REDACTED")
        if 2 * len(patches) <= len(keys) + 1:
            source = "def build(a):\n    o = dict(a)\n"
            source += "".join(f"    {line}\n" for line in patches) + "    return o\n"
        else:
            items = ", ".join(
                f"{target!r}: {'REDACTED' if redact else f'a[{source!r}]'}"
                for source, target, redact in pairs
            )
            source = f"def build(a):\n    return {{{items}}}\n"
        namespace: dict[str, Any] = {"REDACTED": redacted}
        exec(source, namespace)  # the source holds only reprs of str keys
        built: Callable[[Mapping[Any, Any]], dict[Any, Any]] = namespace["build"]
        return built

    def build(attributes: Mapping[Any, Any]) -> dict[Any, Any]:
        return {t: redacted if r else attributes[s] for s, t, r in pairs}

    return build


def check_generated_builders() -> str | None:
    """Why generated builders cannot be trusted here (``None``: they give what the plain one
    gives on probes of both shapes, patch and display)."""
    keys = ("a", "b", "c", "d", "e")
    for pairs in (
        [("a", "a", False), ("b", "x", False), ("c", "c", False), ("d", "d", False)],
        [("a", "y", False), ("b", "x", True), ("c", "z", False)],
    ):
        probe = {key: index for index, key in enumerate(keys)}
        if _builder(keys, pairs, "R", True)(probe) != _builder(keys, pairs, "R", False)(probe):
            return "a generated builder disagrees with the plain one"
    return None


@dataclass(slots=True)
class Rewrite:
    """The outcome of rewriting one attribute mapping."""

    attributes: Any
    dropped: int = 0
    changed: bool = False


class _AllKeys:
    """Compares as a superset of every key set: the "clean" set of a permissive policy."""

    def __ge__(self, other: object) -> bool:
        return True

    def __contains__(self, item: object) -> bool:
        return True

    def issuperset(self, other: object) -> bool:
        return True


ALL_KEYS: Any = _AllKeys()
HOT_KEYS = 256


class KeySpace:
    """The attribute rules for one place (spans, logs, or one metric) under one policy."""

    def __init__(
        self,
        policy: Policy,
        signal: str,
        metric: str | None = None,
        allowed: frozenset[str] | None = None,
        cardinality_limit: int | None = None,
    ) -> None:
        self.policy = policy
        self.signal = signal
        self.metric = metric
        self.allowed = allowed
        self.plans: dict[tuple[Any, ...], Plan] = {}
        """The bounded plan cache (read directly by the instruments' hot path)."""
        self._steps: dict[Any, Step] = {}
        self.cardinality_limit = cardinality_limit
        self._seen_sets: set[frozenset[Any]] = set()
        self._seen_lock = threading.Lock()
        self.clean: Any
        if policy.permissive:
            self.clean = ALL_KEYS
        elif policy.failed or cardinality_limit:
            # Without a usable snapshot every key is decided (see ``Policy.failed``); with a
            # cardinality limit every attribute set must be seen: nothing is "clean".
            self.clean = frozenset()
        else:
            keys = allowed if allowed is not None else policy.contracts.attributes.keys()
            steps = ((k, self.step(k)) for k in keys)
            self.clean = frozenset(k for k, s in steps if s.op == KEEP and not s.counts)
        self.hot: frozenset[Any] = frozenset()
        """The clean keys seen lately (at most :data:`HOT_KEYS`): a table small enough to stay
        in the CPU cache, tested before ``clean`` on the span path."""

    def warm(self, keys: Any) -> None:
        """Add clean ``keys`` to :attr:`hot` while it has room (a lost race loses nothing)."""
        hot = self.hot
        if len(hot) < HOT_KEYS:
            self.hot = hot.union(keys)

    # --- decisions -------------------------------------------------------------------------

    def _count(
        self, name: object, violation: Violation, action: str, renamed_to: str | None = None
    ) -> CountKey:
        return CountKey(
            signal=self.signal,
            name=name if isinstance(name, str) else repr(name),
            rule=violation.code,
            action="report" if self.policy.config.mode == "report" else action,
            metric=self.metric,
            renamed_to=renamed_to,
        )

    def step(self, key: Any) -> Step:
        """The decision for one key (cached)."""
        found = self._steps.get(key)
        if found is None:
            found = self._decide(key)
            if len(self._steps) >= self.policy.config.cache_size * 4:
                _evict_oldest(self._steps)
            self._steps[key] = found
        return found

    def _decide(self, key: Any) -> Step:
        config = self.policy.config
        report = config.mode == "report"
        if self.policy.failed:  # nothing is known: no value passes (fail closed)
            on_error = config.on_error
            name = "no snapshot yet" if self.policy.waiting else "unusable snapshot"
            count = CountKey(self.signal, name, INTERNAL_ERROR, on_error, self.metric)
            return Step(DROP if on_error == "drop" else REDACT, key, (count,))
        if not isinstance(key, str):
            action = config.action_for(Violation.UNKNOWN_ATTRIBUTE, "")
            return self._violation(key, Violation.UNKNOWN_ATTRIBUTE, action, report)
        contract = self.policy.contracts.attribute(key)
        target = key
        counts: list[CountKey] = []
        # a sensitive key stays sensitive under its new name, whatever that name's contract
        sensitive = contract is not None and contract.sensitive
        if contract is not None and contract.deprecated:
            action = config.action_for(Violation.DEPRECATED_NAME, key)
            renamed = contract.renamed_to
            if action == "rename" and renamed:
                counts.append(self._count(key, Violation.DEPRECATED_NAME, "rename", renamed))
                if not report:
                    target = renamed
                    contract = self.policy.contracts.attribute(renamed)
            elif action in ("drop", "redact"):
                return self._violation(key, Violation.DEPRECATED_NAME, action, report)
            else:
                counts.append(self._count(key, Violation.DEPRECATED_NAME, "pass", renamed))
                if not renamed:  # known, not unknown: dropping it would merge metric series
                    return Step(KEEP, key, tuple(counts))
        if contract is None or (self.allowed is not None and target not in self.allowed):
            action = config.action_for(Violation.UNKNOWN_ATTRIBUTE, target)
            if action in ("drop", "redact") and not report:
                step = self._violation(key, Violation.UNKNOWN_ATTRIBUTE, action, report)
                return Step(step.op, target, tuple(counts) + step.counts)
            counts.append(self._count(target, Violation.UNKNOWN_ATTRIBUTE, "pass"))
            if not sensitive:
                return Step(KEEP if target == key else RENAME, target, tuple(counts))
            contract = None
        if sensitive or (contract is not None and contract.sensitive):
            action = config.action_for(Violation.SENSITIVE_VALUE, target)
            if action in ("drop", "redact"):
                counts.append(self._count(target, Violation.SENSITIVE_VALUE, action))
                if not report:
                    return Step(DROP if action == "drop" else REDACT, target, tuple(counts))
            else:
                counts.append(self._count(target, Violation.SENSITIVE_VALUE, "pass"))
        if contract is None:  # not in the registry under its new name, kept (``pass``)
            return Step(KEEP if target == key else RENAME, target, tuple(counts))
        type_action = config.action_for(Violation.WRONG_TYPE, target)
        enum_action = config.action_for(Violation.ENUM_VALUE, target)
        needs_check = (type_action != "pass" and contract.checks_type) or (
            enum_action != "pass" and contract.enum_values is not None
        )
        op = RENAME if target != key else KEEP
        if needs_check:
            return Step(CHECK, target, tuple(counts), contract, type_action, enum_action)
        return Step(op, target, tuple(counts))

    def _violation(self, key: Any, violation: Violation, action: str, report: bool) -> Step:
        if action == "rename":  # nothing to rename to: leave it, but count it
            action = "pass"
        count = self._count(key, violation, action)
        if report or action == "pass":
            return Step(KEEP, key, (count,))
        return Step(DROP if action == "drop" else REDACT, key, (count,))

    def plan(self, keys: tuple[Any, ...]) -> Plan:
        """The cached plan for an ordered key set."""
        found = self.plans.get(keys)
        if found is None:
            steps = tuple(self.step(k) for k in keys)
            found = Plan(
                keys, steps, self.policy.config.redacted_value, self.policy.generated_builders
            )
            accounting = self.policy.accounting
            if len(self.plans) >= self.policy.config.cache_size:
                evicted = _evict_oldest(self.plans)
                if evicted is not None:
                    accounting.retire_plan(evicted)
            if found.counts:
                accounting.track_plan(found)
            self.plans[keys] = found
        return found

    def retire(self) -> None:
        """Fold the counts of every cached plan into the accounts (the space is replaced)."""
        for plan in list(self.plans.values()):
            self.policy.accounting.retire_plan(plan)

    # --- applying --------------------------------------------------------------------------

    def rewrite(self, attributes: Mapping[Any, Any]) -> Rewrite:
        """Apply the plan for ``attributes``' keys; the input mapping is never changed."""
        plan = self.plan(tuple(attributes))
        plan.hits += 1
        if plan.trivial and not self.cardinality_limit:
            return Rewrite(attributes)
        if plan.checked:
            out, dropped = self._apply_checked(plan, attributes)
        else:
            out, dropped = _build(plan, attributes), plan.dropped
        if self.cardinality_limit:
            out = self._limit_cardinality(out)
        return Rewrite(out, dropped, True)

    def rewrite_measurement(self, attributes: Mapping[Any, Any]) -> Any:
        """``rewrite`` for a measurement: just the attributes (or :data:`DROP_MEASUREMENT`)."""
        plan = self.plan(tuple(attributes))
        if plan.checked or self.cardinality_limit:
            return self.rewrite(attributes).attributes
        plan.hits += 1
        if plan.trivial:
            return attributes
        return plan.build(attributes) if plan.build is not None else attributes

    def _apply_checked(
        self, plan: Plan, attributes: Mapping[Any, Any]
    ) -> tuple[dict[Any, Any], int]:
        out: dict[Any, Any] = {}
        report = self.policy.config.mode == "report"
        redacted = self.policy.config.redacted_value
        kept = plan.kept
        # a step per attribute: the plan is the one of these attributes' keys
        for step, (key, value) in zip(plan.steps, attributes.items()):
            if key not in kept:
                continue
            op = step.op
            if op == CHECK:
                op, value = self._check(step, key, value, report)
            if op == DROP:
                continue
            out[kept[key]] = redacted if op == REDACT else value
        return out, len(attributes) - len(out)

    def _check(self, step: Step, key: Any, value: Any, report: bool) -> tuple[int, Any]:
        contract = step.contract
        assert contract is not None
        base_op = RENAME if step.target != key else KEEP
        for violation, action, ok in (
            (Violation.WRONG_TYPE, step.type_action, contract.type_ok),
            (Violation.ENUM_VALUE, step.enum_action, _enum_check(contract)),
        ):
            if action == "pass" or ok(value):
                continue
            self.policy.accounting.add(self._count(step.target, violation, action))
            if report or action not in ("drop", "redact"):
                continue
            if action == "drop":
                return DROP, value
            return base_op, self.policy.config.redacted_value
        return base_op, value

    def _limit_cardinality(self, attributes: dict[Any, Any]) -> Any:
        identity = frozenset((k, hashable(v)) for k, v in attributes.items())
        seen = self._seen_sets
        if identity in seen:
            return attributes
        with self._seen_lock:
            if identity in seen:
                return attributes
            if len(seen) < (self.cardinality_limit or 0):
                seen.add(identity)
                return attributes
        action = self.policy.config.action_for(Violation.CARDINALITY, self.metric or "")
        self.policy.accounting.add(self._count(self.metric or "", Violation.CARDINALITY, action))
        if self.policy.config.mode == "report" or action in ("pass", "rename"):
            return attributes
        if action == "drop":
            return DROP_MEASUREMENT
        return dict(OVERFLOW_ATTRIBUTES)


def _build(plan: Plan, attributes: Mapping[Any, Any]) -> dict[Any, Any]:
    return plan.build(attributes) if plan.build is not None else dict(attributes)


def _evict_oldest(cache: dict[Any, Any]) -> Any:
    """Remove and return the oldest entry (``None`` if another thread got there first)."""
    try:
        return cache.pop(next(iter(cache)), None)
    except (RuntimeError, StopIteration):  # changed by another thread meanwhile
        return None


DROP_MEASUREMENT: Any = object()
"""Returned as the rewritten attributes when the whole measurement must be dropped."""


def _enum_check(contract: AttributeContract) -> Any:
    values = contract.enum_values
    if values is None:
        return lambda value: True

    def ok(value: Any) -> bool:
        try:
            return value in values
        except TypeError:
            return False

    return ok


def hashable(value: Any) -> Any:
    """``value`` made hashable: lists as tuples, anything else unhashable as its repr."""
    if isinstance(value, (list, tuple)):
        return tuple(hashable(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


@dataclass(frozen=True, slots=True)
class MetricDecision:
    """What the guard does with an instrument, decided when it is created."""

    emit: bool
    """False when its measurements are dropped (a no-op instrument)."""
    name: str
    """The name the instrument is created under (the ``renamed_to`` of a deprecated metric)."""
    space: KeySpace
    counts: tuple[CountKey, ...] = ()
    """Metric-level violations, counted once per measurement."""
    unit: str | None = None
    """The unit the instrument is created with (the successor's, after a rename)."""
    scale: float = 1.0
    """What each measurement is multiplied by (a rename from ``ms`` to ``s``: 0.001)."""


class Policy:
    """The compiled policy: contracts, configuration, and the key spaces built from them."""

    def __init__(
        self,
        contracts: Contracts | None,
        config: GuardConfig,
        accounting: Accounting,
        generated_builders: bool = True,
        failed: bool = False,
        waiting: bool = False,
    ) -> None:
        self.generated_builders = generated_builders
        """Whether plans may compile their rewrite to generated code (see ``compat``)."""
        self.waiting = waiting
        """True before a first snapshot arrives: nothing is known of what is sensitive, so
        the guard fails closed as for an unusable snapshot (:attr:`failed`)."""
        self.failed = failed or waiting
        """True when there is no snapshot the guard can use: then every attribute value is
        redacted (``on_error=pass``) or dropped (``on_error=drop``)."""
        self.permissive = contracts is None and not self.failed
        """True before any snapshot is known in report mode (which changes nothing): everything
        passes, nothing is counted."""
        self.ready = contracts is not None
        """A snapshot is enforced."""
        self.contracts = contracts if contracts is not None else Contracts({})
        self.config = config
        self.accounting = accounting
        self._metric_spaces: dict[tuple[str, str | None, int | None], KeySpace] = {}
        self._lock = threading.Lock()
        self.spans = KeySpace(self, "span")
        self.logs = KeySpace(self, "log")

    def retire(self) -> None:
        """Fold the counts of every cached plan into the accounts (a new policy replaced it)."""
        with self._lock:
            spaces = [self.spans, self.logs, *self._metric_spaces.values()]
        for space in spaces:
            space.retire()

    def metric_space(self, contract: MetricContract | None, name: str) -> KeySpace:
        """The key space of one metric (shared by every instrument of that name)."""
        allowed = contract.attribute_keys if contract else None
        limit = contract.cardinality_limit if contract else None
        cache_key = (name, ",".join(sorted(allowed)) if allowed else None, limit)
        with self._lock:
            space = self._metric_spaces.get(cache_key)
            if space is None:
                space = KeySpace(self, "metric", name, allowed, limit)
                self._metric_spaces[cache_key] = space
        return space

    def decide_metric(
        self, name: str, instrument: str, unit: str, taken: Collection[str] = ()
    ) -> MetricDecision:
        """Decide an instrument at creation: drop, rename or keep it; note mismatches.

        A deprecated metric is not renamed onto a name in ``taken`` (the application emits that
        one itself): the two streams would mix."""
        if self.permissive or self.failed:
            return MetricDecision(True, name, self.metric_space(None, name))
        mode = "report" if self.config.mode == "report" else None
        contract = self.contracts.metrics.get(name)

        def count(
            rule: Violation, action: str, subject: str = name, to: str | None = None
        ) -> CountKey:
            return CountKey("metric", subject, rule.code, mode or action, None, to)

        if contract is None:
            action = self.config.action_for(Violation.UNKNOWN_METRIC, name)
            action = "drop" if action == "drop" else "pass"
            emit = mode is not None or action != "drop"
            counts = (count(Violation.UNKNOWN_METRIC, action),)
            return MetricDecision(emit, name, self.metric_space(None, name), counts)
        counts_list: list[CountKey] = []
        target, scale, target_unit = name, 1.0, unit
        if contract.deprecated:
            action = self.config.action_for(Violation.DEPRECATED_NAME, name)
            renamed = contract.renamed_to
            successor = self.contracts.metrics.get(renamed) if renamed else None
            # A rename keeps the meaning: measurements are converted to the successor's unit;
            # across units that do not convert it would mix magnitudes, so the name stays.
            factor = 1.0 if successor is None else conversion_factor(unit, successor.unit)
            if action == "rename" and renamed in taken:
                action = "pass"
            if action == "rename" and renamed and factor is None:
                counts_list.append(count(Violation.DEPRECATED_NAME, "pass", to=renamed))
                counts_list.append(count(Violation.UNIT_MISMATCH, "pass", to=renamed))
                return MetricDecision(True, name, self.metric_space(contract, name),
                                      tuple(counts_list))
            if action == "rename" and renamed and factor is not None:
                counts_list.append(count(Violation.DEPRECATED_NAME, "rename", to=renamed))
                if mode is None:
                    target, contract = renamed, successor or contract
                    scale, target_unit = factor, successor.unit if successor else unit
            elif action == "drop":
                counts = (count(Violation.DEPRECATED_NAME, "drop"),)
                space = self.metric_space(contract, name)
                return MetricDecision(mode is not None, name, space, counts)
            else:
                counts_list.append(count(Violation.DEPRECATED_NAME, "pass", to=renamed))
        if not contract.legacy:
            if contract.instrument and instrument != contract.instrument:
                counts_list.append(count(Violation.INSTRUMENT_MISMATCH, "pass", target))
            if target_unit != contract.unit:
                counts_list.append(count(Violation.UNIT_MISMATCH, "pass", target))
        space = self.metric_space(contract, target)
        return MetricDecision(True, target, space, tuple(counts_list), target_unit, scale)
