"""The built-in ``semconv`` baseline, read from the installed semantic-conventions package.

The package's modules are parsed with :mod:`ast`, never imported: keys, stability (stable modules
versus ``_incubating``), deprecations with their single replacement, enum members, and metric
names with instrument and unit all come from constants and their docstrings.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import importlib.util
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from telemetry_contracts.schemas.model import (
    Attribute,
    Deprecation,
    EnumMember,
    Instrument,
    Metric,
    Stability,
)
from telemetry_contracts.schemas.snapshot import Snapshot

PACKAGE = "opentelemetry-semantic-conventions"
REGISTRY_NAME = "semconv"
_SINGLE_REPLACEMENT = re.compile(r"^Deprecated: (?:Replaced by|Use) `([^`]+)`(?: instead)?\.?$")
_MOVED_TO_STABLE = re.compile(r"^Deprecated in favor of stable :py:const:`([\w.]+)`")
_INSTRUMENT = re.compile(r"^Instrument: (\w+)$", re.MULTILINE)
_UNIT = re.compile(r"^Unit: (.*)$", re.MULTILINE)
_SCHEMA_VERSION = re.compile(r"^V(\d+)_(\d+)_(\d+)$")


@dataclass(frozen=True)
class Constant:
    """A ``NAME: Final = "value"`` constant and the docstring under it."""

    module: str
    name: str
    value: str
    doc: str

    @property
    def stability(self) -> Stability:
        return "development" if "._incubating." in f".{self.module}." else "stable"


def semconv_package_dir() -> Path:
    """The directory of the installed ``opentelemetry.semconv`` package (found, not imported)."""
    spec = importlib.util.find_spec("opentelemetry.semconv")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{PACKAGE} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


_PARSE_LOCK = threading.Lock()


def _parse_source(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse`` under a lock: CPython 3.11's parser fails when threads parse at once
    ("AST constructor recursion depth mismatch"), and a server builds the baseline from any
    request thread."""
    with _PARSE_LOCK:
        return ast.parse(source, filename)


@functools.lru_cache(maxsize=1)
def baseline_snapshot() -> Snapshot:
    """The baseline as a resolved snapshot (computed once per process)."""
    root = semconv_package_dir()
    attribute_constants = _module_constants(root, "attributes")
    metric_constants = _module_constants(root, "metrics")
    enums = _enum_classes(root, "attributes")
    by_qualified = {f"{c.module}.{c.name}": c.value for c in attribute_constants + metric_constants}

    attributes: dict[str, Attribute] = {}
    for constant in _prefer_stable(attribute_constants):
        members = enums.get(_enum_class_name(constant.name), ())
        attributes[constant.value] = Attribute(
            key=constant.value,
            type=_attribute_type(constant, members),
            members=members,
            brief=_brief(constant.doc),
            stability=constant.stability,
            deprecated=_deprecation(constant, by_qualified),
        )
    metrics: dict[str, Metric] = {}
    for constant in _prefer_stable(metric_constants):
        instrument = _INSTRUMENT.search(constant.doc)
        unit = _UNIT.search(constant.doc)
        metrics[constant.value] = Metric(
            name=constant.value,
            instrument=_instrument(instrument.group(1) if instrument else "gauge"),
            unit=unit.group(1).strip() if unit else "",
            brief=_brief(constant.doc),
            stability=constant.stability,
            deprecated=_deprecation(constant, by_qualified),
        )
    version = package_schema_version(root)
    return Snapshot.build(
        registry=REGISTRY_NAME,
        version=version,
        schema_url=f"https://opentelemetry.io/schemas/{version}",
        attributes=attributes.values(),
        metrics=metrics.values(),
    )


def package_schema_version(root: Path | None = None) -> str:
    """The newest schema version the package's ``schemas.py`` names."""
    tree = _parse_source(((root or semconv_package_dir()) / "schemas.py").read_text())
    versions = [
        tuple(int(part) for part in match.groups())
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in ([node.target] if isinstance(node, ast.AnnAssign) else node.targets)
        if isinstance(target, ast.Name) and (match := _SCHEMA_VERSION.match(target.id))
    ]
    if not versions:
        return importlib.metadata.version(PACKAGE)
    return ".".join(str(part) for part in max(versions))


