"""Model structure from the ``.mdl`` text: groups, equations, the dependency graph and feedback loops.

The dependency graph is built from PySD's parsed abstract model (one node per variable, an edge
``x -> y`` when ``y``'s equation uses ``x``). Edges that only set an initial value (``INTEG``'s and
``SMOOTHI``'s initial argument, ``INITIAL(...)``) are kept but marked ``initial=True`` and left out of
the loop search: they do not carry feedback.

Link polarity is read from the equation's syntax tree (the sign of the partial derivative), under the
usual SD assumption that every variable and named constant is non-negative; where the sign cannot be
told (a difference of two terms in a product, a condition, a non-monotone lookup) it is ``'?'`` and
every loop through that link has polarity ``'unknown'``. Loops are found per variable, not per
subscript element: a loop listed here may close only for some elements (as in Vensim's loop listing).

pysimlin (``simlin.load``) was tried first: version 0.8.5 does not compile this model (it reads the
element-wise equations of ``innovation function[knowledge]`` as a dimension name), so it lists no
loops; this module computes them itself.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
from pysd.translators.structures import abstract_expressions as ae
from pysd.translators.structures.abstract_model import AbstractElement, AbstractModel
from pysd.translators.vensim.vensim_file import VensimFile

from sdmission.errors import ModelError

Sign = Literal["+", "-", "0", "?"]
Kind = Literal["stock", "flow", "aux", "constant", "lookup", "control"]
Polarity = Literal["reinforcing", "balancing", "unknown"]

CONTROL_NAMES = frozenset({"initial_time", "final_time", "time_step", "saveper"})
DEFAULT_GROUP = "Model"


def norm(name: str) -> str:
    """Vensim name as PySD references it: lower case, spaces as underscores."""
    return re.sub(r"\s+", "_", name.strip().strip('"').lower())


# --------------------------------------------------------------------------- raw text of the .mdl


@dataclass(frozen=True)
class RawEquation:
    """One equation as written: ``name[subscripts] = text ~ units``."""

    name: str
    subscripts: tuple[str, ...]
    text: str
    units: str
    group: str
    line: int


_LHS = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[^=:\[(~"]+?)\s*(\[[^\]]*\])?\s*(:=|==|=|:|\()', re.S)


def _model_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    cut = text.find("\\\\\\---///")
    return text if cut < 0 else text[:cut]


def read_equations(mdl: Path | str) -> list[RawEquation]:
    """Split the ``.mdl`` text into equations, each with its Vensim group (``.Name`` marker).

    Equations before the first group marker belong to ``DEFAULT_GROUP``. Subscript ranges are not
    returned.
    """
    path = Path(mdl)
    text = _model_text(path)
    group = DEFAULT_GROUP
    out: list[RawEquation] = []
    offset = 0
    for chunk in text.split("|"):
        lead = len(chunk) - len(chunk.lstrip())
        if offset == 0 and chunk.lstrip().startswith("{"):
            lead = chunk.find("}") + 1
            lead += len(chunk[lead:]) - len(chunk[lead:].lstrip())
        line = text.count("\n", 0, offset + lead) + 1
        chunk = chunk[lead:]
        offset += lead + len(chunk) + 1
        body = chunk.strip()
        if not body:
            continue
        if body.startswith("*"):
            m = re.search(r"^\s*\.(.+?)\s*$", body, re.M)
            if m:
                group = m.group(1).strip()
            continue
        parts = body.split("~")
        eq = parts[0].replace("\\\n", " ")
        m = _LHS.match(eq)
        if not m or m.group(3) == ":" and not m.group(0).endswith(":="):
            continue  # subscript range, macro or something we do not need
        name = m.group(1).strip().strip('"')
        subs = tuple(s.strip() for s in m.group(2)[1:-1].split(",")) if m.group(2) else ()
        rhs = eq[m.end() :] if m.group(3) != "(" else eq[m.end() - 1 :]
        units = parts[1].strip() if len(parts) > 1 else ""
        units = re.sub(r"\s*\[.*\]\s*$", "", units.replace("\\\n", " ")).strip()
        out.append(RawEquation(name, subs, " ".join(rhs.split()), units, group, line))
    return out


def read_groups(mdl: Path | str) -> dict[str, str]:
    """Map each variable (``norm`` name) to its Vensim group, in file order."""
    groups: dict[str, str] = {}
    for eq in read_equations(mdl):
        groups.setdefault(norm(eq.name), eq.group)
    return groups


def abstract_model(mdl: Path | str) -> AbstractModel:
    """PySD's parsed abstract model of a ``.mdl`` (no code is written)."""
    path = Path(mdl)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    return _abstract_model_cached(str(path.resolve()), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _abstract_model_cached(path: str, _mtime: int) -> AbstractModel:
    try:
        vf = VensimFile(path)
        vf.parse()
        return vf.get_abstract_model()
    except Exception as exc:  # noqa: BLE001 - the translator raises many types
        raise ModelError(f"PySD cannot parse {path}: {type(exc).__name__}: {exc}") from exc


def elements(am: AbstractModel) -> list[AbstractElement]:
    """The elements of the model's main section (macros are ignored)."""
    return list(am.sections[0].elements)


# --------------------------------------------------------------------------- AST helpers


def render(node: Any) -> str:
    """Vensim-like text of an abstract syntax tree (for messages)."""
    if isinstance(node, bool):
        return str(int(node))
    if isinstance(node, (int, float, np.integer, np.floating)):
        return f"{float(node):g}"
    if isinstance(node, np.ndarray):
        return ", ".join(f"{v:g}" for v in node.ravel())
    if isinstance(node, ae.ReferenceStructure):
        subs = f"[{', '.join(node.subscripts.subscripts)}]" if node.subscripts else ""
        return node.reference.replace("_", " ") + subs
    if isinstance(node, (ae.ArithmeticStructure, ae.LogicStructure)):
        if node.operators == ["negative"]:
            return "-" + _paren(node.arguments[0])
        if node.operators == [":NOT:"]:
            return ":NOT: " + _paren(node.arguments[0])
        out = _paren(node.arguments[0])
        for op, arg in zip(node.operators, node.arguments[1:]):
            text = _paren(arg)
            if isinstance(arg, ae.ArithmeticStructure) and arg.operators == ["negative"]:
                text = f"({text})"
            out += f" {op} {text}"
        return out
    if isinstance(node, ae.CallStructure):
        name = node.function.reference.replace("_", " ").upper()
        return f"{name}({', '.join(render(a) for a in node.arguments)})"
    if isinstance(node, ae.InlineLookupsStructure):
        return f"WITH LOOKUP({render(node.argument)}, …)"
    if isinstance(node, ae.IntegStructure):
        return f"INTEG({render(node.flow)}, {render(node.initial)})"
    if isinstance(node, ae.SmoothStructure):
        return f"SMOOTHI({render(node.input)}, {render(node.smooth_time)}, {render(node.initial)})"
    if isinstance(node, ae.InitialStructure):
        return f"INITIAL({render(node.initial)})"
    if isinstance(node, ae.AbstractSyntax):
        return type(node).__name__.replace("Structure", "").upper() + "(…)"
    return str(node)


def _paren(node: Any) -> str:
    text = render(node)
    if isinstance(node, (ae.ArithmeticStructure, ae.LogicStructure)) and node.operators != ["negative"]:
        return f"({text})"
    return text


def references(node: Any) -> Iterator[tuple[str, bool]]:
    """Yield ``(name, initial_only)`` for every variable referenced in a syntax tree."""
    yield from _refs(node, False)


def _refs(node: Any, initial: bool) -> Iterator[tuple[str, bool]]:
    if isinstance(node, ae.ReferenceStructure):
        yield node.reference, initial
    elif isinstance(node, ae.CallStructure):
        if node.function.reference not in _BUILTINS:
            yield node.function.reference, initial
        for arg in node.arguments:
            yield from _refs(arg, initial)
    elif isinstance(node, ae.InitialStructure):
        yield from _refs(node.initial, True)
    elif isinstance(node, ae.IntegStructure):
        yield from _refs(node.flow, initial)
        yield from _refs(node.initial, True)
    elif isinstance(node, (ae.SmoothStructure, ae.SmoothNStructure, ae.DelayStructure, ae.DelayNStructure,
                           ae.DelayFixedStructure, ae.SampleIfTrueStructure)):
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


_BUILTINS = frozenset({
    "if_then_else", "min", "max", "sum", "prod", "vmin", "vmax", "zidz", "xidz", "abs", "exp", "ln",
    "log", "sqrt", "integer", "int", "modulo", "step", "ramp", "pulse", "pulse_train", "sin", "cos",
    "tan", "arcsin", "arccos", "arctan", "quantum", "random_uniform", "random_normal", "elmcount",
    "power",
})


# --------------------------------------------------------------------------- link polarity


def _combine(signs: Iterable[Sign]) -> Sign:
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


def _flip(a: Sign) -> Sign:
    return {"+": "-", "-": "+"}.get(a, a)  # type: ignore[return-value]


def _value_sign(node: Any) -> Sign:
    """Sign of an expression's value, assuming variables are non-negative ('?' when unknown)."""
    if isinstance(node, (int, float, np.integer, np.floating)):
        return "+" if node > 0 else "-" if node < 0 else "0"
    if isinstance(node, ae.ReferenceStructure):
        return "+"
    if isinstance(node, ae.ArithmeticStructure):
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
            return _combine(vals) if "?" not in vals else "?"
        return vals[0]  # a difference (a gap, 1 - share) is assumed to keep its first term's sign
    if isinstance(node, ae.CallStructure):
        fn = node.function.reference
        vals = [_value_sign(a) for a in node.arguments]
        if fn in {"sum", "zidz", "min", "max", "vmin", "vmax", "integer", "int"}:
            return _combine(vals) if fn != "zidz" else _mul(vals[0], vals[1])
        if fn == "xidz":
            return _combine([_mul(vals[0], vals[1]), vals[2]])
        if fn in {"exp", "abs", "sqrt"}:
            return "+"
        if fn == "if_then_else":
            return _combine(vals[1:])
        return "+" if fn not in _BUILTINS else "?"  # lookup tables: assume non-negative output
    if isinstance(node, (ae.SmoothStructure, ae.InitialStructure, ae.IntegStructure, ae.InlineLookupsStructure)):
        return "+"
    return "?"


def link_sign(node: Any, var: str) -> Sign:
    """Sign of d(expression)/d(var): '+', '-', '0' (var absent) or '?' (cannot tell)."""
    if isinstance(node, ae.ReferenceStructure):
        return "+" if node.reference == var else "0"
    if not _mentions(node, var):
        return "0"
    if isinstance(node, ae.ArithmeticStructure):
        args = node.arguments
        ops = node.operators
        if ops == ["negative"]:
            return _flip(link_sign(args[0], var))
        if set(ops) <= {"+", "-"}:
            signs = [link_sign(args[0], var)]
            signs += [link_sign(a, var) if op == "+" else _flip(link_sign(a, var)) for op, a in zip(ops, args[1:])]
            return _combine(signs)
        if ops == ["/"] and _share_like(args[0], args[1]):
            return link_sign(args[0], var)  # x / (x + y) and x / SUM(x[!]) rise with x
        if set(ops) <= {"*", "/"}:
            terms: list[Sign] = []
            for i, arg in enumerate(args):
                d = link_sign(arg, var)
                if d == "0":
                    continue
                if i > 0 and ops[i - 1] == "/":
                    d = _flip(d)
                rest = [_value_sign(a) for j, a in enumerate(args) if j != i]
                for r in rest:
                    d = _mul(d, r)
                terms.append(d)
            return _combine(terms)
        if ops == ["^"]:
            base, expo = args
            if _mentions(expo, var):
                return "?"
            if _value_sign(base) != "+":
                return "?"
            return _mul(link_sign(base, var), _value_sign(expo))
        return "?"
    if isinstance(node, ae.LogicStructure):
        return "?"
    if isinstance(node, ae.CallStructure):
        fn = node.function.reference
        args = node.arguments
        if fn in {"min", "max", "sum", "vmin", "vmax", "integer", "int", "exp", "ln", "log", "sqrt"}:
            return _combine(link_sign(a, var) for a in args)
        if fn in {"zidz", "xidz"} and _share_like(args[0], args[1]):
            return link_sign(args[0], var)
        if fn in {"zidz", "xidz"}:
            quotient = ae.ArithmeticStructure(["/"], (args[0], args[1]))
            signs = [link_sign(quotient, var)] + ([link_sign(args[2], var)] if fn == "xidz" else [])
            return _combine(signs)
        if fn == "if_then_else":
            if _mentions(args[0], var):
                return "?"
            return _combine(link_sign(a, var) for a in args[1:])
        return "?"
    if isinstance(node, ae.SmoothStructure):
        if _mentions(node.smooth_time, var):
            return "?"
        return link_sign(node.input, var)
    if isinstance(node, ae.InlineLookupsStructure):
        return _mul(link_sign(node.argument, var), _monotone(node.lookups))
    if isinstance(node, ae.IntegStructure):
        return link_sign(node.flow, var)
    if isinstance(node, ae.InitialStructure):
        return "0"
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


def _mentions(node: Any, var: str) -> bool:
    return any(name == var for name, _ in references(node))


# --------------------------------------------------------------------------- graph and loops


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
        for op, arg in zip(flow.operators, flow.arguments[1:]):
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
    am = abstract_model(mdl)
    groups = read_groups(mdl)
    graph = nx.MultiDiGraph()
    elems = elements(am)
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
            s = _combine(signs)
            graph.add_edge(name, key, sign="?" if s == "0" and not initial else s, initial=initial,
                           flow=flows.get((name, key), 0))
    for (name, stock), _ in flows.items():
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
        path = " -> ".join(f"{v} ({s})" for v, s in zip(self.variables, self.signs))
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
        path = " → ".join(f"{(names or {}).get(v, v.replace('_', ' '))} ({s})" for v, s in zip(lp.variables, lp.signs))
        rows.append(f"| {tag} | {lp.polarity} | {lp.length} | {', '.join(lp.groups)} | {path} |")
    return "\n".join(rows)


# --------------------------------------------------------------------------- layout of a group view


@dataclass(frozen=True)
class Placed:
    """A node of a group diagram with its column and row."""

    key: str
    label: str
    kind: str
    col: int
    row: float
    source_group: str = ""


def group_view(graph: nx.MultiDiGraph, group: str) -> tuple[nx.DiGraph, dict[str, dict[str, str]]]:
    """The group's own variables plus stubs for inputs from other groups; links inside the view."""
    inside = [n for n, d in graph.nodes(data=True) if d["group"] == group and d["kind"] != "control"]
    view = nx.DiGraph()
    info: dict[str, dict[str, str]] = {}
    for n in inside:
        d = graph.nodes[n]
        view.add_node(n)
        info[n] = {"label": d["name"], "kind": d["kind"], "source_group": ""}
    for u, v, d in graph.edges(data=True):
        if v not in info or d["initial"] or info[v]["kind"] == "stub":
            continue
        if u not in info:
            ud = graph.nodes[u]
            if ud["kind"] == "control":
                continue
            stub = f"stub:{u}"
            if stub not in info:
                info[stub] = {"label": ud["name"], "kind": "stub", "source_group": ud["group"]}
                view.add_node(stub)
            view.add_edge(stub, v, sign=d["sign"], flow=0)
        elif u != v:
            old = view.get_edge_data(u, v)
            flow = d["flow"] or (old["flow"] if old else 0)
            view.add_edge(u, v, sign=d["sign"], flow=flow)
    return view, info


def layout(view: nx.DiGraph, info: dict[str, dict[str, str]]) -> dict[str, Placed]:
    """Columns by causal depth (links out of stocks cut), rows by barycentre sweeps."""
    dag = nx.DiGraph()
    dag.add_nodes_from(view.nodes)
    for u, v in view.edges:
        if info[u]["kind"] != "stock":
            dag.add_edge(u, v)
    # break any remaining cycle (algebraic loops cannot exist, but be safe)
    while not nx.is_directed_acyclic_graph(dag):
        cycle = nx.find_cycle(dag)
        dag.remove_edge(*cycle[-1][:2])
    col: dict[str, int] = {}
    for n in nx.topological_sort(dag):
        preds = list(dag.predecessors(n))
        col[n] = 1 + max((col[p] for p in preds), default=-1)
    # as late as possible: every variable just left of its earliest user (stocks stay put)
    for n in reversed(list(nx.topological_sort(dag))):
        succ = list(dag.successors(n))
        if succ:
            col[n] = max(col[n], min(col[s] for s in succ) - 1)
    # flows sit just left of the stock they fill or drain
    for n in dag.nodes:
        if info[n]["kind"] == "flow":
            stocks = [v for v in view.successors(n) if info[v]["kind"] == "stock" and view.edges[n, v]["flow"]]
            if stocks:
                col[n] = max(col[n], min(col[s] for s in stocks) - 1)
    # sources (constants, stubs) sit just left of their first user
    for n in sorted(dag.nodes, key=lambda k: -col[k]):
        if dag.in_degree(n) == 0 and dag.out_degree(n) > 0:
            col[n] = max(0, min(col[s] for s in dag.successors(n)) - 1)
    # drop empty columns
    renumber = {c: i for i, c in enumerate(sorted(set(col.values())))}
    col = {n: renumber[c] for n, c in col.items()}
    columns: dict[int, list[str]] = {}
    for n, c in col.items():
        columns.setdefault(c, []).append(n)
    order = {c: sorted(ns, key=lambda k: (info[k]["kind"] == "stub", info[k]["label"].lower())) for c, ns in columns.items()}
    pos = {n: float(i) for ns in order.values() for i, n in enumerate(ns)}
    und = view.to_undirected()
    for sweep in range(8):
        cols = sorted(order) if sweep % 2 == 0 else sorted(order, reverse=True)
        for c in cols:
            def bary(n: str) -> float:
                nbrs = [pos[m] for m in und.neighbors(n) if col[m] != c]
                return sum(nbrs) / len(nbrs) if nbrs else pos[n]

            order[c] = sorted(order[c], key=bary)
            for i, n in enumerate(order[c]):
                pos[n] = float(i)
    # centre short columns
    height = max(len(ns) for ns in order.values()) if order else 1
    placed: dict[str, Placed] = {}
    for c, ns in order.items():
        shift = (height - len(ns)) / 2
        for i, n in enumerate(ns):
            placed[n] = Placed(n, info[n]["label"], info[n]["kind"], c, i + shift, info[n]["source_group"])
    return placed
