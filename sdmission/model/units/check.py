"""Dimensional check of every equation of a Vensim ``.mdl``.

Units are exponent vectors over base dimensions with a scale factor, so ``MEUR`` (1e6 EUR), ``Mt``
(1e6 t), ``TWh`` (1e6 MWh) and ``PJ`` (1e6 GJ) combine exactly: ``EUR/t * Mt/Year`` is ``MEUR/Year``.
Base dimensions: product mass (``t``), CO2 mass (``tCO2``, kept apart from product mass), currency
(``EUR``), energy (``GJ``; ``MWh`` = 3.6 GJ), staff (``FTE``) and time (``Year``). Any other unit
name is its own base dimension (as in Vensim, ``Person`` and ``People`` differ).

Rules (Vensim's, stated):

- ``+ -``, comparisons, ``MIN``/``MAX``/``MODULO`` arguments and ``IF THEN ELSE`` branches need equal
  units; ``* /`` combine units; ``ZIDZ(a, b)`` is ``a/b`` and ``XIDZ(a, b, x)`` also needs ``x`` in
  ``a/b``; ``SUM``/``VMIN``/``VMAX``/``INTEGER``/``ABS`` keep units; ``SQRT`` halves exponents.
- ``a ^ b``: ``b`` dimensionless; ``a`` dimensionless unless ``b`` is a numeric constant.
- ``EXP``, ``LN``, ``LOG`` and trigonometric functions take dimensionless arguments.
- ``INTEG(rate, init)``: rate in stock units per time unit, init in stock units.
- ``SMOOTH``/``SMOOTHI``/``SMOOTH3``/``DELAY1``/``DELAY3``/``DELAY FIXED``: input and init in output
  units, delay time in the time unit. ``INITIAL(x)``: units of ``x``. ``TREND``: output per time unit.
- Lookups (``WITH LOOKUP(Time, …)``, lookup tables called as functions) take the declared units.
- **Numeric literals are unit-free.** A literal standing on its own, in a sum, a comparison, a
  ``MIN``/``MAX`` or an ``IF THEN ELSE`` branch adopts whatever unit is needed (``MAX(0, x)``,
  ``x + 1e-6``, ``IF … THEN 1 ELSE 0``), as in Vensim. In a product or quotient a literal is a pure
  number that may carry any *scale* (``x / 1e6`` converts EUR to MEUR; ``x / 4`` averages) but no
  dimension: a constant with a dimension must be a named variable with declared units (as
  ``gj per mwh``). Scale is therefore checked only in expressions without literal factors.
  ``lenient_literals=True`` (CLI ``--lenient-literals``) lets a literal factor take any unit too,
  which leaves every product with a literal factor unchecked.
- After the first mismatch inside an expression, that sub-expression counts as unit-free, so one
  error is reported once.

Units are compared after reduction (``MtCO2/Mt`` equals ``tCO2/t``); messages show the units as
written and as computed from the names in the equation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from pysd.translators.structures import abstract_expressions as ae

from sdmission.model import source
from sdmission.model.source import RawEquation, norm
from sdmission.model.structure.syntax import render
from sdmission.model.units.algebra import DMNL, Unit, UnitSyntaxError, parse_unit, unit_of_name

# --------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class UnitProblem:
    """A units mismatch in one equation.

    ``left``/``right`` are the two units that disagree (as written or as computed), ``where`` the
    sub-expression in which they meet.
    """

    variable: str
    equation: str
    what: str
    left: str
    right: str
    where: str = ""
    line: int | None = None

    def __str__(self) -> str:
        loc = f"line {self.line}: " if self.line else ""
        inner = f" in '{self.where}'" if self.where and self.where != self.equation else ""
        return (f"{loc}{self.variable}: {self.what}: {self.left} vs {self.right}{inner}\n"
                f"    {self.variable} = {self.equation}")


_SAME_ARGS = {"min": "MIN arguments differ", "max": "MAX arguments differ", "modulo": "MODULO arguments differ"}
_KEEP = {"sum", "vmin", "vmax", "integer", "int", "abs", "quantum"}
_TIME_CALLS = frozenset({"step", "ramp", "pulse", "pulse_train"})
_DMNL_ARG = {"exp", "ln", "log", "sin", "cos", "tan", "arcsin", "arccos", "arctan"}


_DELAYS = (ae.SmoothStructure, ae.SmoothNStructure, ae.DelayStructure, ae.DelayNStructure, ae.DelayFixedStructure)


def _delay_parts(node: Any) -> tuple[str, Any]:
    """A SMOOTH or DELAY node's kind (``"SMOOTH"``, ``"DELAYN"``, …) and its time argument."""
    name = type(node).__name__.replace("Structure", "").upper()
    smooth = isinstance(node, (ae.SmoothStructure, ae.SmoothNStructure))
    return name, node.smooth_time if smooth else node.delay_time


