"""The text pre-filter: which files can hold a call site, and on which lines.

Plain substring searches, an order of magnitude faster than a regular expression: a file
without a trigger is never parsed, and in a parsed file only statements spanning a marked line
are walked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

TRIGGERS: Final = (
    b"create_counter(", b"create_up_down_counter(", b"create_histogram(", b"create_gauge(",
    b"create_observable_counter(", b"create_observable_up_down_counter(",
    b"create_observable_gauge(", b"set_attribute(", b"set_attributes(", b"start_span(",
    b"start_as_current_span(", b"add_event(", b"record_exception(", b"Observation(",
    b"extra={",
)
"""Call openings that make a call site wherever they appear (``extra`` only as a dict literal,
the one form whose keys can be read). Formatters put no space before a call's parenthesis."""
GENERIC_TRIGGERS: Final = (b".add(", b".record(", b".set(")
"""Common method names that count only when their arguments hold ``{`` or ``attributes``."""
IMPORT_MARK: Final = b"semconv"
_WINDOW: Final = 2000
_SCAN_BUDGET: Final = 200_000


HELPER_MARK: Final = b"create_"
"""The semconv ``create_<metric>(meter)`` helpers, which count in files that import semconv."""


def has_trigger(source: bytes) -> bool:
    """True when ``source`` may hold a call site."""
    if any(trigger in source for trigger in TRIGGERS):
        return True
    if IMPORT_MARK in source and HELPER_MARK in source:
        return True
    return next(_generic_positions(source), None) is not None


def marked_lines(source: bytes) -> list[int]:
    """Sorted 1-based numbers of the lines holding a trigger or ``semconv`` (for imports)."""
    positions = list(_generic_positions(source))
    helpers = (HELPER_MARK,) if IMPORT_MARK in source else ()
    for trigger in (*TRIGGERS, IMPORT_MARK, *helpers):
        positions.extend(_find_all(source, trigger))
    positions.sort()
    lines: list[int] = []
    line, previous = 1, 0
    for position in positions:
        line += source.count(b"\n", previous, position)
        previous = position
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def _find_all(source: bytes, text: bytes) -> Iterator[int]:
    position = source.find(text)
    while position >= 0:
        yield position
        position = source.find(text, position + 1)


def _generic_positions(source: bytes) -> Iterator[int]:
    """Positions of generic triggers whose argument lists may hold an attribute mapping.

    The bracket count runs in Python, so it has a budget per file: past it, every further
    occurrence counts (more lines are walked, none is missed) and hostile input stays fast.
    """
    budget = _SCAN_BUDGET
    for trigger in GENERIC_TRIGGERS:
        for position in _find_all(source, trigger):
            start = position + len(trigger)
            if budget <= 0:
                yield position
                continue
            may, scanned = _may_pass_mapping(source, start)
            budget -= scanned
            if may:
                yield position


def _may_pass_mapping(source: bytes, start: int) -> tuple[bool, int]:
    """Whether the argument list opened just before ``start`` holds ``{`` or ``attributes``,
    and how many bytes were looked at.

    A bracket count that ignores strings; an argument list longer than the window counts as
    holding one, so a long call is never missed.
    """
    depth = 1
    window = source[start : start + _WINDOW]
    for index, byte in enumerate(window):
        if byte == 0x7B:  # {
            return True, index + 1
        if byte in (0x28, 0x5B):  # ( [
            depth += 1
        elif byte in (0x29, 0x5D):  # ) ]
            depth -= 1
            if depth == 0:
                return b"attributes" in window[:index], index + 1
    return True, len(window)
