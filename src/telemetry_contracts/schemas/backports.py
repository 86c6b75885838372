"""What Python 3.11 added that the package uses, for Python 3.10: ``StrEnum`` and ``tomllib``
(its ``tomli`` original, a dependency on 3.10 only)."""

from __future__ import annotations

import sys
from enum import Enum

if sys.version_info >= (3, 11):
    from enum import StrEnum

    import tomllib
else:  # pragma: no cover - exercised by the CPython 3.10 run of CI
    import tomli as tomllib

    class StrEnum(str, Enum):
        """An enum whose members are strings and print as their values, as 3.11's."""

        def __str__(self) -> str:
            return str(self.value)

        def __format__(self, spec: str) -> str:
            return str(self.value).__format__(spec)

__all__ = ["StrEnum", "tomllib"]
