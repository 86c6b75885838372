"""The UCUM unit parser: the units semconv uses parse, malformed and unknown ones do not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry_contracts.validators.ucum import (
    SimpleUnit,
    UnitSyntaxError,
    UnknownAtomError,
    parse_unit,
)


@pytest.mark.parametrize(
    "unit",
    ["1", "s", "By", "By/s", "{request}", "{packet}/s", "Cel", "Hz", "W", "J", "V", "%",
     "m/s2", "kg.m/s2", "10*3", "10*3.{request}", "/s", "(By.s)/{packet}", "s-1", "{}"],
)
def test_valid_units_parse(unit: str) -> None:
    parse_unit(unit)


def test_parse_reports_prefixes_atoms_exponents_and_annotations() -> None:
    parsed = parse_unit("KiBy.ms-2{batch}")
    assert parsed.units == (SimpleUnit("Ki", "By"), SimpleUnit("m", "s", -2))
    assert parsed.annotations == ("batch",)
    assert parse_unit("{request}").is_annotation_only
    assert not parse_unit("By").is_annotation_only


def test_an_exact_atom_wins_over_a_prefixed_reading() -> None:
    assert parse_unit("Pa").units == (SimpleUnit("", "Pa"),)  # pascal, not peta-year
    assert parse_unit("cd").units == (SimpleUnit("", "cd"),)  # candela, not centi-day
    assert parse_unit("min").units == (SimpleUnit("", "min"),)


@pytest.mark.parametrize("unit", ["", "req / s", "{request", "s.", "(s", "s)", "10*", "./s"])
def test_malformed_units_are_syntax_errors(unit: str) -> None:
    with pytest.raises(UnitSyntaxError):
        parse_unit(unit)


@pytest.mark.parametrize("unit", ["bytes", "sec", "rpm", "Kis", "KiHz", "msec", "dmin"])
def test_unknown_symbols_are_unknown_atoms(unit: str) -> None:
    with pytest.raises(UnknownAtomError):
        parse_unit(unit)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("(){}[]./*^+-0123456789smByKiHzk%' ")), max_size=60))
def test_any_text_parses_or_is_refused_with_a_reason(text: str) -> None:
    try:
        parse_unit(text)
    except (UnitSyntaxError, UnknownAtomError) as error:
        assert str(error)


def test_hostile_nesting_is_refused_without_recursion() -> None:
    with pytest.raises(UnitSyntaxError, match="longer than"):
        parse_unit("(" * 100_000 + "s" + ")" * 100_000)
