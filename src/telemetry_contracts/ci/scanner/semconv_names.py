"""Which names in a Python file are ``opentelemetry.semconv`` constants, and their string values.

Imports are read from the file's syntax tree and the constants from the installed package's
source (:func:`~telemetry_contracts.resolution.baseline.semconv_module_constants`), so neither the
scanned code nor the semconv modules are imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from telemetry_contracts.resolution.baseline import (
    MetricFactory,
    semconv_metric_factories,
    semconv_module_constants,
)

SEMCONV_PACKAGE = "opentelemetry.semconv"


class SemconvNames:
    """The semconv bindings of one file's imports, resolving expressions to constant values."""

    def __init__(self, imports: Iterable[ast.Import | ast.ImportFrom]) -> None:
        self._bindings: dict[str, str] = {}
        self._star_modules: list[str] = []
        for node in imports:
            if isinstance(node, ast.Import):
                self._bind_import(node)
            elif node.level == 0 and node.module and _is_semconv(node.module):
                self._bind_from(node.module, node)

    def __bool__(self) -> bool:
        return bool(self._bindings or self._star_modules)

    def _bind_import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not _is_semconv(alias.name):
                continue
            if alias.asname:
                self._bindings[alias.asname] = alias.name
            else:
                head = alias.name.partition(".")[0]
                self._bindings[head] = head

    def _bind_from(self, module: str, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self._star_modules.append(module)
            else:
                self._bindings[alias.asname or alias.name] = f"{module}.{alias.name}"

    def _named(self, expression: ast.expr) -> tuple[str, str | None] | None:
        """``(source text, the qualified name it is bound to)`` of a dotted ``expression``;
        the qualified name is None when its first part comes from no ``import``."""
        if not self:
            return None
        parts = dotted_parts(expression)
        if parts is None:
            return None
        head = self._bindings.get(parts[0])
        return ".".join(parts), None if head is None else ".".join([head, *parts[1:]])

    def resolve(self, expression: ast.expr) -> tuple[str, str] | None:
        """``(value, source text)`` when ``expression`` names a semconv string constant."""
        named = self._named(expression)
        if named is None:
            return None
        written, qualified = named
        if qualified is not None:
            value = resolve_qualified(qualified)
            return (value, written) if value is not None else None
        for module in self._star_modules:
            value = semconv_module_constants(module).get(written)
            if value is not None:
                return value, written
        return None

    def resolve_factory(self, expression: ast.expr) -> tuple[MetricFactory, str] | None:
        """``(helper, source text)`` when ``expression`` names a semconv ``create_*`` helper."""
        named = self._named(expression)
        if named is None:
            return None
        written, qualified = named
        if qualified is not None:
            module, _, function = qualified.rpartition(".")
            found = semconv_metric_factories(module).get(function) if _is_semconv(module) else None
            return (found, written) if found is not None else None
        for module in self._star_modules:
            found = semconv_metric_factories(module).get(written)
            if found is not None:
                return found, written
        return None


def resolve_qualified(qualified: str) -> str | None:
    """The value of ``opentelemetry.semconv.<module>.<NAME>`` (or ``...<Class>.<NAME>``)."""
    if not qualified.startswith(SEMCONV_PACKAGE + "."):
        return None
    parts = qualified.split(".")
    for split in (len(parts) - 1, len(parts) - 2):
        if split < 3:
            break
        constants = semconv_module_constants(".".join(parts[:split]))
        value = constants.get(".".join(parts[split:]))
        if value is not None:
            return value
    return None


def _is_semconv(module: str) -> bool:
    return module == SEMCONV_PACKAGE or module.startswith(SEMCONV_PACKAGE + ".")


def dotted_parts(expression: ast.expr) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``; None for anything but names and attribute chains."""
    parts: list[str] = []
    while isinstance(expression, ast.Attribute):
        parts.append(expression.attr)
        expression = expression.value
    if not isinstance(expression, ast.Name):
        return None
    parts.append(expression.id)
    parts.reverse()
    return parts
