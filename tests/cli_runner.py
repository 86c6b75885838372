"""typer's test runner, with standard error kept apart from standard output on every click."""

from __future__ import annotations

from typer.testing import CliRunner


def cli_runner() -> CliRunner:
    """A runner whose results have ``stderr`` of their own: click 8.2 and later keep it apart
    by default and refuse ``mix_stderr``, earlier releases mix it in unless told not to."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()
