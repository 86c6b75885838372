"""The rules one run applies: the built-in ones, an organisation's declared rules and the
installed plugins' rules, with codes switched off and severities tuned."""

from __future__ import annotations

from dataclasses import dataclass, field

from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.validators import all_rules, check
from telemetry_contracts.validators.custom import RuleSettings, declared_rules, regraded
from telemetry_contracts.validators.plugins import installed_plugins
from telemetry_contracts.validators.rule import Rule


@dataclass(frozen=True)
class RuleSet:
    """Rules in code order, the findings of plugins that failed to load, and the settings."""

    rules: tuple[Rule, ...]
    problems: tuple[Finding, ...] = ()
    settings: RuleSettings = field(default_factory=RuleSettings)

    def check(self, snapshot: Snapshot, baseline: Snapshot | None = None) -> list[Finding]:
        """Every rule's findings on ``snapshot``, without the ignored codes, re-graded."""
        findings = check(snapshot, baseline=baseline, rules=self.rules,
                         ignore=self.settings.ignore)
        return regraded(findings, self.settings.severity)

    @property
    def custom_rules(self) -> tuple[Rule, ...]:
        """The declared and plugin rules."""
        return tuple(rule for rule in self.rules if rule.code[2] in "DX")


def rule_set(settings: RuleSettings | None = None, source: str = "pyproject.toml",
             plugins: bool = True) -> RuleSet:
    """The built-in rules, those ``settings`` declares (read from ``source``) and, with
    ``plugins``, the installed plugins' rules."""
    settings = settings or RuleSettings()
    loaded = installed_plugins() if plugins else None
    rules = (*all_rules(), *declared_rules(settings, source), *(loaded.rules if loaded else ()))
    return RuleSet(tuple(sorted(rules, key=lambda rule: rule.code)),
                   loaded.problems if loaded else (), settings)
