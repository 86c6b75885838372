"""``telemetry-contracts lint``: resolve registries, run the rules, apply suppressions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from telemetry_contracts.ci import suppressions
from telemetry_contracts.ci.config import PYPROJECT, ProjectConfig
from telemetry_contracts.ci.rule_docs import rule_doc
from telemetry_contracts.ci.verdict import judge
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.codes import CodeDoc
from telemetry_contracts.schemas.findings import ContractError, Finding, Severity
from telemetry_contracts.schemas.snapshot import Snapshot
from telemetry_contracts.validators import check
from telemetry_contracts.validators.rule import OPENTELEMETRY_SCHEMA_PREFIX
from telemetry_contracts.validators.rule_set import RuleSet


@dataclass
class LintResult:
    """The findings to report, how many were accepted by the baseline, and the exit code."""

    findings: list[Finding]
    exit_code: int
    accepted: int = 0
    baseline_written: int | None = None
    registries: list[str] = field(default_factory=list)
    custom: tuple[CodeDoc, ...] = ()
    """The documentation of the declared and plugin rules that ran."""


def registry_paths(paths: Sequence[str], config: ProjectConfig) -> list[str]:
    """The registries to lint: the given PATHs, else ``registry`` from the configuration."""
    if paths:
        return list(paths)
    configured = config.reference("registry")
    if configured:
        return [configured]
    raise ContractError(
        "TC100", "no registry to lint: pass PATH or set `registry` in "
        "[tool.telemetry-contracts]", "pyproject.toml",
    )


def semconv_baseline(snapshot: Snapshot) -> Snapshot | None:
    """The semantic conventions to check collisions against; None for OpenTelemetry's own."""
    if (snapshot.schema_url or "").startswith(OPENTELEMETRY_SCHEMA_PREFIX):
        return None
    from telemetry_contracts.resolution.baseline import baseline_snapshot

    return baseline_snapshot()


def lint_registry(reference: str, rules: RuleSet | None = None) -> list[Finding]:
    """Every rule's findings on one registry (raises :class:`ContractError` on bad input):
    the keys its files' newer syntax has that were skipped (TC111), then the built-in rules, or
    ``rules`` (built-in, declared and plugin rules)."""
    loaded = load_registry(reference)
    snapshot = loaded.snapshot
    baseline = semconv_baseline(snapshot)
    skipped = [finding for document in loaded.documents for finding in document.skipped]
    return skipped + (check(snapshot, baseline=baseline) if rules is None else rules.check(
        snapshot, baseline))


def run_lint(
    paths: Sequence[str],
    config: ProjectConfig,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    fail_on: Severity | None = None,
    baseline_file: Path | None = None,
    write_baseline: Path | None = None,
) -> LintResult:
    """Lint, filter and judge: options given here extend (ignore) or replace (select, fail-on,
    baseline file) the configuration's."""
    suppressions.require_known_codes(
        [("--select", select), ("--ignore", ignore),
         (str(config.root / PYPROJECT), [*config.select, *config.ignore])])
    references = registry_paths(paths, config)
    rules = config.rule_set()
    findings: list[Finding] = list(rules.problems)
    for reference in references:
        findings.extend(lint_registry(reference, rules))
    findings = suppressions.per_path_regraded(findings, config.per_path_severity,
                                              config.root)
    findings = suppressions.select_codes(
        findings, list(select) or config.select, [*config.ignore, *ignore]
    )
    per_path = {**config.per_path_ignores}
    for pattern in config.exclude:  # excluded files report nothing
        per_path[pattern] = [*per_path.get(pattern, []), "TC"]
    findings = suppressions.per_path_ignored(findings, per_path, config.root)
    findings = suppressions.inline_ignored(findings, suppressions.file_line_reader())
    verdict = judge(findings, config, fail_on, baseline_file, write_baseline)
    return LintResult(verdict.findings, verdict.exit_code, verdict.accepted,
                      verdict.baseline_written, references,
                      tuple(rule_doc(rule) for rule in rules.custom_rules))