class _Checker:
    """Walks one component's syntax tree, collecting problems."""

    def __init__(self, units: Mapping[str, Unit | None], time_unit: Unit, report: Any, lenient: bool = False) -> None:
        self.lenient = lenient
        self.units = units
        self.time = time_unit
        self.report = report

    # Return None for a unit-free (wildcard) value.
    def unit(self, node: Any) -> Unit | None:
        if isinstance(node, (bool, int, float, np.integer, np.floating, np.ndarray)):
            return None
        if isinstance(node, ae.ReferenceStructure):
            if node.reference == "time":
                return self.time
            return self.units.get(node.reference)
        if isinstance(node, ae.ArithmeticStructure):
            return self.arithmetic(node)
        if isinstance(node, ae.LogicStructure):
            return self.logic(node)
        if isinstance(node, ae.CallStructure):
            return self.call(node)
        if isinstance(node, ae.InitialStructure):
            return self.unit(node.initial)
        if isinstance(node, ae.SampleIfTrueStructure):
            self.unit(node.condition)
            return self.same([node.input, node.initial], "SAMPLE IF TRUE input and initial differ", node)
        if isinstance(node, _DELAYS):
            # Inside an expression a smooth or delay has its input's units.
            name, delay = _delay_parts(node)
            got = self.unit(delay)
            if got is not None and not got.matches(self.time):
                self.report(f"{name} time is not in the time unit", str(self.time), str(got), delay)
            return self.same([node.input, node.initial], f"{name} input and initial value differ", node)
        raise _Unsupported(type(node).__name__.replace("Structure", ""))

    def same(self, args: Sequence[Any], what: str, where: Any) -> Unit | None:
        out: Unit | None = None
        for arg in args:
            u = self.unit(arg)
            if u is None:
                continue
            if out is None:
                out = u
            elif not out.matches(u):
                self.report(what, str(out), str(u), where)
                return None
            elif not u.exact:
                out = out.inexact()
        return out

    def arithmetic(self, node: ae.ArithmeticStructure) -> Unit | None:
        ops, args = node.operators, node.arguments
        if ops == ["negative"]:
            return self.unit(args[0])
        if set(ops) <= {"+", "-"}:
            return self.same(args, "terms of a sum differ" if set(ops) == {"+"} else "terms of a sum or difference differ", node)
        if set(ops) <= {"*", "/"}:
            out = self.unit(args[0])
            for op, arg in zip(ops, args[1:], strict=False):
                u = self.unit(arg)
                out = None if self.lenient and (out is None or u is None) else _combine(out, u, op)
            return out
        if ops == ["^"]:
            base, expo = args
            ub, ue = self.unit(base), self.unit(expo)
            bad_exponent = ue is not None and not (ue.dimensionless and (not ue.exact or math.isclose(ue.scale, 1.0)))
            if bad_exponent:
                self.report("exponent is not dimensionless", str(ue), "Dmnl", node)
            value = _number(expo)
            if ub is None or (bad_exponent and value is not None):
                return None
            if value is not None:
                return ub ** Fraction(value).limit_denominator(1000)
            if not ub.dimensionless or (ub.exact and not math.isclose(ub.scale, 1.0)):
                self.report("base of ^ with a variable exponent is not dimensionless", str(ub), "Dmnl", node)
                return None
            return None if bad_exponent else DMNL
        raise _Unsupported(f"operator {ops}")

    def logic(self, node: ae.LogicStructure) -> Unit | None:
        ops, args = node.operators, node.arguments
        if set(ops) <= {"=", "<>", "<", "<=", ">", ">="}:
            self.same(args, "compared values differ", node)
        else:
            for arg in args:
                self.unit(arg)
        return DMNL

    def call(self, node: ae.CallStructure) -> Unit | None:
        fn = node.function.reference
        args = node.arguments
        if fn == "if_then_else":
            self.unit(args[0])
            return self.same(args[1:], "IF THEN ELSE branches differ", node)
        if fn in _SAME_ARGS:
            return self.same(args, _SAME_ARGS[fn], node)
        if fn in _KEEP:
            return self.unit(args[0])
        if fn == "zidz":
            return _combine(self.unit(args[0]), self.unit(args[1]), "/")
        if fn == "xidz":
            quotient = _combine(self.unit(args[0]), self.unit(args[1]), "/")
            third = self.unit(args[2])
            if quotient is not None and third is not None and not quotient.matches(third):
                self.report("XIDZ value differs from the quotient", str(quotient), str(third), node)
                return None
            return quotient if quotient is not None else third
        if fn in _DMNL_ARG:
            u = self.unit(args[0])
            if u is not None and not (u.dimensionless and (not u.exact or math.isclose(u.scale, 1.0))):
                self.report(f"argument of {fn.upper()} is not dimensionless", str(u), "Dmnl", node)
            return DMNL
        if fn == "sqrt":
            u = self.unit(args[0])
            return None if u is None else u ** Fraction(1, 2)
        if fn in _TIME_CALLS:
            return self.time_call(fn, node)
        if fn in self.units:  # a lookup table called as a function
            for arg in args:
                self.unit(arg)
            return self.units[fn]
        raise _Unsupported(f"function {fn.upper()}")

    def time_call(self, fn: str, node: ae.CallStructure) -> Unit | None:
        """``STEP``, ``RAMP``, ``PULSE`` and ``PULSE TRAIN``: their times are in the time unit."""
        args = node.arguments
        if fn == "step":
            self.expect(args[1], self.time, "STEP time is not in the time unit", node)
            return self.unit(args[0])
        if fn == "ramp":
            for arg in args[1:]:
                self.expect(arg, self.time, "RAMP start/end is not in the time unit", node)
            slope = self.unit(args[0])
            return None if slope is None else slope * self.time
        for arg in args:
            self.expect(arg, self.time, f"{fn.upper()} times are not in the time unit", node)
        return DMNL

    def expect(self, node: Any, want: Unit | None, what: str, where: Any) -> None:
        u = self.unit(node)
        if u is not None and want is not None and not u.matches(want):
            self.report(what, str(u), str(want), where)


