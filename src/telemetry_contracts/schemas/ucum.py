"""UCUM unit expressions (the case-sensitive form, ``c/s``), as semconv uses them: a parser and
the conversion factor between two commensurable units (``ms`` to ``s``: 0.001).

It knows the grammar in full (products, quotients, exponents, factors, parentheses and
``{annotations}``) and the unit atoms that telemetry uses: the SI base and derived units, time,
information, angle, temperature, volume and ratio units, with metric and binary prefixes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

METRIC_PREFIXES = {
    "Y": 1e24, "Z": 1e21, "E": 1e18, "P": 1e15, "T": 1e12, "G": 1e9, "M": 1e6, "k": 1e3,
    "h": 1e2, "da": 1e1, "d": 1e-1, "c": 1e-2, "m": 1e-3, "u": 1e-6, "n": 1e-9, "p": 1e-12,
    "f": 1e-15, "a": 1e-18, "z": 1e-21, "y": 1e-24,
}
BINARY_PREFIXES = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40}

METRIC_ATOMS = frozenset({
    "m", "s", "g", "rad", "K", "C", "cd", "mol", "sr", "Hz", "N", "Pa", "J", "W", "A", "V", "F",
    "Ohm", "S", "Wb", "Cel", "T", "H", "lm", "lx", "Bq", "Gy", "Sv", "l", "L", "ar", "t", "bar",
    "u", "eV", "B", "By", "bit", "Bd", "cal", "gon", "Ci", "R", "RAD", "REM", "G", "Gb", "Mx",
    "Oe", "P", "St", "dyn", "erg", "Lmb", "ph", "sb", "st",
})
"""Atoms that take prefixes (``ms``, ``kBy``)."""
PLAIN_ATOMS = frozenset({
    "10*", "10^", "[pi]", "%", "min", "h", "d", "wk", "mo", "a", "mo_j", "mo_g", "a_j", "a_g",
    "a_t", "mo_s", "deg", "'", "''", "[ppth]", "[ppm]", "[ppb]", "[pptr]", "[degF]", "[degR]",
    "[in_i]", "[ft_i]", "[yd_i]", "[mi_i]", "[lb_av]", "[oz_av]", "[gal_us]", "[psi]",
    "atm", "[iU]", "[IU]", "[car_Au]", "[HP]",
})
"""Atoms without prefixes."""
BINARY_ATOMS = frozenset({"By", "bit"})

MAX_UNIT_LENGTH = 200
"""Longer text is refused before parsing (real units are a few characters; nesting recurses)."""

_TOKEN = re.compile(r"\{[^{}]*\}|\[[^\[\]]*\]|[()./]|[+-]?\d+|[^\s{}\[\]()./\d+-]+|\S")
_PRINTABLE = re.compile(r"^[!-~]+$")


class UnitSyntaxError(ValueError):
    """The text is not a UCUM expression; the message says why."""


class UnknownAtomError(ValueError):
    """The expression is well formed but names a unit UCUM does not define."""


@dataclass(frozen=True)
class SimpleUnit:
    """One unit symbol: an optional prefix, an atom and an exponent (``ms``, ``By``, ``m2``); the
    exponent is negative for a unit divided by (``s`` in ``By/s``)."""

    prefix: str
    atom: str
    exponent: int = 1


@dataclass(frozen=True)
class ParsedUnit:
    """A parsed expression: its simple units in order, and its annotations (``{request}``)."""

    units: tuple[SimpleUnit, ...]
    annotations: tuple[str, ...]
    factor: float = 1.0
    """The numeric factors of the expression (``10*3``, ``100``)."""

    @property
    def is_annotation_only(self) -> bool:
        """True for pure counts such as ``{request}``: no unit beyond the annotation."""
        return not self.units and bool(self.annotations)


def parse_unit(text: str) -> ParsedUnit:
    """Parse ``text``; raise :class:`UnitSyntaxError` or :class:`UnknownAtomError`."""
    if not text:
        raise UnitSyntaxError("the unit is empty; use `1` for a dimensionless value")
    if len(text) > MAX_UNIT_LENGTH:
        raise UnitSyntaxError(f"the unit is longer than {MAX_UNIT_LENGTH} characters")
    if not _PRINTABLE.match(text):
        raise UnitSyntaxError("a UCUM unit has no spaces or non-ASCII characters")
    if text.count("{") != text.count("}"):
        raise UnitSyntaxError("unbalanced `{` and `}` in an annotation")
    tokens = _TOKEN.findall(text)
    parser = _Parser(tokens)
    parser.term()
    if parser.position != len(tokens):
        raise UnitSyntaxError(f"unexpected `{tokens[parser.position]}`")
    return ParsedUnit(tuple(parser.units), tuple(parser.annotations), parser.factor)


class _Parser:
    """Recursive descent over UCUM tokens: term := ['/'] component (('.'|'/') component)*."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.position = 0
        self.units: list[SimpleUnit] = []
        self.annotations: list[str] = []
        self.factor = 1.0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise UnitSyntaxError("the expression ends early")
        self.position += 1
        return token

    def term(self, sign: int = 1) -> None:
        if self.peek() == "/":
            self.take()
            self.component(-sign)
        else:
            self.component(sign)
        while self.peek() in (".", "/"):
            self.component(-sign if self.take() == "/" else sign)

    def component(self, sign: int = 1) -> None:
        token = self.take()
        if token == "(":
            self.term(sign)
            if self.take() != ")":
                raise UnitSyntaxError("missing `)`")
        elif token.startswith("{"):
            self.annotations.append(token[1:-1])
        elif token.isdigit():
            if self.peek() in ("*", "^") and token == "10":
                self.take()
                exponent = max(-300, min(300, sign * self._exponent(required=True)))
                self.factor *= 10.0**exponent
            elif token.strip("+-0"):  # a zero factor scales nothing it could convert
                self.factor *= float(token) ** sign
        elif token in (".", "/", ")"):
            raise UnitSyntaxError(f"unexpected `{token}`")
        else:
            self._simple_unit(token, sign)

    def _simple_unit(self, symbol: str, sign: int) -> None:
        prefix, atom = split_symbol(symbol)
        exponent = self._exponent(required=False)
        if self.peek() is not None and self.peek().startswith("{"):  # type: ignore[union-attr]
            self.annotations.append(self.take()[1:-1])
        self.units.append(SimpleUnit(prefix, atom, sign * exponent))

    def _exponent(self, *, required: bool) -> int:
        token = self.peek()
        if token is not None and re.fullmatch(r"[+-]?\d+", token):
            self.take()
            return int(token)
        if required:
            raise UnitSyntaxError("`10*` needs an exponent, as in `10*3`")
        return 1


