"""Every rule is documented, and its own bad example fails it while its good example passes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from telemetry_contracts.resolution.baseline import baseline_snapshot
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.findings import ContractError, Finding
from telemetry_contracts.validators import Rule, all_rules, check
from telemetry_contracts.validators.rule import COLLECTIONS, Context

RULES = all_rules()
Lint = Callable[..., list[Finding]]


def test_codes_are_unique_and_in_the_lint_ranges() -> None:
    codes = [rule.code for rule in RULES]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"TC[2-7]\d\d", code) for code in codes)
    assert codes == sorted(codes)


def test_names_are_unique_kebab_case() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in names)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rule_is_documented(rule: Rule) -> None:
    assert rule.severity in ("error", "warning", "info")
    assert rule.summary.endswith(".") and len(rule.summary) < 100
    assert len(rule.rationale) > 60
    assert rule.bad_example != rule.good_example


LOADER_REFUSES = {"TC407": "TC103"}
"""Rules whose bad example the file loader already refuses (they guard snapshots from JSON or
a server); the rule itself is tested on such a snapshot in its own module."""


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_bad_example_fails_and_good_example_passes(rule: Rule, lint: Lint) -> None:
    baseline = baseline_snapshot()
    if rule.code in LOADER_REFUSES:
        with pytest.raises(ContractError) as refused:
            lint(rule.bad_example, rule.code, baseline=baseline)
        assert refused.value.finding.code == LOADER_REFUSES[rule.code]
        assert not lint(rule.good_example, rule.code, baseline=baseline)
        return
    bad = lint(rule.bad_example, rule.code, baseline=baseline)
    good = lint(rule.good_example, rule.code, baseline=baseline)
    assert bad, f"{rule.code}'s bad example raised no finding"
    assert all(f.severity == rule.severity and f.subject for f in bad)
    assert not good, [f.one_line() for f in good]


def test_findings_are_located_in_the_file(lint: Lint) -> None:
    text = "file_format: definition/2\nattributes:\n  - key: Status\n    type: string\n"
    findings = lint(text)
    assert {f.code for f in findings} >= {"TC201", "TC203"}
    assert all(f.location.file.endswith("contracts.yaml") for f in findings)
    assert all((f.location.line, f.location.column) == (3, 5) for f in findings)


def test_select_and_ignore_take_code_prefixes(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "file_format: definition/2\nattributes:\n  - key: Status\n    type: string\n"
    )
    snapshot = load_registry(tmp_path).snapshot
    assert {f.code for f in check(snapshot, select=["TC201"])} == {"TC201"}
    assert "TC201" not in {f.code for f in check(snapshot, ignore=["tc20"])}
    assert {f.code for f in check(snapshot, select=["TC2"], ignore=["TC201"])} == {"TC203"}


OVERLAPS = {"TC206": {"TC701"}}
"""Codes another rule's bad example also raises by nature (`otel.` is a semconv namespace)."""


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_examples_raise_no_other_findings(rule: Rule, lint: Lint) -> None:
    baseline = baseline_snapshot()
    assert lint(rule.good_example, baseline=baseline) == []
    if rule.code not in LOADER_REFUSES:
        others = {f.code for f in lint(rule.bad_example, baseline=baseline)} - {rule.code}
        assert others <= OVERLAPS.get(rule.code, set())


@pytest.mark.parametrize("rule", [rule for rule in RULES if rule.reads != COLLECTIONS
                                  and rule.code not in LOADER_REFUSES], ids=lambda r: r.code)
def test_a_rule_finds_nothing_without_the_collections_it_reads(rule: Rule, tmp_path: Path
                                                              ) -> None:
    (tmp_path / "contracts.yaml").write_text(rule.bad_example)
    snapshot = load_registry(tmp_path).snapshot
    context = Context(snapshot, baseline_snapshot())
    assert list(rule.check(context)), "the bad example still fails the rule itself"
    emptied = snapshot.model_copy(update=dict.fromkeys(rule.reads, ()))
    assert list(rule.check(Context(emptied, baseline_snapshot()))) == []
    assert rule.code not in {f.code for f in check(emptied, baseline=baseline_snapshot())}


def test_rules_that_read_only_empty_collections_are_skipped(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    (tmp_path / "contracts.yaml").write_text(
        "file_format: definition/2\nattributes:\n  - key: app.Status\n    type: string\n"
        "    brief: Status.\n    stability: development\n")
    snapshot = load_registry(tmp_path).snapshot
    ran: list[str] = []
    for rule in RULES:
        def recorded(context: Context, rule: Rule = rule, original: Callable[..., Any] = rule.check
                     ) -> Any:
            ran.append(rule.code)
            return original(context)

        monkeypatch.setattr(rule, "check", recorded)
    check(snapshot)
    assert "TC201" in ran and "TC406" in ran, "attribute rules run"
    assert not {"TC204", "TC301", "TC601", "TC603", "TC704"} & set(ran), "metric rules do not"
