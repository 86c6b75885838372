"""Conversion factors between commensurable UCUM units, as the guard applies them."""

from __future__ import annotations

import pytest

from telemetry_contracts.schemas.ucum import conversion_factor, parse_unit


@pytest.mark.parametrize(
    ("source", "target", "factor"),
    [
        ("ms", "s", 0.001),
        ("s", "ms", 1000.0),
        ("us", "s", 1e-6),
        ("min", "s", 60.0),
        ("KiBy", "By", 1024.0),
        ("By", "bit", 8.0),
        ("By/s", "kBy/s", 0.001),
        ("1", "%", 100.0),
        ("10*3.By", "kBy", 1.0),
        ("{request}", "{request}", 1.0),
        ("ms{request}", "s{request}", 0.001),
    ],
)
def test_commensurable_units_convert(source: str, target: str, factor: float) -> None:
    assert conversion_factor(source, target) == pytest.approx(factor)


@pytest.mark.parametrize(
    ("source", "target"),
    [("ms", "By"), ("By/s", "By"), ("{request}", "1"), ("{packet}", "{request}"),
     ("Cel", "K"), ("not a unit", "s"), ("s", "")],
)
def test_other_pairs_do_not_convert(source: str, target: str) -> None:
    assert conversion_factor(source, target) is None


def test_a_quotient_divides() -> None:
    assert [unit.exponent for unit in parse_unit("By/(s.m2)").units] == [1, -1, -2]
