"""TC5xx rules on deprecations, rename chains and cycles, and sunset dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.validators.catalog import RULES
from telemetry_contracts.validators.rule import Context
from tests.validators.contract_text import attribute, metric, registry

Lint = Callable[..., list[Finding]]


def renamed(key: str, to: str, type_: str = "string") -> str:
    return attribute(key, type_, deprecated={"reason": "renamed", "renamed_to": to})


def test_rename_target_must_exist_as_the_same_kind(lint: Lint) -> None:
    # a metric name is no target for an attribute
    text = registry(renamed("shop.a", "shop.b.count"), metric("shop.b.count", "updowncounter"))
    assert [f.subject for f in lint(text, "TC502")] == ["shop.a"]
    assert not lint(registry(renamed("shop.a", "shop.b") + attribute("shop.b", examples=["x"])),
                    "TC502")


def test_legacy_string_deprecation_is_a_rename(lint: Lint) -> None:
    text = registry(attribute("shop.a", deprecated="Replaced by `shop.gone`."))
    assert lint(text, "TC502")


def test_chain_hint_names_the_final_name(lint: Lint) -> None:
    text = registry(renamed("shop.a", "shop.b") + renamed("shop.b", "shop.c")
                    + attribute("shop.c", examples=["x"]))
    (finding,) = lint(text, "TC503")
    assert finding.subject == "shop.a" and finding.hint == "rename straight to `shop.c`"


def test_type_change_through_enum_is_judged_by_value_type(lint: Lint) -> None:
    enum_target = (
        '  - key: shop.b\n    brief: b\n    type: {"members": [{"id": "x", "value": 1}]}\n'
    )
    assert lint(registry(renamed("shop.a", "shop.b") + enum_target), "TC504")
    assert not lint(registry(renamed("shop.a", "shop.b", "int") + enum_target), "TC504")


def test_cycles_are_reported_once_and_chains_into_cycles_are_not_cycles(lint: Lint) -> None:
    text = registry(renamed("shop.x", "shop.a") + renamed("shop.a", "shop.b")
                    + renamed("shop.b", "shop.c") + renamed("shop.c", "shop.a"))
    (finding,) = lint(text, "TC506")
    assert finding.message == "renames form a cycle: shop.a -> shop.b -> shop.c -> shop.a"
    (self_rename,) = lint(registry(renamed("shop.a", "shop.a")), "TC506")
    assert self_rename.subject == "shop.a"


def test_metric_rename_with_unit_change(lint: Lint) -> None:
    text = registry(metrics=metric("shop.old", "histogram", "s",
                                   deprecated={"reason": "renamed", "renamed_to": "shop.new"})
                    + metric("shop.new", "histogram", "ms"))
    (finding,) = lint(text, "TC505")
    assert "unit `s` -> `ms`" in finding.message


def test_sunset_is_judged_against_the_given_day(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(registry(attribute(
        "shop.a", deprecated={"reason": "obsoleted"}, annotations={"sunset": "2030-06-30"})))
    snapshot = load_registry(tmp_path).snapshot
    (rule,) = [r for r in RULES if r.code == "TC507"]
    assert not list(rule.check(Context(snapshot, today=dt.date(2030, 6, 30))))
    assert list(rule.check(Context(snapshot, today=dt.date(2030, 7, 1))))


def test_rename_to_a_template_instance_resolves_through_the_template(lint: Lint) -> None:
    text = registry(renamed("shop.content_length", "shop.header.content-length", "int")
                    + attribute("shop.header", "template[string[]]", examples=[["x"]]))
    assert not lint(text, "TC502")
    (finding,) = lint(text, "TC504")
    assert "`shop.header.content-length` (string[])" in finding.message


def test_self_rename_is_a_cycle_not_a_chain(lint: Lint) -> None:
    text = registry(renamed("shop.a", "shop.a"))
    assert lint(text, "TC506") and not lint(text, "TC503")