class _Unsupported(Exception):
    pass


def _combine(a: Unit | None, b: Unit | None, op: str) -> Unit | None:
    if a is None and b is None:
        return None
    if a is None:
        assert b is not None
        return (DMNL / b if op == "/" else b).inexact()
    if b is None:
        return a.inexact()
    return a * b if op == "*" else a / b


_FOLD = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b else math.nan,
    "^": lambda a, b: a**b,
}


def _number(node: Any) -> float | None:
    """Value of a constant numeric expression (``2``, ``-0.5``, ``1/3``), else None."""
    if isinstance(node, (bool, int, float, np.integer, np.floating)):
        return float(node)
    if not isinstance(node, ae.ArithmeticStructure):
        return None
    vals = [_number(a) for a in node.arguments]
    nums = [v for v in vals if v is not None]
    if len(nums) != len(vals):
        return None
    if node.operators == ["negative"]:
        return -nums[0]
    out = nums[0]
    for op, v in zip(node.operators, nums[1:], strict=False):
        fold = _FOLD.get(op)
        if fold is None:
            return None
        out = fold(out, v)
    return out


def check_units(mdl: Path | str, overrides: Mapping[str, str] | None = None, *,
                lenient_literals: bool = False) -> list[UnitProblem]:
    """Every units problem of a model (empty when consistent).

    Problems: an equation whose right-hand side differs from its declared units, a mismatch inside
    an expression (see the module docstring for the rules), a units string that cannot be read, a
    variable without units, a construct the check does not know. ``overrides`` maps variable
    names to units strings used instead of the declared ones (for what-if checks of a fix).
    ``lenient_literals=True`` lets a literal factor carry any unit (Vensim's laxer reading: a
    product with a literal factor is then not checked at all).
    """
    src = source.read(mdl)
    raw = {(norm(eq.name), tuple(s.replace(" ", "").lower() for s in eq.subscripts)): eq for eq in src.equations}
    raw_by_name: dict[str, list[RawEquation]] = {}
    for (name, _), raw_eq in raw.items():
        raw_by_name.setdefault(name, []).append(raw_eq)
    problems: list[UnitProblem] = []
    declared: dict[str, Unit | None] = {}
    elems = src.elements
    for el in elems:
        key = norm(el.name)
        text = (el.units or "").strip()
        if overrides and el.name in overrides:
            text = overrides[el.name]
        if not text:
            declared[key] = None
            line = raw_by_name[key][0].line if key in raw_by_name else None
            problems.append(UnitProblem(el.name, _eq_text(raw_by_name, key), "no units declared", "(none)", "a unit", line=line))
            continue
        try:
            declared[key] = parse_unit(text)
        except UnitSyntaxError as exc:
            declared[key] = None
            line = raw_by_name[key][0].line if key in raw_by_name else None
            problems.append(UnitProblem(el.name, _eq_text(raw_by_name, key), f"cannot read units ({exc})", text, "a unit", line=line))
    time_unit = declared.get("initial_time") or unit_of_name("Year")

    for el in elems:
        key = norm(el.name)
        want = declared.get(key)
        for comp in el.components:
            subs = tuple(s.replace(" ", "").lower() for s in comp.subscripts[0])
            eq = raw.get((key, subs))
            if eq is None and len(raw_by_name.get(key, [])) == 1:
                eq = raw_by_name[key][0]
            eq_text = eq.text if eq is not None else render(comp.ast)
            label = el.name + (f"[{', '.join(comp.subscripts[0])}]" if comp.subscripts[0] and len(el.components) > 1 else "")
            line = eq.line if eq is not None else None

            def report(what: str, left: str, right: str, where: Any, _label: str = label,
                       _eq: str = eq_text, _line: int | None = line) -> None:
                problems.append(UnitProblem(_label, _eq, what, left, right, render(where), _line))

            checker = _Checker(declared, time_unit, report, lenient_literals)
            try:
                _check_component(checker, comp.ast, want, report)
            except _Unsupported as exc:
                problems.append(UnitProblem(label, eq_text, f"units check does not support {exc}", "?", "?", line=line))
    return problems


