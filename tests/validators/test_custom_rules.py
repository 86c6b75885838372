"""Declared rules (TCD) and plugin rules (TCX): each constraint finds what it should, their
examples pass the same test as the built-ins', and a broken plugin is reported, not raised."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from telemetry_contracts.ci.rule_testing import assert_examples, findings_of
from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.findings import ContractError, Finding
from telemetry_contracts.validators import all_rules, check
from telemetry_contracts.validators.custom import (
    DeclaredRuleSpec,
    RuleSettings,
    declared_rule,
    declared_rules,
    read_rule_settings,
    regraded,
)
from telemetry_contracts.validators.plugins import plugins_of
from telemetry_contracts.validators.rule import METRICS, Context, Rule, contract
from telemetry_contracts.validators.rule_set import RuleSet
from tests.validators.contract_text import attribute, metric, registry

SPECS = [
    {"code": "TCD001", "name": "payments-tenant", "message": "payments metrics carry the tenant",
     "namespace": "payments", "require-attributes": ["payments.tenant"]},
    {"code": "TCD002", "name": "owner", "message": "contracts name their owner",
     "require-annotations": ["owner"]},
    {"code": "TCD003", "name": "owned-metrics", "message": "metrics name their owner",
     "kind": ["metric"], "require-annotations": ["owner", "sensitivity"]},
    {"code": "TCD004", "name": "three-parts", "message": "names have three parts",
     "namespace": "shop", "kind": ["metric"], "name-pattern": r"shop\.[a-z]+\.[a-z_]+"},
    {"code": "TCD005", "name": "attribute-keys", "message": "keys are lower snake case",
     "kind": ["attribute"], "name-pattern": r"[a-z]+(\.[a-z_]+)+"},
    {"code": "TCD006", "name": "seconds", "message": "histograms in seconds",
     "instrument": ["histogram"], "units": ["s"]},
    {"code": "TCD007", "name": "no-underscore-id", "message": "ids are `.id`",
     "forbid-keys": ["*_id"], "severity": "warning"},
    {"code": "TCD008", "name": "no-email", "message": "no e-mail addresses",
     "namespace": "shop", "forbid-keys": ["user.email", "*.email"]},
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec["code"])
def test_a_declared_rule_explains_itself_with_examples_that_pass_the_builtin_test(
        spec: dict[str, object]) -> None:
    rule = declared_rule(DeclaredRuleSpec.model_validate(spec))
    assert rule.code == spec["code"] and rule.severity == spec.get("severity", "error")
    assert rule.summary.endswith(".") and rule.rationale and rule.bad_example != rule.good_example
    assert_examples(rule)


def run(specs: list[dict[str, object]], text: str) -> list[Finding]:
    rules = declared_rules(RuleSettings.model_validate({"rules": specs}))
    return [f for f in findings_of_all(rules, text) if f.code.startswith("TCD")]


def findings_of_all(rules: tuple[Rule, ...], text: str) -> list[Finding]:
    found: list[Finding] = []
    for rule in rules:
        found += findings_of(rule, text, semconv=False)
    return found


def test_required_attributes_only_under_the_namespace() -> None:
    text = registry(
        attributes=attribute("payments.tenant"),
        metrics=metric("payments.charge.count") + metric("shop.order.count")
        + metric("payments.refund.count", attributes=[{"ref": "payments.tenant"}]),
    )
    found = run([SPECS[0]], text)
    assert [(f.code, f.subject) for f in found] == [("TCD001", "payments.charge.count")]
    assert found[0].message == ("payments metrics carry the tenant: `payments.charge.count` "
                                "does not carry `payments.tenant`")
    assert found[0].location.line > 0


def test_forbidden_keys_in_definitions_and_references() -> None:
    text = registry(
        attributes=attribute("shop.user_id") + attribute("shop.user.id"),
        metrics=metric("shop.visits", attributes=[{"ref": "shop.user_id"}]),
    )
    found = run([SPECS[6]], text)
    assert sorted(f.message for f in found) == [
        "ids are `.id`: `shop.user_id` is forbidden",
        "ids are `.id`: `shop.visits` carries forbidden `shop.user_id`"]
    assert {f.severity for f in found} == {"warning"}


def test_units_per_instrument_and_name_patterns_per_kind() -> None:
    text = registry(
        attributes=attribute("shop.Cart"),
        metrics=metric("shop.checkout.duration", "histogram", "ms")
        + metric("shop.checkout.count", "counter", "ms") + metric("shop.visits"),
    )
    found = run([SPECS[3], SPECS[4], SPECS[5]], text)
    assert sorted((f.code, f.subject) for f in found) == [
        ("TCD004", "shop.visits"), ("TCD005", "shop.Cart"),
        ("TCD006", "shop.checkout.duration")]


def test_dependencies_are_not_checked(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text(
        "name: shop\nversion: 1.0.0\ndependencies:\n  - name: otel\n    registry_path: semconv\n")
    (tmp_path / "shop.yaml").write_text(registry(attributes=attribute("shop.cart.items")))
    rules = declared_rules(RuleSettings.model_validate({"rules": [SPECS[1]]}))
    found = check(load_registry(tmp_path).snapshot, rules=rules)
    assert [f.subject for f in found] == ["shop.cart.items"]


@pytest.mark.parametrize(("change", "complaint"), [
    ({"code": "TC201"}, "not in the declared-rule range TCD001-TCD999"),
    ({"units": ["s"]}, "exactly one of"),
    ({"require-attributes": [], "units": []}, "exactly one of"),
    ({"kind": ["attribute"]}, "does not apply to ['attribute']"),
    ({"name-pattern": "(", "require-attributes": []}, "not a regular expression"),
    ({"colour": "red"}, "Extra inputs are not permitted"),
])
def test_an_invalid_declaration_names_the_file_and_the_field(
        tmp_path: Path, change: dict[str, object], complaint: str) -> None:
    spec = {**SPECS[0], **change}
    path = tmp_path / "rules.toml"
    lines = [f"{key} = {_toml(value)}" for key, value in spec.items()]
    path.write_text("[[rules]]\n" + "\n".join(lines) + "\n")
    with pytest.raises(ContractError) as raised:
        read_rule_settings(path)
    assert raised.value.finding.code == "TC100"
    assert (raised.value.finding.location.file, raised.value.finding.location.line) == (
        str(path), 1)
    assert complaint in raised.value.finding.message and "rules.0" in raised.value.finding.message


def _toml(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return '"' + str(value).replace("\\", "\\\\") + '"'


def test_a_code_declared_twice_is_refused() -> None:
    settings = RuleSettings.model_validate({"rules": [SPECS[0], {**SPECS[1], "code": "TCD001"}]})
    with pytest.raises(ContractError, match="TCD001 is used twice"):
        declared_rules(settings)


def test_a_rule_without_a_makeable_example_asks_for_one() -> None:
    spec = DeclaredRuleSpec.model_validate({**SPECS[3], "name-pattern": ".*"})
    with pytest.raises(ContractError, match="give `bad-example` and `good-example`"):
        declared_rule(spec)
    given = spec.model_copy(update={"bad_example": "x: 1\n", "good_example": "y: 2\n"})
    assert declared_rule(given).bad_example == "x: 1\n"


def test_the_rules_file_may_be_a_pyproject(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n[tool.telemetry-contracts]\nregistry = "t"\n'
                    'ignore = ["TC2"]\nseverity = {TCD = "info"}\n'
                    '[[tool.telemetry-contracts.rules]]\n'
                    'code = "TCD001"\nname = "a"\nmessage = "m"\nunits = ["s"]\n')
    settings = read_rule_settings(path)
    assert [r.code for r in settings.rules] == ["TCD001"]
    assert (settings.ignore, settings.severity) == (["TC2"], {"TCD": "info"})


def test_the_longest_code_or_prefix_sets_the_severity() -> None:
    findings = [Finding(code=code, severity="error", message="m", location={"file": "f"})
                for code in ("TCD001", "TCD002", "TC301")]
    tuned = regraded(findings, {"TCD": "warning", "tcd002": "info"})
    assert [f.severity for f in tuned] == ["warning", "info", "error"]


class NoDebugMetrics(Rule):
    code = "TCX101"
    name = "no-debug-metrics"
    severity = "error"
    reads = METRICS
    summary = "Metric names have no `debug` segment."
    rationale = "Debug metrics are added for one investigation and never removed again."
    bad_example = contract("""
        metrics:
          - name: shop.debug.depth
            instrument: gauge
            unit: "{item}"
            brief: b
    """)
    good_example = bad_example.replace("debug.", "queue.")

    def check(self, context: Context) -> Iterator[Finding]:
        for item in context.own_metrics:
            if "debug" in item.name.split("."):
                yield self.finding(item, f"`{item.name}` is a debug metric", context)


class Raising(NoDebugMetrics):
    code = "TCX102"
    name = "raising"

    def check(self, context: Context) -> Iterator[Finding]:
        raise KeyError("shop.orders")


class Undocumented(NoDebugMetrics):
    code = "TCX103"
    rationale = ""


class WrongRange(NoDebugMetrics):
    code = "TC299"


def point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group="telemetry_contracts.rules")


HERE = "tests.validators.test_custom_rules"


def test_plugins_load_classes_instances_and_lists_and_report_the_broken_ones() -> None:
    loaded = plugins_of([
        point("good", f"{HERE}:NoDebugMetrics"),
        point("raising", f"{HERE}:Raising"),
        point("missing", "acme_rules_that_do_not_exist:RULES"),
        point("mixed", f"{HERE}:PLUGIN_LIST"),
        point("again", f"{HERE}:NoDebugMetrics"),
    ])
    assert [rule.code for rule in loaded.rules] == ["TCX101", "TCX102"]
    lines = [problem.one_line() for problem in loaded.problems]
    assert all(p.code == "TC120" and p.severity == "warning" for p in loaded.problems)
    assert lines == [
        "entry point good: warning TC120 plugin `good` (tests.validators.test_custom_rules:"
        "NoDebugMetrics) rule TCX101 is already provided by tests.validators.test_custom_rules",
        "entry point missing: warning TC120 plugin `missing` (acme_rules_that_do_not_exist:"
        "RULES) cannot be loaded: ModuleNotFoundError: No module named "
        "'acme_rules_that_do_not_exist'",
        "entry point mixed: warning TC120 plugin `mixed` (tests.validators.test_custom_rules:"
        "PLUGIN_LIST) rule TCX103 lacks `rationale`",
        "entry point mixed: warning TC120 plugin `mixed` (tests.validators.test_custom_rules:"
        "PLUGIN_LIST) rule `WrongRange` has code `TC299`, not one of TCX001-TCX999",
        "entry point mixed: warning TC120 plugin `mixed` (tests.validators.test_custom_rules:"
        "PLUGIN_LIST) `'not a rule'` is not a telemetry_contracts.validators.rule.Rule",
    ]


PLUGIN_LIST = [Undocumented, WrongRange(), "not a rule"]


def test_a_raising_rule_is_one_finding_and_the_others_still_run(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(NoDebugMetrics.bad_example.replace('"{item}"', "ms"))
    declared = declared_rules(RuleSettings.model_validate({"rules": [SPECS[1]]}))
    rules = RuleSet((*all_rules(), NoDebugMetrics(), Raising(), *declared))
    found = rules.check(load_registry(tmp_path).snapshot)
    codes = {f.code for f in found}
    assert {"TCX101", "TCD002", "TC121", "TC303"} <= codes, codes
    (failed,) = [f for f in found if f.code == "TC121"]
    assert failed.one_line() == (
        f"{tmp_path.name}: warning TC121 rule TCX102 ({HERE}.Raising) raised KeyError: "
        "'shop.orders'; its findings are missing")


def test_the_plugin_helper_passes_a_good_rule_and_fails_a_wrong_one() -> None:
    assert_examples(NoDebugMetrics())
    with pytest.raises(AssertionError, match="raised KeyError"):
        assert_examples(Raising())

    class Swapped(NoDebugMetrics):
        bad_example, good_example = NoDebugMetrics.good_example, NoDebugMetrics.bad_example

    with pytest.raises(AssertionError, match="the bad example raised no TCX101 finding"):
        assert_examples(Swapped())
