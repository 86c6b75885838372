"""The rule every stored string keeps: no column of the registry's databases takes a NUL
character (PostgreSQL refuses one; SQLite would keep it)."""

from __future__ import annotations

from pydantic import AfterValidator


def no_nul(value: str) -> str:
    """``value`` if it has no NUL character."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NoNul = AfterValidator(no_nul)
NO_NUL_PATTERN = r"^[^\x00]*$"
"""The same rule for query parameters."""
