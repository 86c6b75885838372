"""Every code has one home: ``rules`` lists them all, ``rules CODE`` explains one, and
``docs/rules.md`` is generated from the same catalog."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from telemetry_contracts.ci.rule_docs import (
    RULES_INDEX,
    all_codes,
    indexed_codes,
    render_index,
    render_rules_markdown,
    rule_infos,
)
from telemetry_contracts.schemas.codes import INPUT_ERRORS
from telemetry_contracts.schemas.violations import Violation
from telemetry_contracts.validators import all_rules

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "telemetry_contracts"


def rules_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "telemetry_contracts", "rules", *args],
                          capture_output=True, text=True, check=False)


STALE = "stale; run `python -m telemetry_contracts.ci.rule_docs`"


def test_rules_page_is_current() -> None:
    page = (ROOT / "docs" / "rules.md").read_text()
    assert page == render_rules_markdown(), f"docs/rules.md is {STALE}"


def test_rules_index_is_current() -> None:
    assert RULES_INDEX.read_text() == render_index(), f"{RULES_INDEX.name} is {STALE}"
    assert indexed_codes() == all_codes()


def test_every_code_in_the_sources_is_documented_once() -> None:
    emitted = set()
    for path in SOURCES.rglob("*.py"):
        emitted |= set(re.findall(r"\bTC\d\d\d\b", path.read_text()))
    codes = [doc.code for doc in all_codes()]
    assert len(codes) == len(set(codes))
    assert emitted <= set(codes), sorted(emitted - set(codes))
    assert {v.code for v in Violation} <= set(codes)  # the guard's and the API's codes
    assert {rule.code for rule in all_rules()} <= set(codes)
    assert set(rule_infos()) == set(codes)


def test_every_code_has_rationale_examples_and_a_page_entry() -> None:
    page = render_rules_markdown()
    for doc in all_codes():
        assert f"### {doc.code}\n" in page
        assert doc.summary.endswith(".") and len(doc.rationale) > 40, doc.code
        assert doc.bad_example.strip() and doc.bad_example != doc.good_example, doc.code
        assert doc.bad_example in page and doc.good_example in page
    for prefix in ("TC1", "TC2", "TC3", "TC4", "TC5", "TC6", "TC7", "TC8", "TC9"):
        assert any(doc.code.startswith(prefix) for doc in all_codes()), prefix


def test_rules_lists_every_code() -> None:
    result = rules_cli()
    assert result.returncode == 0
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert listed == [doc.code for doc in all_codes()]
    assert "TC903" in listed and "TC110" in listed and "TC803" in listed


def test_rules_code_explains_one() -> None:
    result = rules_cli("tc803")
    assert result.returncode == 0
    assert result.stdout.startswith("TC803 deprecated-name (error)\n")
    assert 'span.set_attribute("http.method", "POST")' in result.stdout
    assert "Fix: use the successor" in result.stdout
    unknown = rules_cli("TC999")
    assert unknown.returncode == 2 and "no such code: TC999" in unknown.stderr


def test_loader_codes_are_the_ones_the_loader_raises() -> None:
    raised = set()
    for path in (SOURCES / "registry").glob("*.py"):
        raised |= set(re.findall(r'"(TC1\d\d)"', path.read_text()))
    assert raised <= {doc.code for doc in INPUT_ERRORS}
