"""``docs/rules.md`` is generated from the rules and documents every code the tools report."""

from __future__ import annotations

import re
from pathlib import Path

from telemetry_contracts.ci.rule_docs import LOADER_CODES, render_rules_markdown, rule_infos
from telemetry_contracts.schemas.violations import Violation
from telemetry_contracts.validators import all_rules

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "telemetry_contracts"


def test_rules_page_is_current() -> None:
    page = (ROOT / "docs" / "rules.md").read_text()
    assert page == render_rules_markdown(), (
        "docs/rules.md is stale; run `telemetry-contracts rules --markdown > docs/rules.md`")


def test_page_documents_every_code() -> None:
    page = render_rules_markdown()
    codes = [*LOADER_CODES, *(r.code for r in all_rules()), *(v.code for v in Violation)]
    for code in codes:
        assert f"### {code}\n" in page
    for rule in all_rules():
        assert rule.bad_example in page and rule.good_example in page
    assert set(rule_infos()) == set(codes)


def test_loader_codes_are_the_ones_the_loader_raises() -> None:
    raised = set()
    for path in (SOURCES / "registry").glob("*.py"):
        raised |= set(re.findall(r'"(TC1\d\d)"', path.read_text()))
    assert raised <= set(LOADER_CODES)
