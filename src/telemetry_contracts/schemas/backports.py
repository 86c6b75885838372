"""What newer Pythons added that the package uses: for 3.10, 3.11's ``StrEnum`` and ``tomllib``
(its ``tomli`` original, a dependency before 3.11); for 3.9, where only the guard runs, 3.10's
``dataclass(slots=...)`` and ``entry_points(group=...)``."""

from __future__ import annotations

import sys
from enum import Enum
from typing import TYPE_CHECKING, Any

if sys.version_info >= (3, 10):
    from dataclasses import dataclass
else:  # pragma: no cover - exercised by the CPython 3.9 run of CI
    import dataclasses

    def dataclass(cls: Any = None, /, *, slots: bool = False, **options: Any) -> Any:
        """``dataclasses.dataclass`` taking 3.10's ``slots`` and, on 3.9, leaving it out."""
        return dataclasses.dataclass(cls, **options) if cls else dataclasses.dataclass(**options)


def entry_points(*, group: str) -> Any:
    """The installed entry points of ``group``; ``importlib.metadata`` (some 15 ms) is imported
    on the first call, not with the guard or at the command line's start."""
    import importlib.metadata

    if sys.version_info >= (3, 10):
        return importlib.metadata.entry_points(group=group)
    return importlib.metadata.entry_points().get(group, ())  # pragma: no cover - 3.9

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - exercised by the CPython 3.10 run of CI

    class StrEnum(str, Enum):
        """An enum whose members are strings and print as their values, as 3.11's."""

        def __str__(self) -> str:
            return str(self.value)

        def __format__(self, spec: str) -> str:
            return str(self.value).__format__(spec)

if TYPE_CHECKING:
    import tomllib


def __getattr__(name: str) -> Any:
    """``tomllib``, imported on first use: the guard and the command line's start need none."""
    if name != "tomllib":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised by the CPython 3.10 run of CI
        import tomli as tomllib
    return tomllib


__all__ = ["StrEnum", "dataclass", "entry_points", "tomllib"]
