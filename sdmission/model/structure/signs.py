"""Link polarity from an equation's syntax tree: the sign of the partial derivative.

Under the usual SD assumption that every variable and named constant is non-negative; where the
sign cannot be told (a difference of two terms in a product, a condition, a non-monotone lookup) it
is ``'?'``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
from pysd.translators.structures import abstract_expressions as ae

from sdmission.model.structure.syntax import BUILTINS, NUMBER, mentions, render

Sign = Literal["+", "-", "0", "?"]


def combine(signs: Iterable[Sign]) -> Sign:
    """The sign of a sum of terms with these signs ('0' terms ignored; mixed signs give '?')."""
    out: Sign = "0"
    for s in signs:
        if s == "0":
            continue
        if out == "0":
            out = s
        elif out != s:
            return "?"
    return out


def _mul(a: Sign, b: Sign) -> Sign:
    if a == "0" or b == "0":
        return "0"
    if a == "?" or b == "?":
        return "?"
    return "+" if a == b else "-"


_FLIP: dict[Sign, Sign] = {"+": "-", "-": "+", "0": "0", "?": "?"}


def _flip(a: Sign) -> Sign:
    return _FLIP[a]


def _value_sign(node: Any) -> Sign:
    """Sign of an expression's value, assuming variables are non-negative ('?' when unknown)."""
    if isinstance(node, NUMBER):
        return "+" if node > 0 else "-" if node < 0 else "0"
    if isinstance(node, ae.ReferenceStructure):
        return "+"
    if isinstance(node, ae.ArithmeticStructure):
        return _arith_value_sign(node)
    if isinstance(node, ae.CallStructure):
        return _call_value_sign(node)
    if isinstance(node, (ae.SmoothStructure, ae.InitialStructure, ae.IntegStructure, ae.InlineLookupsStructure)):
        return "+"
    return "?"


def _arith_value_sign(node: ae.ArithmeticStructure) -> Sign:
    vals = [_value_sign(a) for a in node.arguments]
    if node.operators == ["negative"]:
        return _flip(vals[0])
    if set(node.operators) <= {"*", "/"}:
        out: Sign = vals[0]
        for v in vals[1:]:
            out = _mul(out, v)
        return out
    if node.operators == ["^"]:
        return vals[0] if vals[0] == "+" else "?"
    if set(node.operators) == {"+"}:
        return combine(vals) if "?" not in vals else "?"
    return vals[0]  # a difference (a gap, 1 - share) is assumed to keep its first term's sign


def _call_value_sign(node: ae.CallStructure) -> Sign:
    fn = node.function.reference
    vals = [_value_sign(a) for a in node.arguments]
    if fn in {"sum", "zidz", "min", "max", "vmin", "vmax", "integer", "int"}:
        return combine(vals) if fn != "zidz" else _mul(vals[0], vals[1])
    if fn == "xidz":
        return combine([_mul(vals[0], vals[1]), vals[2]])
    if fn in {"exp", "abs", "sqrt"}:
        return "+"
    if fn == "if_then_else":
        return combine(vals[1:])
    return "+" if fn not in BUILTINS else "?"  # lookup tables: assume non-negative output


def link_sign(node: Any, var: str) -> Sign:
    """Sign of d(expression)/d(var): '+', '-', '0' (var absent) or '?' (cannot tell)."""
    if isinstance(node, ae.ReferenceStructure):
        return "+" if node.reference == var else "0"
    if not mentions(node, var):
        return "0"
    if isinstance(node, ae.ArithmeticStructure):
        return _arith_sign(node, var)
    if isinstance(node, ae.CallStructure):
        return _call_sign(node, var)
    if isinstance(node, ae.SmoothStructure):
        return "?" if mentions(node.smooth_time, var) else link_sign(node.input, var)
    if isinstance(node, ae.InlineLookupsStructure):
        return _mul(link_sign(node.argument, var), _monotone(node.lookups))
    if isinstance(node, ae.IntegStructure):
        return link_sign(node.flow, var)
    if isinstance(node, ae.InitialStructure):
        return "0"
    return "?"  # conditions (LogicStructure) and everything else


def _arith_sign(node: ae.ArithmeticStructure, var: str) -> Sign:
    args, ops = node.arguments, node.operators
    if ops == ["negative"]:
        return _flip(link_sign(args[0], var))
    if set(ops) <= {"+", "-"}:
        signs = [link_sign(args[0], var)]
        signs += [link_sign(a, var) if op == "+" else _flip(link_sign(a, var)) for op, a in zip(ops, args[1:], strict=False)]
        return combine(signs)
    if ops == ["/"] and _share_like(args[0], args[1]):
        return link_sign(args[0], var)  # x / (x + y) and x / SUM(x[!]) rise with x
    if set(ops) <= {"*", "/"}:
        return _product_sign(args, ops, var)
    if ops == ["^"]:
        base, expo = args
        if mentions(expo, var) or _value_sign(base) != "+":
            return "?"
        return _mul(link_sign(base, var), _value_sign(expo))
    return "?"


def _product_sign(args: Any, ops: list[str], var: str) -> Sign:
    terms: list[Sign] = []
    for i, arg in enumerate(args):
        d = link_sign(arg, var)
        if d == "0":
            continue
        if i > 0 and ops[i - 1] == "/":
            d = _flip(d)
        for j, other in enumerate(args):
            if j != i:
                d = _mul(d, _value_sign(other))
        terms.append(d)
    return combine(terms)


_MONOTONE_CALLS = frozenset({"min", "max", "sum", "vmin", "vmax", "integer", "int", "exp", "ln", "log", "sqrt"})


def _call_sign(node: ae.CallStructure, var: str) -> Sign:
    fn = node.function.reference
    args = node.arguments
    if fn in _MONOTONE_CALLS:
        return combine(link_sign(a, var) for a in args)
    if fn in {"zidz", "xidz"}:
        if _share_like(args[0], args[1]):
            return link_sign(args[0], var)
        quotient = ae.ArithmeticStructure(["/"], (args[0], args[1]))
        signs = [link_sign(quotient, var)] + ([link_sign(args[2], var)] if fn == "xidz" else [])
        return combine(signs)
    if fn == "if_then_else":
        if mentions(args[0], var):
            return "?"
        return combine(link_sign(a, var) for a in args[1:])
    return "?"


def _share_like(num: Any, den: Any) -> bool:
    """True for ``x / (x + y)`` and ``x / SUM(x[...!])``: a share that rises with ``x``."""
    text = render(num)
    if isinstance(den, ae.ArithmeticStructure) and set(den.operators) == {"+"}:
        return any(render(a) == text for a in den.arguments)
    if isinstance(den, ae.CallStructure) and den.function.reference == "sum":
        inner = den.arguments[0]
        return isinstance(num, ae.ReferenceStructure) and isinstance(inner, ae.ReferenceStructure) and (
            inner.reference == num.reference)
    return False


def _monotone(lookup: ae.LookupsStructure) -> Sign:
    y = np.asarray(lookup.y, dtype=float)
    d = np.diff(y)
    if np.all(d >= 0):
        return "+" if np.any(d > 0) else "0"
    if np.all(d <= 0):
        return "-"
    return "?"
