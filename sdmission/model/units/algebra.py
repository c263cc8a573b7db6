"""Unit algebra: units as base-dimension exponents with a scale; reading Vensim units strings."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

# unit name (lower case) -> (scale, {base: exponent})
_KNOWN: dict[str, tuple[float, dict[str, int]]] = {
    "t": (1.0, {"t": 1}),
    "kt": (1e3, {"t": 1}),
    "mt": (1e6, {"t": 1}),
    "tco2": (1.0, {"tCO2": 1}),
    "ktco2": (1e3, {"tCO2": 1}),
    "mtco2": (1e6, {"tCO2": 1}),
    "mtco2e": (1e6, {"tCO2": 1}),
    "eur": (1.0, {"EUR": 1}),
    "keur": (1e3, {"EUR": 1}),
    "meur": (1e6, {"EUR": 1}),
    "bneur": (1e9, {"EUR": 1}),
    "gj": (1.0, {"GJ": 1}),
    "tj": (1e3, {"GJ": 1}),
    "pj": (1e6, {"GJ": 1}),
    "kwh": (3.6e-3, {"GJ": 1}),
    "mwh": (3.6, {"GJ": 1}),
    "gwh": (3.6e3, {"GJ": 1}),
    "twh": (3.6e6, {"GJ": 1}),
    "fte": (1.0, {"FTE": 1}),
    "year": (1.0, {"Year": 1}),
    "years": (1.0, {"Year": 1}),
    "yr": (1.0, {"Year": 1}),
    "month": (1 / 12, {"Year": 1}),
    "months": (1 / 12, {"Year": 1}),
    "dmnl": (1.0, {}),
    "dimensionless": (1.0, {}),
    "fraction": (1.0, {}),
    "1": (1.0, {}),
}
_RTOL = 1e-9


@dataclass(frozen=True)
class Unit:
    """A unit: base-dimension exponents, a scale, and the names it was written with.

    ``exact`` is False when a numeric literal was a factor (its scale is then unknown).
    """

    dims: tuple[tuple[str, Fraction], ...]
    scale: float = 1.0
    names: tuple[tuple[str, Fraction], ...] = ()
    exact: bool = True

    @property
    def dimensionless(self) -> bool:
        return not self.dims

    def same_dims(self, other: Unit) -> bool:
        return self.dims == other.dims

    def matches(self, other: Unit) -> bool:
        """Same dimensions and (when both scales are known) the same scale."""
        if self.dims != other.dims:
            return False
        if not (self.exact and other.exact):
            return True
        return math.isclose(self.scale, other.scale, rel_tol=_RTOL)

    def __mul__(self, other: Unit) -> Unit:
        return Unit(_merge(self.dims, other.dims, 1), self.scale * other.scale,
                    _merge(self.names, other.names, 1), self.exact and other.exact)

    def __truediv__(self, other: Unit) -> Unit:
        return Unit(_merge(self.dims, other.dims, -1), self.scale / other.scale,
                    _merge(self.names, other.names, -1), self.exact and other.exact)

    def __pow__(self, power: Fraction) -> Unit:
        return Unit(tuple((k, v * power) for k, v in self.dims), self.scale ** float(power),
                    tuple((k, v * power) for k, v in self.names), self.exact)

    def inexact(self) -> Unit:
        return Unit(self.dims, self.scale, self.names, False)

    def __str__(self) -> str:
        return format_names(self.names)


DMNL = Unit(())


def _merge(a: Sequence[tuple[str, Fraction]], b: Sequence[tuple[str, Fraction]], sign: int) -> tuple[tuple[str, Fraction], ...]:
    out: dict[str, Fraction] = dict(a)
    for k, v in b:
        out[k] = out.get(k, Fraction(0)) + sign * v
    return tuple(sorted((k, v) for k, v in out.items() if v != 0))


def format_names(names: Sequence[tuple[str, Fraction]]) -> str:
    """``(('EUR', 1), ('Year', -1))`` -> ``EUR/Year``; empty -> ``Dmnl``."""

    def term(k: str, v: Fraction) -> str:
        v = abs(v)
        return k if v == 1 else f"{k}^{v}" if v.denominator == 1 else f"{k}^({v})"

    num = [term(k, v) for k, v in names if v > 0]
    den = [term(k, v) for k, v in names if v < 0]
    top = "*".join(num) if num else "1"
    if not den:
        return top if num else "Dmnl"
    bottom = den[0] if len(den) == 1 else "(" + "*".join(den) + ")"
    return f"{top}/{bottom}"


# --------------------------------------------------------------------------- parsing unit strings

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?)|([A-Za-z_$%€][\w$%€]*)|(.))")


class UnitSyntaxError(ValueError):
    """A units string that cannot be read."""


def parse_unit(text: str) -> Unit:
    """Read a Vensim units string (``EUR/(t/Year)``, ``MEUR/(FTE*Year)``, ``1/Year``, ``Dmnl``)."""
    return _UnitParser(text).parse()


class _UnitParser:
    """Recursive-descent reader of one units string: ``expr := factor (('*' | '/') factor)*``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = [(num, name, op) for num, name, op in _TOKEN.findall(text.strip()) if num or name or op.strip()]
        self.pos = 0

    def parse(self) -> Unit:
        if not self.tokens:
            raise UnitSyntaxError("empty units")
        result = self.expr()
        if self.pos != len(self.tokens):
            raise UnitSyntaxError(f"unexpected '{''.join(self.tokens[self.pos])}' in units '{self.text}'")
        return result

    def peek(self) -> tuple[str, str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str, str]:
        tok = self.peek()
        if tok is None:
            raise UnitSyntaxError(f"unexpected end of units '{self.text}'")
        self.pos += 1
        return tok

    def expr(self) -> Unit:
        out = self.factor()
        while (tok := self.peek()) is not None and tok[2] in ("*", "/"):
            self.take()
            out = out * self.factor() if tok[2] == "*" else out / self.factor()
        return out

    def factor(self) -> Unit:
        num, name, op = self.take()
        if op == "(":
            out = self.expr()
            if self.take()[2] != ")":
                raise UnitSyntaxError(f"missing ')' in units '{self.text}'")
        elif name:
            out = unit_of_name(name)
        elif num:
            if float(num) != 1.0:
                raise UnitSyntaxError(f"number {num} in units '{self.text}' (only 1 is allowed)")
            out = DMNL
        else:
            raise UnitSyntaxError(f"unexpected '{op}' in units '{self.text}'")
        if (tok := self.peek()) is not None and tok[2] == "^":
            self.take()
            out = out ** self.exponent()
        return out

    def exponent(self) -> Fraction:
        sign = -1 if (self.peek() or ("", "", ""))[2] == "-" else 1
        if sign < 0:
            self.take()
        exp_num = self.take()[0]
        if not exp_num:
            raise UnitSyntaxError(f"exponent must be a number in units '{self.text}'")
        return sign * Fraction(exp_num)


def unit_of_name(name: str) -> Unit:
    """One unit name: a known unit (case-insensitive) or a base dimension of its own."""
    known = _KNOWN.get(name.lower())
    if known is None:
        return Unit(((name, Fraction(1)),), 1.0, ((name, Fraction(1)),))
    scale, dims = known
    written = () if not dims else ((name, Fraction(1)),)
    return Unit(tuple(sorted((k, Fraction(v)) for k, v in dims.items())), scale, written)