def _module_constants(root: Path, kind: str) -> list[Constant]:
    """Constants of ``kind/*.py`` in the stable and the ``_incubating`` tree."""
    constants: list[Constant] = []
    for directory, module_prefix in ((root / kind, f"opentelemetry.semconv.{kind}"),
                                     (root / "_incubating" / kind,
                                      f"opentelemetry.semconv._incubating.{kind}")):
        for path in sorted(directory.glob("*.py")):
            if path.name == "__init__.py":
                continue
            module = f"{module_prefix}.{path.stem}"
            constants.extend(_constants(_parse_source(path.read_text()), module))
    return constants


def _constants(tree: ast.Module, module: str) -> Iterator[Constant]:
    """Module-level ``NAME: Final = "value"`` constants."""
    return _string_assignments(tree.body, module, annotated_only=True)


def _string_assignments(
    body: list[ast.stmt], module: str, annotated_only: bool, prefix: str = ""
) -> Iterator[Constant]:
    """``NAME = "value"`` statements of one body (annotated ones only if asked), with docstrings."""
    for index, node in enumerate(body):
        target: ast.expr
        if isinstance(node, ast.AnnAssign):
            target = node.target
        elif isinstance(node, ast.Assign) and not annotated_only and len(node.targets) == 1:
            target = node.targets[0]
        else:
            continue
        if not (isinstance(target, ast.Name) and isinstance(node.value, ast.Constant)):
            continue
        if not isinstance(node.value.value, str):
            continue
        doc = ""
        following = body[index + 1] if index + 1 < len(body) else None
        if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            doc = str(following.value.value).strip()
        yield Constant(module, prefix + target.id, node.value.value, doc)


def semconv_module_constants(module: str) -> dict[str, str]:
    """String constants of one ``opentelemetry.semconv`` module, parsed (not imported).

    Module-level constants are keyed by name (``HTTP_REQUEST_METHOD``); attributes of the legacy
    classes such as ``SpanAttributes`` and ``MetricInstruments`` by ``Class.NAME``; enum classes
    are left out (their members are values, not names). Empty when there is no such module.
    """
    return _semconv_module(module)[0]


@dataclass(frozen=True)
class MetricFactory:
    """A ``create_<metric>(meter)`` helper of a semconv metrics module: what it creates."""

    metric: str
    method: str
    """The ``Meter`` method it calls, such as ``create_histogram``."""
    unit: str | None


def semconv_metric_factories(module: str) -> dict[str, MetricFactory]:
    """The ``create_*`` helper functions of one semconv module, by function name."""
    return _semconv_module(module)[1]


@functools.lru_cache(maxsize=256)
def _semconv_module(module: str) -> tuple[dict[str, str], dict[str, MetricFactory]]:
    """Constants and metric helpers of one module, read once per process (the tree is not kept)."""
    path = _semconv_module_path(module)
    if path is None:
        return {}, {}
    tree = _parse_source(path.read_bytes(), str(path))
    constants = {c.name: c.value for c in _string_assignments(tree.body, module, False)}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and not _is_enum_class(node):
            for constant in _string_assignments(node.body, module, False, f"{node.name}."):
                constants[constant.name] = constant.value
    return constants, dict(_metric_factories(tree, constants))


def _metric_factories(
    tree: ast.Module, constants: dict[str, str]
) -> Iterator[tuple[str, MetricFactory]]:
    """``def create_x(meter): return meter.create_histogram(name=X, ..., unit="s")`` helpers."""
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("create_")):
            continue
        returned = node.body[-1] if node.body else None
        if not (isinstance(returned, ast.Return) and isinstance(returned.value, ast.Call)):
            continue
        call = returned.value
        if not isinstance(call.func, ast.Attribute):
            continue
        keywords = {keyword.arg: keyword.value for keyword in call.keywords}
        name, unit = keywords.get("name"), keywords.get("unit")
        metric = constants.get(name.id) if isinstance(name, ast.Name) else None
        if metric is None:
            continue
        unit_text = unit.value if isinstance(unit, ast.Constant) else None
        yield node.name, MetricFactory(
            metric, call.func.attr, unit_text if isinstance(unit_text, str) else None
        )


