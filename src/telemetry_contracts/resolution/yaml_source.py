"""Safe, bounded YAML reading that remembers the line and column of every value.

Plain scalars are typed by YAML 1.2's core schema, as Weaver (serde_yaml) reads them, not by
PyYAML's YAML 1.1 rules: ``yes``, ``no``, ``on`` and ``off`` are strings, ``010`` is ten,
``1_000`` and ``1:30`` are strings. Uses PyYAML's C composer where present. Files over the size
limit, documents whose aliases expand past the node budget, and nesting deeper than the depth
limit are refused before they cost memory or time.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from typing import Any

import yaml

from telemetry_contracts.schemas.findings import ContractError

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 8 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")
"""The file names read as YAML."""
MAX_EXPANDED_NODES = 1_000_000
MAX_DEPTH = 64

_STR = "tag:yaml.org,2002:str"
_SCALAR_CONSTRUCTORS = {
    "tag:yaml.org,2002:int": "construct_yaml_int",
    "tag:yaml.org,2002:float": "construct_yaml_float",
    "tag:yaml.org,2002:bool": "construct_yaml_bool",
    "tag:yaml.org,2002:null": "construct_yaml_null",
}
"""Constructors of explicitly tagged scalars (``!!int 7``)."""
_FLOW_BRACKETS = re.compile(rb"[\[\]{}]")

Mark = tuple[int, int]


_IMPLICIT_TAG = "?"
"""What the composer is told every untagged node's tag is; the builder types plain scalars."""
_CORE_WORDS: dict[str, Any] = {
    **dict.fromkeys(("", "~", "null", "Null", "NULL")),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **{sign + word: float(sign + "inf") for sign in ("", "+", "-")
       for word in (".inf", ".Inf", ".INF")},
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
}
"""YAML 1.2's core schema: the words that are null, booleans and the special floats."""
_CORE_NUMBERS: tuple[tuple[re.Pattern[str], Callable[[str], Any]], ...] = (
    (re.compile(r"[-+]?[0-9]+\Z"), int),
    (re.compile(r"0o[0-7]+\Z"), lambda text: int(text[2:], 8)),
    (re.compile(r"0x[0-9a-fA-F]+\Z"), lambda text: int(text[2:], 16)),
    (re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z"), float),
)
"""YAML 1.2's core schema: the patterns of integers and floats, and their values."""
_NUMBER_FIRST = frozenset("0123456789+-.")
_TYPED_FIRST = _NUMBER_FIRST | frozenset("~nNtTfF")
"""First characters of the plain scalars the core schema may type (and the empty one)."""


class _Loader(_BaseLoader):
    """The safe C composer with its per-node Python callbacks replaced by C builtins.

    libyaml calls ``resolve`` and the path-resolver hooks once per node; bound ``str.format``
    methods accept and ignore any arguments and return a constant, so composing costs no Python
    frames. Plain scalars are then typed once in :class:`_Builder` with the safe loader's rules.
    """

    resolve = _IMPLICIT_TAG.format
    descend_resolver = "".format
    ascend_resolver = "".format


def _plain_scalar(text: str) -> Any:
    """A plain (unquoted) scalar's value by YAML 1.2's core schema."""
    if text in _CORE_WORDS:
        return _CORE_WORDS[text]
    if text[:1] in _NUMBER_FIRST:
        for pattern, value in _CORE_NUMBERS:
            if pattern.match(text):
                return value(text)
    return text


class YamlMap(dict[str, Any]):
    """A mapping that knows where it and each of its values stand (see :func:`position`)."""

    __slots__ = ("mark", "marks")

    mark: yaml.Mark
    marks: dict[str, yaml.Mark]


class YamlSeq(list[Any]):
    """A sequence that knows where it and each of its items stand."""

    __slots__ = ("mark", "marks")

    mark: yaml.Mark
    marks: list[yaml.Mark]


def _line_column(mark: yaml.Mark) -> Mark:
    return mark.line + 1, mark.column + 1


def position(value: Any, key: str | None = None) -> Mark:
    """1-based (line, column) of ``value[key]`` when known, else of ``value``, else (0, 0)."""
    if key is not None and isinstance(value, YamlMap) and key in value.marks:
        return _line_column(value.marks[key])
    mark = getattr(value, "mark", None)
    return _line_column(mark) if mark is not None else (0, 0)


def locate(document: Any, path: tuple[int | str, ...]) -> Mark:
    """The line and column of the value at ``path`` (as pydantic reports ``loc``), or nearest."""
    best = position(document) if hasattr(document, "mark") else (1, 1)
    node = document
    for part in path:
        in_map = isinstance(node, YamlMap) and isinstance(part, str) and part in node
        in_seq = isinstance(node, YamlSeq) and isinstance(part, int) and 0 <= part < len(node)
        if in_map or in_seq:
            best = _line_column(node.marks[part])
            node = node[part]
        else:
            break
    return best


def read_yaml_file(path: str | os.PathLike[str], display: str) -> Any:
    """Read one YAML file; ``display`` is the name errors use for it."""
    try:
        size = os.stat(path).st_size
        if size > MAX_FILE_BYTES:
            raise ContractError(
                "TC105",
                f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit",
                display,
                1,
                1,
                hint="split the registry into smaller files",
            )
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ContractError("TC100", f"cannot read file: {error.strerror}", display) from error
    return parse_yaml(data, display)


def parse_yaml(data: bytes | str, display: str) -> Any:
    """Parse YAML text into plain values with marks; raises :class:`ContractError`."""
    if len(data) > MAX_FILE_BYTES:
        raise ContractError(
            "TC105", f"document is over the {MAX_FILE_BYTES:,}-byte limit", display, 1, 1
        )
    raw = data.encode() if isinstance(data, str) else data
    _check_flow_depth(raw, display)
    try:
        node = yaml.compose(raw, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = error.problem or error.context or "invalid YAML"
        if error.context and error.context_mark and error.problem:
            problem += f" ({error.context} at line {error.context_mark.line + 1})"
        raise ContractError(
            "TC101", f"YAML syntax error: {problem}", display, line, column
        ) from None
    except yaml.YAMLError as error:
        raise ContractError("TC101", f"YAML error: {error}", display) from None
    if node is None:
        return None
    return _Builder(display).build(node)


def located(value: Any, display: str) -> Any:
    """Plain JSON-like ``value`` shaped as :func:`parse_yaml` returns documents, every mark at
    the start of ``display``: for a document built in memory rather than read from text."""
    start = yaml.Mark(display, 0, 0, 0, "", 0)
    if isinstance(value, dict):
        mapping = YamlMap((str(key), located(item, display)) for key, item in value.items())
        mapping.mark, mapping.marks = start, dict.fromkeys(mapping, start)
        return mapping
    if isinstance(value, list):
        sequence = YamlSeq(located(item, display) for item in value)
        sequence.mark, sequence.marks = start, [start] * len(sequence)
        return sequence
    return value


def _check_flow_depth(raw: bytes, display: str) -> None:
    """Refuse flow collections nested past the depth limit before libyaml recurses into them."""
    depth = 0
    for match in _FLOW_BRACKETS.finditer(raw):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                line = raw.count(b"\n", 0, match.start()) + 1
                raise ContractError(
                    "TC106", f"nesting deeper than {MAX_DEPTH} levels", display, line
                )
        elif depth:
            depth -= 1


def _is_plain_string(node: yaml.ScalarNode) -> bool:
    """True for the common case: an untagged scalar that is quoted or cannot be typed.

    libyaml reports plain scalars with an empty style, the pure-Python parser with ``None``.
    """
    return node.tag == _IMPLICIT_TAG and bool(
        node.style or (node.value and node.value[0] not in _TYPED_FIRST)
    )


class _Builder:
    """Turns a composed node graph into dicts and lists, counting the expanded size."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.constructor = yaml.SafeLoader("")
        self.sizes: dict[int, int] = {}
        self.built: dict[int, Any] = {}

    def build(self, node: yaml.Node) -> Any:
        value, _ = self._node(node, 0)
        return value

    def _refuse(self, code: str, message: str, node: yaml.Node) -> ContractError:
        mark = node.start_mark
        return ContractError(code, message, self.display, mark.line + 1, mark.column + 1)

    def _node(self, node: yaml.Node, depth: int) -> tuple[Any, int]:
        """Return the value and its expanded node count; aliases reuse what was built."""
        if isinstance(node, yaml.ScalarNode):
            tag = node.tag
            if tag == _IMPLICIT_TAG:
                return (node.value if node.style else _plain_scalar(node.value)), 1
            if tag == _STR:
                return node.value, 1
            method = _SCALAR_CONSTRUCTORS.get(tag)
            if method is None:  # timestamps, binary and custom tags stay as written
                return node.value, 1
            node.tag = tag
            return getattr(self.constructor, method)(node), 1
        key = id(node)
        if key in self.built:
            return self.built[key], self.sizes[key]
        if depth >= MAX_DEPTH:
            raise self._refuse("TC106", f"nesting deeper than {MAX_DEPTH} levels", node)
        value: Any
        if isinstance(node, yaml.SequenceNode):
            value, size = self._sequence(node, depth)
        else:
            assert isinstance(node, yaml.MappingNode)
            value, size = self._mapping(node, depth)
        if size > MAX_EXPANDED_NODES:
            raise self._refuse(
                "TC105",
                f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (an alias bomb?)",
                node,
            )
        self.built[key] = value
        self.sizes[key] = size
        return value, size

    def _sequence(self, node: yaml.SequenceNode, depth: int) -> tuple[YamlSeq, int]:
        items = YamlSeq()
        items.mark = node.start_mark
        items.marks = []
        size = 1
        marks = items.marks
        for child in node.value:
            if type(child) is yaml.ScalarNode and _is_plain_string(child):
                items.append(child.value)
                size += 1
            else:
                value, child_size = self._node(child, depth + 1)
                items.append(value)
                size += child_size
            marks.append(child.start_mark)
        return items, size

    def _mapping(self, node: yaml.MappingNode, depth: int) -> tuple[YamlMap, int]:
        mapping = YamlMap()
        mapping.mark = node.start_mark
        mapping.marks = marks = {}
        size = 1
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._refuse("TC102", "mapping keys must be plain scalars", key_node)
            key = key_node.value
            if key == "<<":
                raise self._refuse("TC102", "YAML merge keys (`<<`) are not supported", key_node)
            if key in mapping:
                raise self._refuse("TC107", f"duplicate key `{key}` in one mapping", key_node)
            if type(value_node) is yaml.ScalarNode and _is_plain_string(value_node):
                mapping[key] = value_node.value
                size += 1
            else:
                value, child_size = self._node(value_node, depth + 1)
                mapping[key] = value
                size += child_size
            marks[key] = value_node.start_mark
        return mapping, size