def split_symbol(symbol: str) -> tuple[str, str]:
    """``(prefix, atom)`` of a unit symbol; an exact atom wins over a prefixed reading."""
    if symbol in METRIC_ATOMS or symbol in PLAIN_ATOMS:
        return "", symbol
    for prefix in (*BINARY_PREFIXES, *METRIC_PREFIXES):
        if not symbol.startswith(prefix):
            continue
        atom = symbol[len(prefix):]
        if atom in METRIC_ATOMS and (prefix not in BINARY_PREFIXES or atom in BINARY_ATOMS):
            return prefix, atom
    raise UnknownAtomError(f"`{symbol}` is not a UCUM unit")


# Magnitudes of the atoms telemetry converts between, as (factor, dimensions) over the base
# units s, bit, m, g, A, K, mol, cd, rad; temperatures with an offset (Cel, [degF]) are left out.
_DIMENSIONLESS: dict[str, int] = {}
_ATOM_MAGNITUDES: dict[str, tuple[float, dict[str, int]]] = {
    "s": (1.0, {"s": 1}), "min": (60.0, {"s": 1}), "h": (3600.0, {"s": 1}),
    "d": (86400.0, {"s": 1}), "wk": (604800.0, {"s": 1}),
    "bit": (1.0, {"bit": 1}), "By": (8.0, {"bit": 1}),
    "m": (1.0, {"m": 1}), "g": (1.0, {"g": 1}), "A": (1.0, {"A": 1}), "K": (1.0, {"K": 1}),
    "mol": (1.0, {"mol": 1}), "cd": (1.0, {"cd": 1}), "rad": (1.0, {"rad": 1}),
    "Hz": (1.0, {"s": -1}), "N": (1000.0, {"g": 1, "m": 1, "s": -2}),
    "J": (1000.0, {"g": 1, "m": 2, "s": -2}), "W": (1000.0, {"g": 1, "m": 2, "s": -3}),
    "Pa": (1000.0, {"g": 1, "m": -1, "s": -2}), "C": (1.0, {"A": 1, "s": 1}),
    "V": (1000.0, {"g": 1, "m": 2, "s": -3, "A": -1}), "l": (1e-3, {"m": 3}),
    "L": (1e-3, {"m": 3}), "%": (0.01, _DIMENSIONLESS), "[ppm]": (1e-6, _DIMENSIONLESS),
    "[ppb]": (1e-9, _DIMENSIONLESS), "[ppth]": (1e-3, _DIMENSIONLESS),
    "deg": (3.141592653589793 / 180, {"rad": 1}),
}


def _magnitude(unit: ParsedUnit) -> tuple[float, dict[str, int]] | None:
    factor = unit.factor
    dimensions: dict[str, int] = {}
    for simple in unit.units:
        known = _ATOM_MAGNITUDES.get(simple.atom)
        if known is None:
            return None
        scale = METRIC_PREFIXES.get(simple.prefix) or BINARY_PREFIXES.get(simple.prefix) or 1.0
        factor *= (known[0] * scale) ** simple.exponent
        for dimension, power in known[1].items():
            dimensions[dimension] = dimensions.get(dimension, 0) + power * simple.exponent
    return factor, {d: p for d, p in dimensions.items() if p}


def conversion_factor(source: str, target: str) -> float | None:
    """What a value in ``source`` is multiplied by to be in ``target`` (``ms``, ``s``: 0.001);
    None when the two are not commensurable or either is not a unit this module can scale.

    Annotations (``{request}``) are labels, not units: both sides must carry the same ones.
    """
    if source == target:
        return 1.0
    try:
        parsed_source, parsed_target = parse_unit(source), parse_unit(target)
    except ValueError:
        return None
    if sorted(parsed_source.annotations) != sorted(parsed_target.annotations):
        return None
    from_magnitude, to_magnitude = _magnitude(parsed_source), _magnitude(parsed_target)
    if from_magnitude is None or to_magnitude is None or from_magnitude[1] != to_magnitude[1]:
        return None
    return from_magnitude[0] / to_magnitude[0]