@functools.lru_cache(maxsize=1)
def _constant_names_by_value() -> dict[str, str]:
    root = semconv_package_dir()
    constants = _module_constants(root, "attributes") + _module_constants(root, "metrics")
    return {c.value: f"{c.module}.{c.name}" for c in _prefer_stable(constants)}


def semconv_constant_for(value: str) -> str | None:
    """The qualified constant (stable module preferred) whose value is ``value``, if any."""
    return _constant_names_by_value().get(value)


def _semconv_module_path(module: str) -> Path | None:
    parts = module.split(".")
    if len(parts) < 3 or parts[:2] != ["opentelemetry", "semconv"]:
        return None
    if not all(part.isidentifier() for part in parts):
        return None
    base = semconv_package_dir().joinpath(*parts[2:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _is_enum_class(node: ast.ClassDef) -> bool:
    return any(
        (isinstance(base, ast.Name) and base.id.endswith("Enum"))
        or (isinstance(base, ast.Attribute) and base.attr.endswith("Enum"))
        for base in node.bases
    )


def _enum_classes(root: Path, kind: str) -> dict[str, tuple[EnumMember, ...]]:
    """``XxxValues`` enum classes by class name, stable definitions winning."""
    found: dict[str, tuple[EnumMember, ...]] = {}
    for directory in (root / kind, root / "_incubating" / kind):
        for path in sorted(directory.glob("*.py")):
            for node in _parse_source(path.read_text()).body:
                if isinstance(node, ast.ClassDef) and node.name.endswith("Values"):
                    found.setdefault(node.name, tuple(_enum_members(node)))
    return found


def _enum_members(node: ast.ClassDef) -> Iterator[EnumMember]:
    body = node.body
    for index, item in enumerate(body):
        if not (isinstance(item, ast.Assign) and len(item.targets) == 1):
            continue
        target = item.targets[0]
        if not (isinstance(target, ast.Name) and isinstance(item.value, ast.Constant)):
            continue
        value = item.value.value
        if not isinstance(value, str | int | float | bool):
            continue
        following = body[index + 1] if index + 1 < len(body) else None
        brief = None
        if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            brief = str(following.value.value).strip() or None
        deprecated = None
        if brief and brief.startswith("Deprecated"):
            deprecated = Deprecation(reason="uncategorized", note=brief)
        yield EnumMember(id=target.id.lower(), value=value, brief=brief, deprecated=deprecated)


def _prefer_stable(constants: list[Constant]) -> Iterator[Constant]:
    """One constant per value: the stable module's when both trees define it."""
    chosen: dict[str, Constant] = {}
    for constant in constants:
        current = chosen.get(constant.value)
        if current is None or (current.stability != "stable" and constant.stability == "stable"):
            chosen[constant.value] = constant
    return iter(chosen.values())


def _enum_class_name(constant_name: str) -> str:
    return "".join(part.capitalize() for part in constant_name.split("_")) + "Values"


def _attribute_type(constant: Constant, members: tuple[EnumMember, ...]) -> str:
    """Enum when the package has members for it; template for ``*_TEMPLATE``; else ``any``."""
    if constant.name.endswith("_TEMPLATE"):
        return "template[string]"
    return "enum" if members else "any"


def _deprecation(constant: Constant, by_qualified: dict[str, str]) -> Deprecation | None:
    """The deprecation a docstring states; a move to the stable module is not one."""
    first_line = constant.doc.splitlines()[0] if constant.doc else ""
    moved = _MOVED_TO_STABLE.match(first_line)
    if moved:
        target = by_qualified.get(moved.group(1))
        if target is None or target == constant.value:
            return None
        return Deprecation(reason="renamed", renamed_to=target, note=first_line)
    deprecated_line = next(
        (line for line in constant.doc.splitlines() if line.startswith("Deprecated")), None
    )
    if deprecated_line is None:
        return None
    single = _SINGLE_REPLACEMENT.match(deprecated_line.strip())
    if single:
        return Deprecation(reason="renamed", renamed_to=single.group(1), note=deprecated_line)
    return Deprecation(reason="uncategorized", note=deprecated_line)


def _brief(doc: str) -> str:
    return doc.splitlines()[0].strip() if doc else ""


def _instrument(name: str) -> Instrument:
    normalized = name.lower()
    if normalized in ("counter", "updowncounter", "histogram", "gauge"):
        return normalized  # type: ignore[return-value]
    return "gauge"