def _check_component(ch: _Checker, node: Any, want: Unit | None, report: Any) -> None:
    """Check one component against its declared units ``want`` (None: unknown)."""
    rhs_what = "declared units differ from the equation's"
    if isinstance(node, ae.IntegStructure):
        rate = ch.unit(node.flow)
        if want is not None and rate is not None and not rate.matches(want / ch.time):
            report("rate of the stock is not stock units per time unit", str(want / ch.time), str(rate), node.flow)
        _expect_top(ch, node.initial, want, "initial value differs from the stock's units", report)
        return
    if isinstance(node, _DELAYS):
        name, delay = _delay_parts(node)
        _expect_top(ch, node.input, want, f"{name} input differs from the declared units", report)
        _expect_top(ch, node.initial, want, f"{name} initial value differs from the declared units", report)
        _expect_top(ch, delay, ch.time, f"{name} time is not in the time unit", report)
        return
    if isinstance(node, ae.TrendStructure):
        ch.unit(node.input)
        _expect_top(ch, node.average_time, ch.time, "TREND time is not in the time unit", report)
        _expect_top(ch, node.initial_trend, want, "TREND initial differs from the declared units", report)
        return
    if isinstance(node, (ae.InlineLookupsStructure, ae.LookupsStructure, ae.DataStructure,
                         ae.GetLookupsStructure, ae.GetDataStructure, ae.GetConstantsStructure)):
        if isinstance(node, ae.InlineLookupsStructure):
            ch.unit(node.argument)
        return  # takes the declared units
    _expect_top(ch, node, want, rhs_what, report)


def _expect_top(ch: _Checker, node: Any, want: Unit | None, what: str, report: Any) -> None:
    got = ch.unit(node)
    if got is not None and want is not None and not got.matches(want):
        report(what, str(want), str(got), node)


def _eq_text(raw_by_name: Mapping[str, list[RawEquation]], key: str) -> str:
    eqs = raw_by_name.get(key)
    return eqs[0].text if eqs else ""


def iter_report(problems: Sequence[UnitProblem], mdl: Path | str) -> Iterator[str]:
    """Lines of a report, ``file:line: …`` first for every problem."""
    for p in problems:
        head, _, tail = str(p).partition("\n")
        if head.startswith("line "):
            num, _, rest = head[5:].partition(": ")
            head = f"{mdl}:{num}: {rest}"
        else:
            head = f"{mdl}: {head}"
        yield head
        if tail:
            yield tail
