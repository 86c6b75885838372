"""TC6xx stability rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from telemetry_contracts.schemas.findings import Finding
from tests.validators.contract_text import attribute, metric, registry

Lint = Callable[..., list[Finding]]


def stable_metric_using(level: str, attribute_stability: str) -> str:
    refs = [{"ref": "shop.kind", "requirement_level": level}]
    return registry(
        attribute("shop.kind", examples=["x"], stability=attribute_stability),
        metric("shop.orders", stability="stable", attributes=refs),
    )


@pytest.mark.parametrize(
    ("level", "stability", "flagged"),
    [
        ("required", "development", True),
        ({"conditionally_required": "when known"}, "alpha", True),
        ("required", "release_candidate", False),
        ("required", "stable", False),
        ("recommended", "development", False),
    ],
)
def test_stable_metric_requirements(lint: Lint, level: object, stability: str,
                                    flagged: bool) -> None:
    findings = lint(stable_metric_using(level, stability), "TC601")  # type: ignore[arg-type]
    assert bool(findings) is flagged


def test_development_metric_may_require_development_attributes(lint: Lint) -> None:
    text = stable_metric_using("required", "development").replace("stability: \"stable\"",
                                                                  "stability: \"development\"")
    assert not lint(text, "TC601")


def test_stable_use_of_deprecated_attribute_names_the_replacement(lint: Lint) -> None:
    text = registry(
        attribute("shop.kind", deprecated={"reason": "renamed", "renamed_to": "shop.type"})
        + attribute("shop.type", examples=["x"]),
        metric("shop.orders", stability="stable", attributes=[{"ref": "shop.kind"}]),
    )
    (finding,) = lint(text, "TC602")
    assert finding.hint == "use `shop.type`"
