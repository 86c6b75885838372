"""What a project switches off: excluded paths, unselected rules, inline ignore comments."""

from __future__ import annotations

import re
from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

_INLINE_IGNORE = re.compile(r"#\s*telemetry-contracts:\s*ignore\[([^\]]*)\]")


def rule_enabled(code: str, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> bool:
    """Whether ``code`` runs: selected (or nothing selected) and not ignored; prefixes count."""
    if select and not any(code.startswith(prefix) for prefix in select):
        return False
    return not any(code.startswith(prefix) for prefix in ignore)


def inline_ignored(line: str) -> frozenset[str]:
    """The codes a ``# telemetry-contracts: ignore[CODE, ...]`` comment on ``line`` silences."""
    if "telemetry-contracts" not in line:
        return frozenset()
    codes: set[str] = set()
    for match in _INLINE_IGNORE.finditer(line):
        codes.update(code.strip() for code in match.group(1).split(",") if code.strip())
    return frozenset(codes)


def is_excluded(relative: PurePosixPath, patterns: Sequence[str]) -> bool:
    """Whether a glob of ``exclude`` matches a path, its name, or one of its parent folders.

    ``relative`` is the path relative to the configuration's folder, so patterns read as in
    ``exclude = ["tests/fixtures", "*_pb2.py"]``.
    """
    if not patterns:
        return False
    candidates = [relative, *(parent for parent in relative.parents if parent.name)]
    return any(
        fnmatchcase(str(candidate), pattern) or fnmatchcase(candidate.name, pattern)
        for candidate in candidates
        for pattern in patterns
    )


def relative_to_root(path: Path, root: Path) -> PurePosixPath:
    """``path`` relative to ``root`` when inside it, else as given (for :func:`is_excluded`)."""
    try:
        return PurePosixPath(path.resolve().relative_to(root.resolve()).as_posix())
    except ValueError:
        return PurePosixPath(path.as_posix())
