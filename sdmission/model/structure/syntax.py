"""Helpers over PySD's abstract syntax trees: Vensim-like text and the variables an equation uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from pysd.translators.structures import abstract_expressions as ae

#: Vensim functions (PySD's spelling) that are not model variables.
BUILTINS = frozenset({
    "if_then_else", "min", "max", "sum", "prod", "vmin", "vmax", "zidz", "xidz", "abs", "exp", "ln",
    "log", "sqrt", "integer", "int", "modulo", "step", "ramp", "pulse", "pulse_train", "sin", "cos",
    "tan", "arcsin", "arccos", "arctan", "quantum", "random_uniform", "random_normal", "elmcount",
    "power",
})

NUMBER = (int, float, np.integer, np.floating)


def render(node: Any) -> str:
    """Vensim-like text of an abstract syntax tree (for messages)."""
    if isinstance(node, bool):
        return str(int(node))
    if isinstance(node, NUMBER):
        return f"{float(node):g}"
    if isinstance(node, np.ndarray):
        return ", ".join(f"{v:g}" for v in node.ravel())
    for kind, show in _RENDERERS:
        if isinstance(node, kind):
            return show(node)
    if isinstance(node, ae.AbstractSyntax):
        return type(node).__name__.replace("Structure", "").upper() + "(…)"
    return str(node)


def _reference(node: ae.ReferenceStructure) -> str:
    subs = f"[{', '.join(node.subscripts.subscripts)}]" if node.subscripts else ""
    return node.reference.replace("_", " ") + subs


def _operation(node: ae.ArithmeticStructure | ae.LogicStructure) -> str:
    if node.operators == ["negative"]:
        return "-" + _paren(node.arguments[0])
    if node.operators == [":NOT:"]:
        return ":NOT: " + _paren(node.arguments[0])
    out = _paren(node.arguments[0])
    for op, arg in zip(node.operators, node.arguments[1:], strict=False):
        text = _paren(arg)
        if isinstance(arg, ae.ArithmeticStructure) and arg.operators == ["negative"]:
            text = f"({text})"
        out += f" {op} {text}"
    return out


def _call(node: ae.CallStructure) -> str:
    name = node.function.reference.replace("_", " ").upper()
    return f"{name}({', '.join(render(a) for a in node.arguments)})"


_RENDERERS: tuple[tuple[type | tuple[type, ...], Callable[[Any], str]], ...] = (
    (ae.ReferenceStructure, _reference),
    ((ae.ArithmeticStructure, ae.LogicStructure), _operation),
    (ae.CallStructure, _call),
    (ae.InlineLookupsStructure, lambda n: f"WITH LOOKUP({render(n.argument)}, …)"),
    (ae.IntegStructure, lambda n: f"INTEG({render(n.flow)}, {render(n.initial)})"),
    (ae.SmoothStructure, lambda n: f"SMOOTHI({render(n.input)}, {render(n.smooth_time)}, {render(n.initial)})"),
    (ae.InitialStructure, lambda n: f"INITIAL({render(n.initial)})"),
)


def _paren(node: Any) -> str:
    text = render(node)
    if isinstance(node, (ae.ArithmeticStructure, ae.LogicStructure)) and node.operators != ["negative"]:
        return f"({text})"
    return text


def references(node: Any) -> Iterator[tuple[str, bool]]:
    """Yield ``(name, initial_only)`` for every variable referenced in a syntax tree."""
    yield from _refs(node, False)


_DELAYS = (ae.SmoothStructure, ae.SmoothNStructure, ae.DelayStructure, ae.DelayNStructure,
           ae.DelayFixedStructure, ae.SampleIfTrueStructure)


def _refs(node: Any, initial: bool) -> Iterator[tuple[str, bool]]:
    if isinstance(node, ae.ReferenceStructure):
        yield node.reference, initial
    elif isinstance(node, ae.CallStructure):
        if node.function.reference not in BUILTINS:
            yield node.function.reference, initial
        for arg in node.arguments:
            yield from _refs(arg, initial)
    elif isinstance(node, ae.InitialStructure):
        yield from _refs(node.initial, True)
    elif isinstance(node, ae.IntegStructure):
        yield from _refs(node.flow, initial)
        yield from _refs(node.initial, True)
    elif isinstance(node, _DELAYS):
        for name in node.__dataclass_fields__:
            yield from _refs(getattr(node, name), initial or name == "initial")
    elif isinstance(node, ae.TrendStructure):
        yield from _refs(node.input, initial)
        yield from _refs(node.average_time, initial)
        yield from _refs(node.initial_trend, True)
    elif isinstance(node, ae.AbstractSyntax):
        for name in node.__dataclass_fields__:
            yield from _refs(getattr(node, name), initial)
    elif isinstance(node, (tuple, list)):
        for arg in node:
            yield from _refs(arg, initial)


def mentions(node: Any, var: str) -> bool:
    """True when the syntax tree references ``var``."""
    return any(name == var for name, _ in references(node))
