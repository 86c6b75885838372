"""Project configuration from ``[tool.telemetry-contracts]`` in ``pyproject.toml``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field

from telemetry_contracts.ci.choices import FailOn, SeverityLevel
from telemetry_contracts.net import is_url
from telemetry_contracts.resolution.remote import require_allowed
from telemetry_contracts.schemas.backports import tomllib
from telemetry_contracts.schemas.compatibility import CompatibilityMode
from telemetry_contracts.schemas.findings import ContractError, Severity
from telemetry_contracts.validators.custom import RuleSettings, kebab, validated

if TYPE_CHECKING:
    from telemetry_contracts.validators.rule_set import RuleSet

PYPROJECT = "pyproject.toml"
TABLE = "telemetry-contracts"


class ProjectConfig(RuleSettings):
    """Settings shared by ``lint``, ``check-code`` and ``diff``; command options override them.

    ``rules`` (declared rules), ``ignore`` and ``severity`` come from :class:`RuleSettings`."""

    model_config = ConfigDict(extra="forbid", alias_generator=kebab, populate_by_name=True)

    registry: str | None = None
    """The registry that ``lint`` checks and ``check-code`` checks against (REG)."""
    baseline: str | None = None
    """What ``diff`` compares against (REF), e.g. ``git:origin/main:telemetry``."""
    source_paths: list[str] = Field(default_factory=lambda: ["."])
    """Where ``check-code`` looks for Python files when given no PATH."""
    exclude: list[str] = Field(default_factory=list)
    """Glob patterns of paths to skip."""
    fail_on: SeverityLevel = SeverityLevel.error
    """Lowest severity that makes ``lint`` and ``check-code`` exit 1."""
    diff_fail_on: FailOn = FailOn.breaking
    compatibility: CompatibilityMode = "BACKWARD"
    select: list[str] = Field(default_factory=list)
    """Rule codes (or prefixes such as ``TC2``) to run; empty means all."""
    per_path_ignores: dict[str, list[str]] = Field(default_factory=dict)
    """Glob pattern to the rule codes ignored in matching files."""
    per_path_severity: dict[str, dict[str, Severity]] = Field(default_factory=dict)
    """Glob pattern to ``severity`` tables for matching files (they win over ``severity``)."""
    findings_baseline: str | None = None
    """A file of accepted findings: only findings not in it fail the run."""

    root: Path = Field(default=Path("."), exclude=True)
    """The directory the configuration was found in; relative paths are taken from it."""

    def checked(self, key: Literal["registry", "baseline"]) -> str | None:
        """The configured ``registry`` or ``baseline`` as written; a URL only when the user
        allowed its origin (the file may come from an untrusted change), else TC110."""
        value: str | None = getattr(self, key)
        if value is not None and is_url(value):
            path = self.root / PYPROJECT
            require_allowed(value, str(path), _line_of(path, kebab(key)))
        return value

    def rule_set(self, plugins: bool = True) -> RuleSet:
        """The built-in rules, the declared ones and (with ``plugins``) the installed plugins'."""
        from telemetry_contracts.validators.rule_set import rule_set

        return rule_set(self, str(self.root / PYPROJECT), plugins)

    def reference(self, key: Literal["registry", "baseline"]) -> str | None:
        """:meth:`checked`, with a relative directory taken from the configuration's root."""
        value = self.checked(key)
        if value is None or value.startswith(("git:", "http://", "https://")):
            return value
        if value == "semconv" or Path(value).is_absolute():
            return value
        relative = self.root / value
        try:
            return str(relative.relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(relative)


def _line_of(path: Path, key: str) -> int:
    """The line that sets ``key`` in ``path`` (0 when it cannot be told)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return 0
    pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
    return next((number for number, line in enumerate(lines, 1) if pattern.match(line)), 0)


def load_config(start: Path | None = None) -> ProjectConfig:
    """The configuration of the nearest ``pyproject.toml`` at or above ``start``, or defaults."""
    directory = (start or Path.cwd()).resolve()
    for candidate in (directory, *directory.parents):
        path = candidate / PYPROJECT
        if path.is_file():
            return _read(path)
    return ProjectConfig(root=directory)


def _read(path: Path) -> ProjectConfig:
    try:
        text = path.read_text()
        document = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ContractError("TC100", f"cannot read configuration: {error}", str(path)) from None
    table = document.get("tool", {}).get(TABLE, {})
    return validated(ProjectConfig, {**table, "root": path.parent}, str(path), text)
