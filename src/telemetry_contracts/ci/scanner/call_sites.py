"""Telemetry call sites in Python source, found in one pass over the syntax tree.

Metric instruments (``create_counter`` and its siblings), attribute keys (``set_attribute``,
``set_attributes``, span ``attributes``, measurement attribute dicts, ``Observation``, event and
exception attributes, log ``extra``), written as string literals, ``opentelemetry.semconv``
constants, or upper-case string constants of the module itself. Keys computed at run time
(f-strings, variables, calls, constants imported from elsewhere) are skipped.
"""

from __future__ import annotations

import ast
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from telemetry_contracts.ci.scanner.semconv_names import SemconvNames, dotted_parts
from telemetry_contracts.ci.scanner.triggers import marked_lines
from telemetry_contracts.schemas.model import Instrument

# (instrument, position of ``unit``) per factory method of the OpenTelemetry Meter API.
METRIC_FACTORIES: Final[dict[str, tuple[Instrument, int]]] = {
    "create_counter": ("counter", 1),
    "create_up_down_counter": ("updowncounter", 1),
    "create_histogram": ("histogram", 1),
    "create_gauge": ("gauge", 1),
    "create_observable_counter": ("counter", 2),
    "create_observable_up_down_counter": ("updowncounter", 2),
    "create_observable_gauge": ("gauge", 2),
}
# Position of the ``attributes`` argument per method that takes an attribute mapping.
ATTRIBUTE_MAPPINGS: Final[dict[str, int]] = {
    "set_attributes": 0,
    "start_span": 3,
    "start_as_current_span": 3,
    "add_event": 1,
    "record_exception": 1,
    "add": 1,
    "record": 1,
    "set": 1,
    "Observation": 1,
}
LOG_METHODS: Final = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
)
_CALL_NAMES: Final = frozenset({*METRIC_FACTORIES, *ATTRIBUTE_MAPPINGS, "set_attribute"})
# Methods so common outside telemetry that they count only as measurements (_is_measurement).
_GENERIC_METHODS: Final = frozenset({"add", "record", "set"})
_SCALAR_TYPES: Final = {str: "string", bool: "boolean", int: "int", float: "double"}


@dataclass(frozen=True, slots=True)
class LiteralValue:
    """An attribute value written as a literal: its type as the registry names types, and where.

    ``type`` is ``string``, ``int``, ``double``, ``boolean``, one of those with ``[]``, or ``[]``
    for an empty sequence.
    """

    type: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class NameUse:
    """A metric name or attribute key as written: its value and the span of its expression.

    Lines are 1-based, columns are UTF-8 byte offsets as :mod:`ast` gives them. ``constant`` is
    the expression text when the name is written as a constant (``SpanAttributes.HTTP_METHOD``,
    or a module-level ``HTTP_KEY`` of the file itself, defined on line ``defined_on``); None for
    a string literal.
    """

    value: str
    line: int
    column: int
    end_line: int
    end_column: int
    constant: str | None = None
    defined_on: int = 0
    literal: LiteralValue | None = None
    """The value set with the key, when it is a literal."""


@dataclass(frozen=True, slots=True)
class MetricSite:
    """A ``create_*`` call: metric name, instrument made, and unit (None when not known)."""

    name: NameUse
    factory: str
    instrument: Instrument
    unit: str | None


@dataclass(frozen=True, slots=True)
class CallSites:
    """Everything one file says about telemetry names."""

    metrics: tuple[MetricSite, ...]
    attribute_keys: tuple[NameUse, ...]


def find_call_sites(tree: ast.Module, source: bytes) -> CallSites:
    """The metric and attribute call sites of one parsed module (``source`` is its text)."""
    calls, imports, assignments = _walk(tree, marked_lines(source))
    names = _Names(SemconvNames(imports), _module_constants(tree))
    instruments = _instrument_variables(assignments)
    metrics: list[MetricSite] = []
    keys: list[NameUse] = []
    for call, method in calls:
        if method in METRIC_FACTORIES:
            site = _metric_site(call, method, names)
            if site is not None:
                metrics.append(site)
        elif method.startswith("create_"):
            site = _helper_site(call, names.semconv)
            if site is not None:
                metrics.append(site)
        elif method == "set_attribute":
            key = _name_use(_argument(call, 0, "key"), names, _argument(call, 1, "value"))
            if key is not None:
                keys.append(key)
        elif method in LOG_METHODS:
            keys.extend(_mapping_keys(_argument(call, None, "extra"), names))
        else:
            mapping = _argument(call, ATTRIBUTE_MAPPINGS[method], "attributes")
            if method in _GENERIC_METHODS and not _is_measurement(call, mapping, instruments):
                continue
            keys.extend(_mapping_keys(mapping, names))
    return CallSites(tuple(metrics), tuple(keys))


