"""TC2xx naming rules beyond each rule's own examples."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from telemetry_contracts.resolution.loader import load_registry
from telemetry_contracts.schemas.findings import Finding
from telemetry_contracts.validators import check
from tests.validators.contract_text import attribute, metric, registry

Lint = Callable[..., list[Finding]]


@pytest.mark.parametrize(
    ("key", "codes"),
    [
        ("shop.order_id", set()),
        ("k8s.pod.uid", set()),
        ("shop.Order", {"TC201"}),
        ("shop.order-id", {"TC202"}),
        ("shop..id", {"TC202"}),
        ("shop.order__id", {"TC202"}),
        ("shop.order_", {"TC202"}),
        ("shop.2fa", {"TC202"}),
        ("shop.Order-Id", {"TC201", "TC202"}),
        ("shop", {"TC203"}),
    ],
)
def test_attribute_key_format(lint: Lint, key: str, codes: set[str]) -> None:
    found = {f.code for f in lint(registry(attribute(key, examples=["x"])))} & {
        "TC201", "TC202", "TC203"}
    assert found == codes


def test_deprecated_names_are_not_checked_for_format(lint: Lint) -> None:
    text = registry(attribute("Shop", deprecated={"reason": "obsoleted"}))
    assert not lint(text, "TC201") and not lint(text, "TC203")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("shop.request.duration_seconds", "TC204"),
        ("shop.payload.size_bytes", "TC204"),
        ("shop.latency_ms", "TC204"),
        ("shop.orders_total", "TC205"),
        ("shop.order.counter", "TC205"),
    ],
)
def test_unit_and_type_words_in_metric_names(lint: Lint, name: str, code: str) -> None:
    findings = lint(registry(metrics=metric(name)), code)
    assert [f.subject for f in findings] == [name]


def test_type_word_only_counts_at_the_end(lint: Lint) -> None:
    assert not lint(registry(metrics=metric("shop.heap.total_allocated", unit="By")), "TC205")


def test_otel_namespace_is_allowed_in_opentelemetry_registries(
    lint: Lint, tmp_path: Path
) -> None:
    text = registry(attribute("otel.team", examples=["x"]))
    assert lint(text, "TC206")
    otel = tmp_path / "otel"
    otel.mkdir()
    (otel / "c.yaml").write_text(text)
    (otel / "manifest.yaml").write_text("schema_url: https://opentelemetry.io/schemas/1.44.0\n")
    assert not [f for f in check(load_registry(otel).snapshot) if f.code == "TC206"]


def test_name_is_namespace_ignores_deprecated_keys(lint: Lint) -> None:
    text = registry(
        attribute("shop.cart", deprecated={"reason": "obsoleted"})
        + attribute("shop.cart.size", "int")
    )
    assert not lint(text, "TC207")


def test_count_suffix_is_fine_on_updowncounters(lint: Lint) -> None:
    assert lint(registry(metrics=metric("shop.order.count", "counter")), "TC208")
    assert not lint(registry(metrics=metric("shop.order.count", "updowncounter")), "TC208")


HOSTILE_NAMES = [
    "",
    "payments.a\nb",
    "payments.\u202eliated",
    "payments.<img src=x onerror=alert(1)>",
    "payments." + "a" * 100_000,
    "_payments.amount",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES,
                         ids=["empty", "newline", "rtl", "html", "long", "leading-underscore"])
@pytest.mark.parametrize("deprecated", [None, "", {"reason": "obsoleted"}])
def test_every_name_has_safe_characters_and_length(
    lint: Lint, name: str, deprecated: object
) -> None:
    extra = {} if deprecated is None else {"deprecated": deprecated}
    text = registry(
        attribute(json.dumps(name), examples=["x"], **extra),
        metric(json.dumps(name), **extra),
    )
    findings = lint(text, "TC209")
    assert [(f.severity, f.subject) for f in findings] == [("error", name), ("error", name)]
    assert all("\n" not in f.message and len(f.message) < 200 for f in findings)
    # The style rules leave such a name to TC209 instead of echoing it again.
    assert not [f for f in lint(text) if f.code in ("TC201", "TC202", "TC203")]


def test_legacy_names_of_the_official_model_pass(lint: Lint) -> None:
    text = registry(attribute("shop.Legacy-Name_1", examples=["x"], deprecated=""))
    assert lint(text, "TC209") == []
