"""Testing a rule the way the built-in ones are tested: its bad example must trigger it and its
good example must not. For plugin authors (``assert_examples(MyRule())`` in a test)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from telemetry_contracts.resolution.baseline import baseline_snapshot
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.validators import check
from telemetry_contracts.validators.rule import Rule

__all__ = ["assert_examples", "findings_of"]


def findings_of(rule: Rule, contract_text: str, *, semconv: bool = True) -> list[Finding]:
    """``rule``'s findings on one contract file (``definition/2`` or ``groups:`` YAML),
    resolved next to the built-in semantic conventions unless ``semconv`` is false.
    :class:`AssertionError` when the rule raises (the message names the exception)."""
    with tempfile.TemporaryDirectory(prefix="rule-test-") as directory:
        (Path(directory) / "contracts.yaml").write_text(contract_text)
        snapshot = load_registry(directory).snapshot
        baseline = baseline_snapshot() if semconv else None
        findings = check(snapshot, baseline=baseline, rules=[rule])
    raised = [f.message for f in findings if f.code == "TC121"]
    assert not raised, raised[0]
    return [f for f in findings if f.code == rule.code]


def assert_examples(rule: Rule) -> None:
    """Raise :class:`AssertionError` unless ``rule.bad_example`` gives at least one finding of
    ``rule`` (with the rule's severity and a subject) and ``rule.good_example`` gives none."""
    bad = findings_of(rule, rule.bad_example)
    assert bad, f"{rule.code}: the bad example raised no {rule.code} finding"
    wrong = [f.one_line() for f in bad if f.severity != rule.severity or not f.subject]
    assert not wrong, f"{rule.code}: findings without the rule's severity or a subject: {wrong}"
    good = findings_of(rule, rule.good_example)
    assert not good, f"{rule.code}: the good example raised {[f.one_line() for f in good]}"