class _Names:
    """Constants a key may be written as: semconv ones, then the file's own module constants."""

    def __init__(self, semconv: SemconvNames, module: dict[str, tuple[str, int]]) -> None:
        self.semconv = semconv
        self.module = module

    def resolve(self, expression: ast.expr) -> tuple[str, str, int] | None:
        """``(value, expression text, line of the definition or 0)`` of a constant name."""
        resolved = self.semconv.resolve(expression)
        if resolved is not None:
            return resolved[0], resolved[1], 0
        if isinstance(expression, ast.Name) and expression.id in self.module:
            value, line = self.module[expression.id]
            return value, expression.id, line
        return None


def _module_constants(tree: ast.Module) -> dict[str, tuple[str, int]]:
    """Upper-case names bound once at module level, to a string literal: value and line."""
    found: dict[str, tuple[str, int]] = {}
    bindings: Counter[str] = Counter()
    for statement in tree.body:
        value: ast.expr | None
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
            targets, value = [statement.target], statement.value
        else:
            continue
        for target in targets:
            bindings.update(_bound_names(target))
        target = targets[0]
        if (
            isinstance(statement, ast.Assign | ast.AnnAssign)
            and len(targets) == 1
            and isinstance(target, ast.Name)
            and target.id.isupper()
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            found[target.id] = (value.value, statement.lineno)
    return {name: place for name, place in found.items() if bindings[name] == 1}


def _bound_names(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _bound_names(element)
    elif isinstance(target, ast.Starred):
        yield from _bound_names(target.value)


def _is_measurement(call: ast.Call, mapping: ast.expr | None, instruments: set[str]) -> bool:
    """Whether an ``add``/``record``/``set`` call with an attribute dict measures something.

    It does when its receiver was assigned from a metric factory in this file, or when its
    amount is a number literal (``counter.add(1, {...})``); ``cache.set(key, {...})`` does not.
    """
    if not isinstance(mapping, ast.Dict):
        return False
    receiver = dotted_parts(call.func.value) if isinstance(call.func, ast.Attribute) else None
    if receiver is not None and ".".join(receiver) in instruments:
        return True
    amount = call.args[0] if call.args else None
    if isinstance(amount, ast.UnaryOp) and isinstance(amount.op, ast.USub):
        amount = amount.operand
    return (
        isinstance(amount, ast.Constant)
        and isinstance(amount.value, int | float)
        and not isinstance(amount.value, bool)
    )


def _instrument_variables(assignments: list[ast.Assign | ast.AnnAssign]) -> set[str]:
    """Names and attribute chains (``self._requests``) assigned from a metric factory."""
    variables: set[str] = set()
    for assignment in assignments:
        value = assignment.value
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
            continue
        if value.func.attr not in METRIC_FACTORIES:
            continue
        targets = assignment.targets if isinstance(assignment, ast.Assign) else [assignment.target]
        for target in targets:
            parts = dotted_parts(target)
            if parts is not None:
                variables.add(".".join(parts))
    return variables


def _metric_site(call: ast.Call, factory: str, names: _Names) -> MetricSite | None:
    name = _name_use(_argument(call, 0, "name"), names)
    if name is None:
        return None
    instrument, unit_position = METRIC_FACTORIES[factory]
    unit_node = _argument(call, unit_position, "unit")
    unit: str | None
    if unit_node is None:
        unit = None if _has_unpacking(call) else ""
    elif isinstance(unit_node, ast.Constant) and isinstance(unit_node.value, str):
        unit = unit_node.value
    else:
        unit = None
    return MetricSite(name, factory, instrument, unit)


def _helper_site(call: ast.Call, semconv: SemconvNames) -> MetricSite | None:
    """A call of a semconv ``create_<metric>(meter)`` helper, as the instrument it creates."""
    resolved = semconv.resolve_factory(call.func)
    if resolved is None or resolved[0].method not in METRIC_FACTORIES:
        return None
    helper, written = resolved
    func = call.func
    name = NameUse(
        helper.metric, func.lineno, func.col_offset, func.end_lineno or func.lineno,
        func.end_col_offset or func.col_offset, constant=written,
    )
    instrument = METRIC_FACTORIES[helper.method][0]
    return MetricSite(name, written, instrument, helper.unit)


def _mapping_keys(mapping: ast.expr | None, names: _Names) -> list[NameUse]:
    if not isinstance(mapping, ast.Dict):
        return []
    uses = (
        _name_use(key, names, value)
        for key, value in zip(mapping.keys, mapping.values, strict=True)
        if key is not None
    )
    return [use for use in uses if use is not None]


def _name_use(
    expression: ast.expr | None, names: _Names, value_expression: ast.expr | None = None
) -> NameUse | None:
    """A literal or constant name (with its value, if literal); None when computed at run time."""
    if expression is None:
        return None
    constant: str | None = None
    defined_on = 0
    if isinstance(expression, ast.Constant):
        if not isinstance(expression.value, str):
            return None
        value = expression.value
    else:
        resolved = names.resolve(expression)
        if resolved is None:
            return None
        value, constant, defined_on = resolved
    return NameUse(
        value,
        expression.lineno,
        expression.col_offset,
        expression.end_lineno or expression.lineno,
        expression.end_col_offset or expression.col_offset,
        constant,
        defined_on,
        _literal_value(value_expression) if value_expression is not None else None,
    )


def _literal_value(expression: ast.expr) -> LiteralValue | None:
    """The type of a literal value (sequences of one scalar type included); None otherwise."""
    if isinstance(expression, ast.List | ast.Tuple):
        types = {_scalar_type(element) for element in expression.elts}
        if not types:
            kind = "[]"
        elif len(types) == 1 and None not in types:
            kind = f"{types.pop()}[]"
        elif types == {"int", "double"}:
            kind = "double[]"
        else:
            return None
    else:
        scalar = _scalar_type(expression)
        if scalar is None:
            return None
        kind = scalar
    return LiteralValue(kind, expression.lineno, expression.col_offset)


def _scalar_type(expression: ast.expr) -> str | None:
    if isinstance(expression, ast.UnaryOp) and isinstance(expression.op, ast.USub | ast.UAdd):
        expression = expression.operand
        if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
            return None
    if isinstance(expression, ast.Constant):
        return _SCALAR_TYPES.get(type(expression.value))
    return None


def _argument(call: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    """The argument passed at ``position`` or as ``keyword=``; None when absent or unknowable."""
    if position is not None and position < len(call.args):
        if any(isinstance(arg, ast.Starred) for arg in call.args[: position + 1]):
            return None
        return call.args[position]
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    return None


def _has_unpacking(call: ast.Call) -> bool:
    return any(isinstance(arg, ast.Starred) for arg in call.args) or any(
        item.arg is None for item in call.keywords
    )


_SCALAR_FIELDS: Final = frozenset(
    {"ctx", "id", "attr", "arg", "name", "names", "module", "level", "kind", "type_comment",
     "is_async", "conversion", "simple", "type_ignores"}
)
_LEAVES: Final = (ast.Constant, ast.Name, ast.alias, ast.expr_context)
_child_fields: dict[type, tuple[str, ...]] = {}


def _fields(node_type: type) -> tuple[str, ...]:
    fields = _child_fields.get(node_type)
    if fields is None:
        if not issubclass(node_type, ast.AST) or issubclass(node_type, _LEAVES):
            fields = ()
        else:
            fields = tuple(f for f in node_type._fields if f not in _SCALAR_FIELDS)
        _child_fields[node_type] = fields
    return fields


def _walk(
    tree: ast.Module, marked: list[int]
) -> tuple[
    list[tuple[ast.Call, str]], list[ast.Import | ast.ImportFrom], list[ast.Assign | ast.AnnAssign]
]:
    """Calls of interesting methods (with the method name), imports and assignments.

    Only nodes whose line range holds a marked line are entered: a call site's method name (or
    an import's ``semconv``) is on one of the lines it spans, so every enclosing node spans that
    line too. Names, constants and expression contexts are never entered.
    """
    calls: list[tuple[ast.Call, str]] = []
    imports: list[ast.Import | ast.ImportFrom] = []
    assignments: list[ast.Assign | ast.AnnAssign] = []
    stack: list[object] = [tree]
    pop, push = stack.pop, stack.append
    call_type, attribute_type, name_type = ast.Call, ast.Attribute, ast.Name
    while stack:
        node = pop()
        first = getattr(node, "lineno", None)
        if first is not None:
            decorators = getattr(node, "decorator_list", None)
            if decorators:  # a definition's line range starts at its `def`, after them
                first = decorators[0].lineno
            index = bisect_left(marked, first)
            if index == len(marked) or marked[index] > node.end_lineno:  # type: ignore[attr-defined]
                continue
        node_type = type(node)
        if node_type is call_type:
            func = node.func  # type: ignore[attr-defined]
            func_type = type(func)
            method = (
                func.attr if func_type is attribute_type
                else func.id if func_type is name_type
                else None
            )
            if method in _CALL_NAMES or method in LOG_METHODS or (
                method is not None and method.startswith("create_")
            ):
                calls.append((node, method))  # type: ignore[arg-type]
        elif node_type is ast.Import or node_type is ast.ImportFrom:
            imports.append(node)  # type: ignore[arg-type]
            continue
        elif node_type is ast.Assign or node_type is ast.AnnAssign:
            assignments.append(node)  # type: ignore[arg-type]
        for field in _fields(node_type):
            value = getattr(node, field)
            if type(value) is list:
                stack.extend(value)
            elif isinstance(value, ast.AST):
                push(value)
    return calls, imports, assignments
