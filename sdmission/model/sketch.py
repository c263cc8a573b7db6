"""A Vensim sketch section generated from the model: one view per group.

Each group (``.Production``, ``.Costs``, …) becomes a view with its variables on the same layered
grid as ``python -m sdmission diagram`` (stocks as boxes, everything else as plain variables),
influence arrows with their polarity (``+``/``-``), and inputs from other groups as shadow
variables. Flows are drawn as variables linked by arrows, not as valves and pipes: Vensim shows the
structure, and a modeller can redraw the pipes by hand.

``sketch_text(mdl)`` returns the text to append after the equations (it starts with Vensim's
``\\\\\\---///`` marker); ``with_sketch(mdl, out)`` writes a copy of the model with it. The source
``.mdl`` is never changed. PySD reads the views (``read_vensim(..., split_views=True)`` builds one
module per view).
"""

from __future__ import annotations

from pathlib import Path

from sdmission.errors import ModelError
from sdmission.model import source
from sdmission.model.structure import dependency_graph, group_view, layout

SKETCH_START = source.SKETCH_MARKER + " Sketch information - do not modify anything except names"
VERSION_LINE = "V300  Do not put anything below this section - it will be ignored"
VIEW_STYLE = "$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|-1--1--1|96,96,100,0"
SKETCH_END = "///---\\\\\\"

X0, Y0, DX, DY = 120, 80, 200, 56
POLARITY = {"+": 43, "-": 45}  # ASCII codes Vensim stores for arrow polarity
SKIP_GROUPS = frozenset({"Control"})


def _name(label: str) -> str:
    if any(c in label for c in ',"|'):
        return '"' + label.replace('"', '\\"') + '"'
    return label


def sketch_text(mdl: Path | str) -> str:
    """The sketch section for a model: one view per group, in file order."""
    graph = dependency_graph(mdl)
    groups = [g for g in dict.fromkeys(d["group"] for _, d in graph.nodes(data=True)) if g not in SKIP_GROUPS]
    lines: list[str] = []
    for group in groups:
        view, info = group_view(graph, group)
        placed = layout(view, info)
        lines.append(SKETCH_START)
        lines.append(VERSION_LINE)
        lines.append(f"*{group}")
        lines.append(VIEW_STYLE)
        ids: dict[str, int] = {}
        for key, p in sorted(placed.items(), key=lambda kv: (kv[1].col, kv[1].row)):
            ids[key] = len(ids) + 1
            x, y = X0 + p.col * DX, Y0 + round(p.row * DY)
            width = max(30, min(70, 3 * len(p.label)))
            if p.kind == "stub":
                lines.append(f"10,{ids[key]},{_name(p.label)},{x},{y},{width},11,8,2,0,3,-1,0,0,0,"
                             "128-128-128,0-0-0,|12||128-128-128")
            elif p.kind == "stock":
                lines.append(f"10,{ids[key]},{_name(p.label)},{x},{y},{width},20,3,3,0,0,0,0,0,0")
            else:
                lines.append(f"10,{ids[key]},{_name(p.label)},{x},{y},{width},11,8,3,0,0,0,0,0,0")
        next_id = len(ids) + 1
        for u, v, d in view.edges(data=True):
            pol = POLARITY.get(d["sign"], 0)
            thick = 1 if d["flow"] else 0
            lines.append(f"1,{next_id},{ids[u]},{ids[v]},0,0,{pol},{thick},0,64,0,-1--1--1,,1|(0,0)|")
            next_id += 1
    lines.append(SKETCH_END)
    return "\n".join(lines) + "\n"


def with_sketch(mdl: Path | str, out: Path | str) -> Path:
    """Write a copy of ``mdl`` to ``out`` with a generated sketch replacing any existing one."""
    src, dst = Path(mdl), Path(out)
    if src.resolve() == dst.resolve():
        raise ModelError(f"refusing to overwrite the source model {src}; write the copy elsewhere")
    equations = source.read(src).equations_text.rstrip() + "\n\n"
    dst.write_text(equations + sketch_text(src), encoding="utf-8")
    return dst
