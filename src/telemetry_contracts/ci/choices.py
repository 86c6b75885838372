"""The fixed choices of command-line options, kept apart so ``--help`` imports nothing heavy."""

from __future__ import annotations

from telemetry_contracts.schemas.backports import StrEnum


class ReportFormat(StrEnum):
    """The ``--format`` values every findings-producing command accepts."""

    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class DiffFormat(StrEnum):
    """``diff --format``: the findings formats plus a Markdown table for pull-request comments."""

    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    github = "github"


class ModeChoice(StrEnum):
    """``diff --mode``: the compatibility modes of ``schemas/compatibility.py`` (a test keeps
    the two lists equal), as an enum because typer reads a ``Literal`` option only from 0.19."""

    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"


class FailOn(StrEnum):
    """``diff --fail-on``: which changes make the command exit 1."""

    breaking = "breaking"
    any = "any"
    none = "none"


class ExportTarget(StrEnum):
    """``export --to``: what to write."""

    schema_file = "schema-file"
    markdown = "markdown"


class SeverityLevel(StrEnum):
    """``--fail-on`` of ``lint`` and ``check-code``."""

    error = "error"
    warning = "warning"
    info = "info"


class StatsFormat(StrEnum):
    text = "text"
    json = "json"

