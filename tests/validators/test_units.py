"""TC3xx unit rules beyond each rule's own examples."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from telemetry_contracts.schemas.findings import Finding
from tests.validators.contract_text import metric, registry

Lint = Callable[..., list[Finding]]


@pytest.mark.parametrize(
    ("unit", "codes"),
    [
        ("s", set()),
        ("{request}", set()),
        ("By/s", set()),
        ("req / s", {"TC301"}),
        ("{request", {"TC301"}),
        ("sec", {"TC302"}),
        ("ms", {"TC303"}),
        ("MiBy", {"TC303"}),
        ("min", {"TC303"}),
        ("kBy/s", {"TC303"}),
    ],
)
def test_unit_validity_and_base_units(lint: Lint, unit: str, codes: set[str]) -> None:
    findings = lint(registry(metrics=metric("shop.payload.size", "histogram", unit)))
    assert {f.code for f in findings} & {"TC301", "TC302", "TC303"} == codes


def test_base_unit_hint_names_the_base_unit(lint: Lint) -> None:
    (finding,) = lint(registry(metrics=metric("shop.payload.size", "histogram", "KiBy")), "TC303")
    assert finding.hint is not None and "`By`" in finding.hint


@pytest.mark.parametrize("name", ["shop.cpu.time", "shop.request.duration", "shop.io.latency"])
def test_time_metrics_need_seconds(lint: Lint, name: str) -> None:
    assert lint(registry(metrics=metric(name, "histogram", "{tick}")), "TC304")
    assert not lint(registry(metrics=metric(name, "histogram", "s")), "TC304")


def test_deprecated_metrics_keep_their_old_units(lint: Lint) -> None:
    text = registry(metrics=metric("shop.request.duration", "histogram", "ms",
                                   deprecated={"reason": "obsoleted"}))
    assert not lint(text, "TC303") and not lint(text, "TC304")


def test_count_and_ratio_units(lint: Lint) -> None:
    assert lint(registry(metrics=metric("shop.order.count", "updowncounter", "By")), "TC305")
    assert not lint(registry(metrics=metric("shop.order.count", "updowncounter", "{o}")), "TC305")
    assert lint(registry(metrics=metric("shop.hit.ratio", "gauge", "{hit}")), "TC306")
    assert lint(registry(metrics=metric("shop.load", "gauge", "%")), "TC306")
    assert not lint(registry(metrics=metric("shop.hit.ratio", "gauge", "1")), "TC306")


def test_duration_instrument(lint: Lint) -> None:
    assert lint(registry(metrics=metric("shop.request.duration", "counter", "s")), "TC307")
    assert not lint(registry(metrics=metric("shop.request.duration", "histogram", "s")), "TC307")
