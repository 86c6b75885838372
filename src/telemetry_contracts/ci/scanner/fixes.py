"""``--fix``: rewrite deprecated names written as string literals; every other byte stays."""

from __future__ import annotations

import re
from collections.abc import Iterable

from telemetry_contracts.ci.scanner.checks import Problem

_STRING_LITERAL = re.compile(rb"([rRuU]?)('''|\"\"\"|'|\")(.*)\2", re.DOTALL)
_SAFE_NAME = re.compile(r"[^'\"\\\r\n]*")


def line_offsets(source: bytes) -> list[int]:
    """Byte offset of the start of each line; index 0 is line 1."""
    offsets = [0]
    position = source.find(b"\n")
    while position >= 0:
        offsets.append(position + 1)
        position = source.find(b"\n", position + 1)
    return offsets


def apply_fixes(source: bytes, problems: Iterable[Problem]) -> tuple[bytes, list[Problem]]:
    """``source`` with each fixable literal replaced, and the problems that were fixed.

    A literal is rewritten only when its bytes are exactly one string token whose body is the
    deprecated name (no escapes, no implicit concatenation): its prefix and quotes are kept.
    """
    offsets = line_offsets(source)
    edits: list[tuple[int, int, bytes, Problem]] = []
    for problem in problems:
        use = problem.use
        if problem.replacement is None or use.constant is not None:
            continue
        if not _SAFE_NAME.fullmatch(problem.replacement):
            continue
        if use.line > len(offsets) or use.end_line > len(offsets):
            continue
        start = offsets[use.line - 1] + use.column
        end = offsets[use.end_line - 1] + use.end_column
        literal = _STRING_LITERAL.fullmatch(source, start, end)
        if literal is None or literal.group(3) != use.value.encode():
            continue
        prefix, quote = literal.group(1), literal.group(2)
        edits.append((start, end, prefix + quote + problem.replacement.encode() + quote, problem))
    edits.sort(key=lambda edit: edit[0])
    pieces: list[bytes] = []
    fixed: list[Problem] = []
    position = 0
    for start, end, text, problem in edits:
        if start < position:  # overlapping spans cannot happen for distinct literals
            continue
        pieces += [source[position:start], text]
        position = end
        fixed.append(problem)
    pieces.append(source[position:])
    return b"".join(pieces), fixed
