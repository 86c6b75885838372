"""The built-in ``semconv`` baseline: the resolved official model and the history of its names.

The baseline ships as package data generated from the official model. The code scanner also
reads the installed ``opentelemetry-semantic-conventions`` modules (parsed with :mod:`ast`, never
imported) to resolve the constants and helpers scanned code uses.
"""

from __future__ import annotations

import ast
import functools
import gzip
import importlib.metadata
import importlib.util
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from telemetry_contracts.resolution.yaml_source import read_yaml_file
from telemetry_contracts.schemas.model import (
    Attribute,
    LegacyName,
    Metric,
    Stability,
)
from telemetry_contracts.schemas.snapshot import Snapshot

PACKAGE = "opentelemetry-semantic-conventions"
REGISTRY_NAME = "semconv"
_SCHEMA_VERSION = re.compile(r"^V(\d+)_(\d+)_(\d+)$")
_SCHEMA_VERSION_NAME = re.compile(r"^\d+\.\d+\.\d+$")


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


DATA_FILE = Path(__file__).with_name("data") / "semconv.json.gz"
"""The built-in baseline: written by ``scripts/generate_semconv_baseline.py``."""
BASELINE_RELEASE = "v1.44.0"
FIRST_HISTORY_RELEASE = (1, 21, 0)
FIRST_SCHEMA_FILE = (1, 4, 0)
MAX_RENAME_CHAIN = 32


@functools.lru_cache(maxsize=1)
def baseline_snapshot() -> Snapshot:
    """The baseline as a resolved snapshot, read from the package data (once per process)."""
    return Snapshot.from_json_bytes(gzip.decompress(DATA_FILE.read_bytes()))


def baseline_bytes(snapshot: Snapshot) -> bytes:
    """The package data's bytes for ``snapshot``: its JSON, gzipped with no timestamp."""
    return gzip.compress(snapshot.to_json_bytes(), compresslevel=9, mtime=0)


def build_baseline(corpus: Path, release: str = BASELINE_RELEASE) -> Snapshot:
    """The complete resolved official model of ``release`` with the history of its names.

    ``corpus`` holds one ``vX.Y.Z/model`` directory per official release and the official
    schema files under ``schemas/``. History: every attribute and metric any release from
    v1.21.0 up to ``release`` defined, and every rename the schema files list, that ``release``
    does not define, chained to today's name; the newest model's own ``renamed_to`` wins.
    """
    from telemetry_contracts.resolution.loader import load_registry

    target = _version(release)
    current = load_registry(corpus / release / "model").snapshot
    older = [
        (name, load_registry(corpus / name / "model").snapshot)
        for name in sorted(_releases(corpus), key=_version)
        if FIRST_HISTORY_RELEASE <= _version(name) < target
    ]
    renames = _schema_file_renames(corpus / "schemas", target)
    for _, snapshot in [*older, (release, current)]:  # newer models override older statements
        for kind, items in (("attribute", snapshot.attributes), ("metric", snapshot.metrics)):
            for item in items:
                if item.deprecated is not None:
                    renames[kind].pop(_name(item), None)
                    if item.deprecated.renamed_to:
                        renames[kind][_name(item)] = item.deprecated.renamed_to
    history = _history(current, older, renames)
    version = release.removeprefix("v")
    return Snapshot.build(
        registry=REGISTRY_NAME,
        version=version,
        schema_url=current.schema_url or f"https://opentelemetry.io/schemas/{version}",
        attributes=current.attributes,
        metrics=current.metrics,
        spans=current.spans,
        events=current.events,
        entities=current.entities,
        history=history,
    )


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.removeprefix("v").split("."))


def _releases(corpus: Path) -> list[str]:
    return [p.name for p in corpus.glob("v*") if (p / "model").is_dir()]


def _name(item: Attribute | Metric) -> str:
    return item.key if isinstance(item, Attribute) else item.name


def _schema_file_renames(directory: Path, target: tuple[int, ...]) -> dict[str, dict[str, str]]:
    """Global renames of every official schema file from 1.4.0 to ``target``, oldest first.

    Attribute renames limited to some metrics or spans (``apply_to_metrics``) are not global
    names and are left out: ``type`` became ``jvm.memory.type`` only on the JVM metrics.
    """
    renames: dict[str, dict[str, str]] = {"attribute": {}, "metric": {}}
    files = sorted(
        (p for p in directory.iterdir() if _SCHEMA_VERSION_NAME.match(p.name)),
        key=lambda p: _version(p.name),
    )
    for path in files:
        if not FIRST_SCHEMA_FILE <= _version(path.name) <= target:
            continue
        document = read_yaml_file(path, str(path)) or {}
        versions = document.get("versions") or {}
        for version in sorted(versions, key=_version):
            for section in (versions[version] or {}).values():
                for change in (section or {}).get("changes") or ():
                    attributes = change.get("rename_attributes") or {}
                    scoped = any(key.startswith("apply_to_") for key in attributes)
                    if not scoped:
                        renames["attribute"].update(attributes.get("attribute_map") or {})
                    renames["metric"].update(change.get("rename_metrics") or {})
    return renames


def _history(
    current: Snapshot,
    older: list[tuple[str, Snapshot]],
    renames: dict[str, dict[str, str]],
) -> list[LegacyName]:
    today: dict[str, dict[str, Attribute | Metric]] = {
        "attribute": {a.key: a for a in current.attributes},
        "metric": {m.name: m for m in current.metrics},
    }
    seen: dict[tuple[str, str], LegacyName] = {}
    for kind in ("attribute", "metric"):
        for old in renames[kind]:
            if old not in today[kind]:
                seen[(kind, old)] = LegacyName(name=old, kind=kind)
    for release, snapshot in older:
        for attribute in snapshot.attributes:
            if attribute.key not in today["attribute"]:
                seen[("attribute", attribute.key)] = LegacyName(
                    name=attribute.key, kind="attribute", last_release=release.removeprefix("v")
                )
        for metric in snapshot.metrics:
            if metric.name not in today["metric"]:
                seen[("metric", metric.name)] = LegacyName(
                    name=metric.name,
                    kind="metric",
                    last_release=release.removeprefix("v"),
                    instrument=metric.instrument,
                    unit=metric.unit,
                )
    return [
        legacy.model_copy(
            update={"successor": _today(legacy.name, renames[legacy.kind], today[legacy.kind])}
        )
        for legacy in seen.values()
    ]


def _today(
    name: str, renames: dict[str, str], today: dict[str, Attribute | Metric]
) -> str | None:
    """Follow renames from ``name`` to a name today's model defines and does not rename."""
    target = renames.get(name)
    for _ in range(MAX_RENAME_CHAIN):
        if target is None:
            return None
        contract = today.get(target)
        following = renames.get(target)
        if contract is not None and (contract.deprecated is None or following is None):
            return target
        target = following
    return None


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


def _prefer_stable(constants: list[Constant]) -> Iterator[Constant]:
    """One constant per value: the stable module's when both trees define it."""
    chosen: dict[str, Constant] = {}
    for constant in constants:
        current = chosen.get(constant.value)
        if current is None or (current.stability != "stable" and constant.stability == "stable"):
            chosen[constant.value] = constant
    return iter(chosen.values())
