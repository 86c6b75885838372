"""Findings and errors: the one shape in which linters, the API and the guard report problems."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


def plural(count: int, noun: str) -> str:
    """``1 finding``, ``2 findings``: a count and its noun, as every report prints them."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def place(file: str, line: int = 0, column: int = 0) -> str:
    """``file:line:column`` as compilers print it (column 1 when only the line is known), the
    file alone when the line is not: how every location in this package prints."""
    if not line:
        return file
    return f"{file}:{line}:{column or 1}"


class Location(BaseModel):
    """A place in a file: path as given to the tool, 1-based line and column (0 when unknown)."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return place(self.file, self.line, self.column)


class Finding(BaseModel):
    """One problem: a stable rule code, its severity, where it is and what to do."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    message: str
    location: Location
    subject: str | None = None
    """The attribute key or metric name the finding is about, when there is one."""
    hint: str | None = None

    def one_line(self) -> str:
        """``file:line:col: severity CODE message`` as compilers print it."""
        text = f"{self.location}: {self.severity} {self.code} {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class ContractError(Exception):
    """Input that cannot be read or resolved; carries the finding that explains it."""

    def __init__(
        self,
        code: str,
        message: str,
        file: str,
        line: int = 0,
        column: int = 0,
        hint: str | None = None,
    ) -> None:
        self.finding = Finding(
            code=code,
            severity="error",
            message=message,
            location=Location(file=file, line=line, column=column),
            hint=hint,
        )
        super().__init__(self.finding.one_line())
