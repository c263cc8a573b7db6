"""The dependency graph of a model and its feedback loops.

The dependency graph is built from PySD's parsed abstract model (``model.source``; one node per
variable, an edge ``x -> y`` when ``y``'s equation uses ``x``). Edges that only set an initial value
(``INTEG``'s and ``SMOOTHI``'s initial argument, ``INITIAL(...)``) are kept but marked
``initial=True`` and left out of the loop search: they do not carry feedback.

Link polarity is read from the equation's syntax tree (``structure.signs``); where it cannot be told
it is ``'?'`` and every loop through that link has polarity ``'unknown'``. Loops are found per
variable, not per subscript element: a loop listed here may close only for some elements (as in
Vensim's loop listing).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
from pysd.translators.structures import abstract_expressions as ae
from pysd.translators.structures.abstract_model import AbstractElement

from sdmission.errors import ModelError
from sdmission.model import source
from sdmission.model.source import CONTROLS, DEFAULT_GROUP, norm
from sdmission.model.structure.signs import Sign, combine, link_sign
from sdmission.model.structure.syntax import references

Kind = Literal["stock", "flow", "aux", "constant", "lookup", "control"]
Polarity = Literal["reinforcing", "balancing", "unknown"]

CONTROL_NAMES = frozenset(CONTROLS)



@dataclass(frozen=True)
class Variable:
    """A node of the dependency graph."""

    name: str
    py_name: str
    kind: Kind
    group: str
    units: str


def _kind(element: AbstractElement) -> Kind:
    asts = [c.ast for c in element.components]
    if norm(element.name) in CONTROL_NAMES:
        return "control"
    if any(isinstance(a, ae.IntegStructure) for a in asts):
        return "stock"
    if all(isinstance(a, (int, float, np.ndarray, np.integer, np.floating)) for a in asts):
        return "constant"
    if all(isinstance(a, ae.InlineLookupsStructure) and _is_time(a.argument) for a in asts):
        return "lookup"  # exogenous time path
    if all(isinstance(a, ae.LookupsStructure) for a in asts):
        return "lookup"
    return "aux"


def _is_time(node: Any) -> bool:
    return isinstance(node, ae.ReferenceStructure) and node.reference == "time"


def _inflows(flow: Any, sign: int = 1) -> Iterator[tuple[str, int]]:
    """Variables that enter a stock's rate as whole additive terms: ``(name, +1 | -1)``."""
    if isinstance(flow, ae.ReferenceStructure):
        yield flow.reference, sign
    elif isinstance(flow, ae.ArithmeticStructure) and set(flow.operators) <= {"+", "-"}:
        yield from _inflows(flow.arguments[0], sign)
        for op, arg in zip(flow.operators, flow.arguments[1:], strict=False):
            yield from _inflows(arg, sign if op == "+" else -sign)
    elif isinstance(flow, ae.ArithmeticStructure) and flow.operators == ["negative"]:
        yield from _inflows(flow.arguments[0], -sign)


def dependency_graph(mdl: Path | str) -> nx.MultiDiGraph:
    """Directed graph of the model's variables (``norm`` names).

    Node attributes: ``name`` (as written), ``kind`` (stock, flow, aux, constant, lookup, control),
    ``group`` (Vensim group), ``units``. Edge ``x -> y`` attributes: ``sign`` ('+', '-', '?'),
    ``initial`` (True when ``x`` only sets ``y``'s initial value), ``flow`` (+1 inflow, -1 outflow,
    0 influence). ``Time`` is not a node.
    """
    src = source.read(mdl)
    groups = src.groups
    graph = nx.MultiDiGraph()
    elems = src.elements
    flows: dict[tuple[str, str], int] = {}
    for el in elems:
        key = norm(el.name)
        graph.add_node(key, name=el.name, kind=_kind(el), group=groups.get(key, DEFAULT_GROUP), units=el.units or "")
        for comp in el.components:
            if isinstance(comp.ast, ae.IntegStructure):
                for name, sgn in _inflows(comp.ast.flow):
                    flows[(name, key)] = sgn
    for el in elems:
        key = norm(el.name)
        seen: dict[tuple[str, bool], list[Sign]] = {}
        for comp in el.components:
            for name, initial in references(comp.ast):
                if name == "time" or name not in graph:
                    continue
                sign = "0" if initial else link_sign(comp.ast, name)
                seen.setdefault((name, initial), []).append(sign)
        dynamic = {n for (n, ini) in seen if not ini}
        for (name, initial), signs in seen.items():
            if initial and name in dynamic:
                continue
            s = combine(signs)
            graph.add_edge(name, key, sign="?" if s == "0" and not initial else s, initial=initial,
                           flow=flows.get((name, key), 0))
    for name, _stock in flows:
        if name in graph and graph.nodes[name]["kind"] == "aux":
            graph.nodes[name]["kind"] = "flow"
    return graph


