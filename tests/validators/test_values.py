"""TC4xx rules on types, enums, examples, references and briefs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.schemas.model import AttributeRef
from telemetry_contracts.validators import check
from tests.validators.contract_text import attribute, metric, registry

Lint = Callable[..., list[Finding]]


@pytest.mark.parametrize(
    ("type_", "examples", "ok"),
    [
        ("string", ["a", "b"], True),
        ("string", "a", True),
        ("string", [1], False),
        ("int", [1, 2], True),
        ("int", [1.5], False),
        ("int", [True], False),
        ("double", [1, 2.5], True),
        ("double", ["1.0"], False),
        ("boolean", [True], True),
        ("boolean", ["true"], False),
        ("string[]", [["a", "b"], ["c"]], True),
        ("string[]", ["a", "b"], True),
        ("string[]", [["a", 1]], False),
        ("int[]", [[1, 2]], True),
        ("int[]", [["1"]], False),
        ("template[string]", ["v"], True),
        ("template[int]", ["v"], False),
        ("any", [{"x": 1}], True),
    ],
)
def test_example_types(lint: Lint, type_: str, examples: Any, ok: bool) -> None:
    findings = lint(registry(attribute("shop.value", type_, examples=examples)), "TC401")
    assert not findings if ok else findings


def test_enum_rules(lint: Lint) -> None:
    def enum(*members: tuple[str, object]) -> str:
        listed = ", ".join(f'{{"id": "{i}", "value": {v!r}}}' for i, v in members)
        return registry(f'  - key: shop.kind\n    brief: b\n    type: {{"members": [{listed}]}}\n')

    assert not lint(enum(("a", "a"), ("b", "b")))
    assert not lint(enum(("one", 1), ("half", 1.5)), "TC402")
    assert lint(enum(("one", 1), ("b", "b")), "TC402")
    assert lint(enum(("a", "a"), ("a", "b")), "TC403")
    assert lint(enum(("a", "a"), ("b", "a")), "TC403")
    assert lint(enum(("Big-One", "a")), "TC404")
    assert not lint(enum(("azure.vm", "a")), "TC404")


def test_missing_examples_only_for_free_form_strings(lint: Lint) -> None:
    assert lint(registry(attribute("shop.name")), "TC406")
    assert lint(registry(attribute("shop.tags", "string[]")), "TC406")
    assert not lint(registry(attribute("shop.size", "int")), "TC406")
    assert not lint(registry(attribute("shop.name", examples=["x"])), "TC406")


def test_unknown_reference_in_a_snapshot(tmp_path: Any) -> None:
    (tmp_path / "c.yaml").write_text(
        registry(attribute("shop.kind", examples=["x"]), metric("shop.order.placed"))
    )
    snapshot = load_registry(tmp_path).snapshot
    (placed,) = snapshot.metrics
    broken = snapshot.model_copy(update={"metrics": (placed.model_copy(update={
        "attributes": (AttributeRef(key="shop.kind"), AttributeRef(key="shop.knd"))}),)})
    findings = [f for f in check(broken) if f.code == "TC407"]
    assert [f.subject for f in findings] == ["shop.order.placed"]
    assert "`shop.knd`" in findings[0].message
    assert not [f for f in check(snapshot) if f.code == "TC407"]


def test_template_keys_resolve_references(tmp_path: Any) -> None:
    (tmp_path / "c.yaml").write_text(registry(attribute("shop.header", "template[string]",
                                                        examples=["x"])))
    snapshot = load_registry(tmp_path).snapshot
    from telemetry_contracts.validators.rule import Context

    assert Context(snapshot).attribute("shop.header.accept") is not None
    assert Context(snapshot).attribute("shop.headers") is None


def test_missing_brief(lint: Lint) -> None:
    text = "file_format: definition/2\nattributes:\n  - key: shop.size\n    type: int\n"
    assert lint(text, "TC408")
    assert not lint(registry(attribute("shop.size", "int")), "TC408")
