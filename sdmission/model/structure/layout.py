"""Layout of one group's diagram: columns by causal depth, rows by barycentre sweeps."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

Info = dict[str, dict[str, str]]


@dataclass(frozen=True)
class Placed:
    """A node of a group diagram with its column and row."""

    key: str
    label: str
    kind: str
    col: int
    row: float
    source_group: str = ""


def group_view(graph: nx.MultiDiGraph, group: str) -> tuple[nx.DiGraph, Info]:
    """The group's own variables plus stubs for inputs from other groups; links inside the view."""
    inside = [n for n, d in graph.nodes(data=True) if d["group"] == group and d["kind"] != "control"]
    view = nx.DiGraph()
    info: Info = {}
    for n in inside:
        d = graph.nodes[n]
        view.add_node(n)
        info[n] = {"label": d["name"], "kind": d["kind"], "source_group": ""}
    for u, v, d in graph.edges(data=True):
        if v not in info or d["initial"] or info[v]["kind"] == "stub":
            continue
        if u not in info:
            _add_stub(graph, view, info, u, v, d["sign"])
        elif u != v:
            old = view.get_edge_data(u, v)
            flow = d["flow"] or (old["flow"] if old else 0)
            view.add_edge(u, v, sign=d["sign"], flow=flow)
    return view, info


def _add_stub(graph: nx.MultiDiGraph, view: nx.DiGraph, info: Info, u: str, v: str, sign: str) -> None:
    """Link ``u`` (a variable of another group) into the view as a shadow ``stub:u`` (controls skipped)."""
    ud = graph.nodes[u]
    if ud["kind"] == "control":
        return
    stub = f"stub:{u}"
    if stub not in info:
        info[stub] = {"label": ud["name"], "kind": "stub", "source_group": ud["group"]}
        view.add_node(stub)
    view.add_edge(stub, v, sign=sign, flow=0)


def layout(view: nx.DiGraph, info: Info) -> dict[str, Placed]:
    """Columns by causal depth (links out of stocks cut), rows by barycentre sweeps."""
    dag = _acyclic(view, info)
    col = _columns(dag, view, info)
    order = _rows(view, info, col)
    # centre short columns
    height = max(len(ns) for ns in order.values()) if order else 1
    placed: dict[str, Placed] = {}
    for c, ns in order.items():
        shift = (height - len(ns)) / 2
        for i, n in enumerate(ns):
            placed[n] = Placed(n, info[n]["label"], info[n]["kind"], c, i + shift, info[n]["source_group"])
    return placed


def _acyclic(view: nx.DiGraph, info: Info) -> nx.DiGraph:
    """The view without links out of stocks, and with any remaining cycle broken."""
    dag = nx.DiGraph()
    dag.add_nodes_from(view.nodes)
    for u, v in view.edges:
        if info[u]["kind"] != "stock":
            dag.add_edge(u, v)
    # break any remaining cycle (algebraic loops cannot exist, but be safe)
    while not nx.is_directed_acyclic_graph(dag):
        cycle = nx.find_cycle(dag)
        dag.remove_edge(*cycle[-1][:2])
    return dag


def _columns(dag: nx.DiGraph, view: nx.DiGraph, info: Info) -> dict[str, int]:
    """Column of every node, empty columns dropped."""
    col: dict[str, int] = {}
    for n in nx.topological_sort(dag):
        col[n] = 1 + max((col[p] for p in dag.predecessors(n)), default=-1)
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
    renumber = {c: i for i, c in enumerate(sorted(set(col.values())))}
    return {n: renumber[c] for n, c in col.items()}


def _rows(view: nx.DiGraph, info: Info, col: dict[str, int]) -> dict[int, list[str]]:
    """Nodes of each column in row order: by label first, then eight barycentre sweeps."""
    columns: dict[int, list[str]] = {}
    for n, c in col.items():
        columns.setdefault(c, []).append(n)
    order = {c: sorted(ns, key=lambda k: (info[k]["kind"] == "stub", info[k]["label"].lower())) for c, ns in columns.items()}
    pos = {n: float(i) for ns in order.values() for i, n in enumerate(ns)}
    und = view.to_undirected()
    for sweep in range(8):
        cols = sorted(order) if sweep % 2 == 0 else sorted(order, reverse=True)
        for c in cols:
            def bary(n: str, c: int = c) -> float:
                nbrs = [pos[m] for m in und.neighbors(n) if col[m] != c]
                return sum(nbrs) / len(nbrs) if nbrs else pos[n]

            order[c] = sorted(order[c], key=bary)
            for i, n in enumerate(order[c]):
                pos[n] = float(i)
    return order


def split_view(view: nx.DiGraph, info: Info, max_cols: int, name: str) -> list[tuple[nx.DiGraph, Info]]:
    """The view as one or more parts whose :func:`layout` is at most ``max_cols`` columns wide.

    A view that fits is returned as it is. A wider one is cut into consecutive bands of its own
    variables' columns (``max_cols - 1`` wide, leaving a column for the inputs); a flow stays in its
    stock's part and a source (a constant or an input with no cause in the group) in its first user's. In each part, a variable of another part that links in appears as a stub whose
    source is ``"<name> (k/n)"``, and a stub of another group stays that group's stub.
    """
    if max_cols < 2:
        raise ValueError(f"max_cols must be at least 2 (given {max_cols})")
    placed = layout(view, info)
    if 1 + max((p.col for p in placed.values()), default=0) <= max_cols:
        return [(view, info)]
    own = [n for n in view.nodes if info[n]["kind"] != "stub"]
    # sources (constants, inputs without causes here) go with their first user, not by column
    sources = {n for n in own if view.in_degree(n) == 0 and view.out_degree(n) > 0}
    band = max_cols - 1
    ranked = [n for n in own if n not in sources] or own
    first = min(placed[n].col for n in ranked)
    part = {n: max(0, placed[n].col - first) // band for n in ranked}
    for n in ranked:  # a flow goes with the stock it fills or drains
        stocks = [v for v in view.successors(n) if info[v]["kind"] == "stock" and view.edges[n, v]["flow"]]
        if info[n]["kind"] == "flow" and stocks and stocks[0] in part:
            part[n] = part[stocks[0]]
    for n in sources - set(part):
        users = sorted((placed[v].col, part[v]) for v in view.successors(n) if v in part)
        part[n] = users[0][1] if users else 0
    used = sorted(set(part.values()))
    index = {p: i for i, p in enumerate(used)}
    part = {n: index[p] for n, p in part.items()}
    total = len(used)
    out: list[tuple[nx.DiGraph, Info]] = []
    for k in range(total):
        sub = nx.DiGraph()
        sub_info: Info = {}
        members = [n for n in own if part[n] == k]
        for n in members:
            sub.add_node(n)
            sub_info[n] = dict(info[n])
        for u, v, d in view.edges(data=True):
            if v not in sub_info or sub_info[v]["kind"] == "stub":
                continue
            if u in sub_info and sub_info[u]["kind"] != "stub":
                sub.add_edge(u, v, **d)
                continue
            stub = u if info[u]["kind"] == "stub" else f"stub:{u}"
            if stub not in sub_info:
                source = info[u]["source_group"] if info[u]["kind"] == "stub" else f"{name} ({part[u] + 1}/{total})"
                sub_info[stub] = {"label": info[u]["label"], "kind": "stub", "source_group": source}
                sub.add_node(stub)
            sub.add_edge(stub, v, sign=d["sign"], flow=0)
        out.append((sub, sub_info))
    return out