@dataclass(frozen=True)
class Loop:
    """One feedback loop: its variables in causal order, link signs and polarity."""

    variables: tuple[str, ...]
    signs: tuple[Sign, ...]
    polarity: Polarity
    groups: tuple[str, ...] = field(default=())

    @property
    def length(self) -> int:
        return len(self.variables)

    def __str__(self) -> str:
        path = " -> ".join(f"{v} ({s})" for v, s in zip(self.variables, self.signs, strict=False))
        return f"{self.polarity[0].upper()} [{self.length}] {path} -> {self.variables[0]}"


def loop_polarity(signs: Iterable[Sign]) -> Polarity:
    """Reinforcing with an even number of '-' links, balancing with odd, unknown with any '?'."""
    signs = list(signs)
    if any(s not in "+-" for s in signs):
        return "unknown"
    return "balancing" if signs.count("-") % 2 else "reinforcing"


def feedback_loops(mdl: Path | str, max_length: int | None = 12, limit: int = 20000) -> list[Loop]:
    """Feedback loops of the model, shortest first.

    Parameters
    ----------
    mdl
        Path of the ``.mdl``.
    max_length
        Longest loop (number of variables) to list; ``None`` for all (may explode on big models).
    limit
        Stop after this many loops (raises ``ModelError`` rather than returning a silently cut list).
    """
    graph = dependency_graph(mdl)
    return loops_of(graph, max_length=max_length, limit=limit)


def loops_of(graph: nx.MultiDiGraph, max_length: int | None = 12, limit: int = 20000) -> list[Loop]:
    """Feedback loops of a dependency graph (see ``feedback_loops``)."""
    dyn = nx.DiGraph()
    dyn.add_nodes_from(graph.nodes)
    for u, v, data in graph.edges(data=True):
        if not data["initial"]:
            dyn.add_edge(u, v, sign=data["sign"])
    loops: list[Loop] = []
    for cycle in nx.simple_cycles(dyn, length_bound=max_length):
        if len(loops) >= limit:
            raise ModelError(f"more than {limit} feedback loops of length <= {max_length}; lower max_length")
        start = cycle.index(min(cycle))
        cycle = cycle[start:] + cycle[:start]
        signs = tuple(dyn.edges[cycle[i], cycle[(i + 1) % len(cycle)]]["sign"] for i in range(len(cycle)))
        groups = tuple(dict.fromkeys(graph.nodes[c]["group"] for c in cycle))
        loops.append(Loop(tuple(cycle), signs, loop_polarity(signs), groups))
    loops.sort(key=lambda lp: (lp.length, lp.variables))
    return loops


def loop_table(loops: Iterable[Loop], names: Mapping[str, str] | None = None) -> str:
    """Markdown table of loops (id, polarity, length, groups, variables)."""
    rows = ["| loop | polarity | length | groups | variables (causal order) |", "|---|---|---|---|---|"]
    counters = {"reinforcing": 0, "balancing": 0, "unknown": 0}
    for lp in loops:
        counters[lp.polarity] += 1
        tag = {"reinforcing": "R", "balancing": "B", "unknown": "U"}[lp.polarity] + str(counters[lp.polarity])
        path = " → ".join(f"{(names or {}).get(v, v.replace('_', ' '))} ({s})" for v, s in zip(lp.variables, lp.signs, strict=False))
        rows.append(f"| {tag} | {lp.polarity} | {lp.length} | {', '.join(lp.groups)} | {path} |")
    return "\n".join(rows)

