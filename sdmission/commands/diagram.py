"""``python -m sdmission diagram MODEL.mdl --out DIR``: one stock-flow diagram per model group.

Each Vensim group (``.Production``, ``.Costs``, …) becomes ``DIR/<group>.svg`` and ``.png``: stocks
as boxes, flows with a valve and a thick arrow into or out of their stock, auxiliaries as text,
constants and exogenous paths in grey, influence arrows with their polarity. Only links inside the
group are drawn; an input from another group appears as a grey ``<name>`` stub (as Vensim's shadow
variables) with the group it comes from. ``DIR/loops.md`` lists the feedback loops and
``DIR/index.md`` (a docs page) shows every diagram.

Readable at page width: a diagram is at most :data:`MAX_WIDTH_IN` wide, so that its smallest text
(:data:`SMALLEST_PT`) still prints at :data:`PRINTED_PT` or more when it is scaled to the report's
16 cm text width. A group whose layout needs more columns than fit is drawn as sub-diagrams
``DIR/<group>-1.svg``, ``-2``, … (see :func:`sdmission.model.structure.split_view`): each holds a
band of the group's columns, with the variables of the other parts that feed it as stubs named
``<Group> (k/n)``.

Layout: variables are placed in columns by causal order (a layered, Sugiyama-style layout with the
links out of stocks treated as feedback), sources sit just left of their first user, and rows are
ordered by the barycentre heuristic to reduce crossings. Feedback links curve back to the left.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Polygon
from matplotlib.text import Text

from sdmission.io import atomic_write_text
from sdmission.model.structure import group_view, layout, split_view
from sdmission.settings import discover

HELP = "draw one stock-flow diagram per model group (SVG + PNG) and list the feedback loops"
SKIP_GROUPS = frozenset({"Control"})

PAGE_WIDTH_IN = 6.3  # the report's text width, 16 cm
SMALLEST_PT = 8.0  # smallest text in a diagram (stubs, constants, the legend line)
PRINTED_PT = 6.5  # smallest text size a reader gets at page width
MAX_WIDTH_IN = PAGE_WIDTH_IN * SMALLEST_PT / PRINTED_PT  # 7.75 in: scaled to 16 cm, 8 pt prints at 6.5 pt
COL_W = 1.4  # inches per column
ROW_H = 0.62  # inches per row
MARGIN_W = 0.6  # inches beside the columns
MIN_WIDTH_IN = 6.0
MAX_COLS = int((MAX_WIDTH_IN - MARGIN_W) // COL_W)  # columns that fit in MAX_WIDTH_IN
WRAP = 14  # characters per label line
FOOTER_WRAP = 95  # characters per line of the legend under a diagram
DPI = 150

COLORS = {
    "stock": "#1f3b73",
    "flow": "#1f3b73",
    "aux": "#222222",
    "constant": "#7a7a7a",
    "lookup": "#7a5a20",
    "stub": "#9a9a9a",
}
SIGN_COLORS = {"+": "#2a7a2a", "-": "#b22222"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", type=Path, default=None,
                        help="Vensim model (default: models/sdmission.mdl in the project folder)")
    parser.add_argument("--out", type=Path, default=Path("docs/diagrams"), help="output folder (default: %(default)s)")
    parser.add_argument("--group", action="append", default=None, help="only this group (repeatable)")
    parser.add_argument("--max-loop-length", type=int, default=8, help="longest loop listed in loops.md")
    parser.add_argument("--format", dest="formats", action="append", choices=("svg", "png"), default=None,
                        help="file format (repeatable; default: svg and png)")


def run(args: argparse.Namespace) -> int:
    model: Path = args.model or discover().default_model
    from sdmission.errors import InputError, Problem
    from sdmission.model.structure import dependency_graph, loop_table, loops_of

    graph = dependency_graph(model)
    groups = list(dict.fromkeys(d["group"] for _, d in graph.nodes(data=True)))
    wanted = [g for g in groups if g not in SKIP_GROUPS] if not args.group else args.group
    unknown = [g for g in wanted if g not in groups]
    if unknown:
        raise InputError([Problem(f"no group '{g}' (groups: {', '.join(groups)})", model) for g in unknown])
    args.out.mkdir(parents=True, exist_ok=True)
    formats = args.formats or ["svg", "png"]
    pages: list[tuple[str, list[str]]] = []
    for group in wanted:
        figures = draw_parts(graph, group)
        stems = [slug(group)] if len(figures) == 1 else [f"{slug(group)}-{k + 1}" for k in range(len(figures))]
        for fmt in formats:
            _remove_stale(args.out, slug(group), fmt)
        for stem, fig in zip(stems, figures, strict=True):
            for fmt in formats:
                path = args.out / f"{stem}.{fmt}"
                meta = {"Date": None} if fmt == "svg" else {"Software": None}
                with rc_context({"svg.fonttype": "none", "svg.hashsalt": "sdmission"}):
                    fig.savefig(path, format=fmt, dpi=DPI, metadata=meta)
                print(path)
        pages.append((group, stems))
    if not args.group:
        index = args.out / "index.md"
        atomic_write_text(index, index_page(Path(model).name, pages, formats))
        print(index)
    loops = loops_of(graph, max_length=args.max_loop_length)
    names = {n: d["name"] for n, d in graph.nodes(data=True)}
    md = args.out / "loops.md"
    atomic_write_text(
        md,
        f"# Feedback loops of {Path(model).name} (length <= {args.max_loop_length})\n\n"
        "Generated by `python -m sdmission diagram`. Polarity from the signs of the partial derivatives "
        "(variables assumed non-negative); 'unknown' where a link's sign depends on values. Loops are per "
        "variable, not per subscript element.\n\n" + loop_table(loops, names) + "\n",
    )
    print(md)
    return 0


def slug(group: str) -> str:
    """File name for a group: ``CO2 cost and levy`` -> ``co2-cost-and-levy``."""
    return re.sub(r"[^a-z0-9]+", "-", group.lower()).strip("-")


def _remove_stale(out: Path, stem: str, fmt: str) -> None:
    """Delete a group's earlier files (whole or in parts), so a regrouped model leaves none behind."""
    for old in out.glob(f"{stem}*.{fmt}"):
        if re.fullmatch(rf"{re.escape(stem)}(-\d+)?\.{fmt}", old.name):
            old.unlink()


def index_page(model: str, pages: Iterable[tuple[str, list[str]]], formats: Iterable[str]) -> str:
    """A Markdown page showing every diagram (PNG if written, linking to the SVG if written)."""
    fmts = list(formats)
    lines = [f"# Causal diagrams of {model}", "",
             "Generated by `python -m sdmission diagram`: one stock-flow diagram per model group, split "
             "into numbered parts where a group is too wide to read at page width. Boxes are stocks, "
             "thick arrows flows, green + / red − the polarity of a link; names in grey `<…>` come from "
             "the group (or part) named under them. The feedback loops are listed in `loops.md`.", ""]
    for group, stems in pages:
        lines += [f"## {group}", ""]
        for k, stem in enumerate(stems):
            alt = group if len(stems) == 1 else f"{group} ({k + 1}/{len(stems)})"
            image = f"{stem}.png" if "png" in fmts else f"{stem}.svg"
            lines.append(f"[![{alt}]({image})]({stem}.svg)" if "svg" in fmts else f"![{alt}]({image})")
            lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- drawing


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, WRAP)) or text


def draw_parts(graph: nx.MultiDiGraph, group: str) -> list[Figure]:
    """One Figure per part of a group (one when it fits :data:`MAX_WIDTH_IN`); nothing is saved."""
    view, info = group_view(graph, group)
    parts = split_view(view, info, MAX_COLS, group)
    if len(parts) == 1:
        return [draw_view(view, info, group)]
    return [draw_view(v, i, f"{group} ({k + 1}/{len(parts)})") for k, (v, i) in enumerate(parts)]


def draw_group(graph: nx.MultiDiGraph, group: str) -> Figure:
    """A matplotlib Figure of one group's whole stock-flow structure, however wide (nothing is saved)."""
    view, info = group_view(graph, group)
    return draw_view(view, info, group)


def draw_view(view: nx.DiGraph, info: dict[str, dict[str, str]], title: str) -> Figure:
    """A matplotlib Figure of a group view (or a part of one) titled ``title``."""
    placed = layout(view, info)
    ncols = 1 + max((p.col for p in placed.values()), default=0)
    nrows = max((p.row for p in placed.values()), default=0) + 1
    width = max(MIN_WIDTH_IN, ncols * COL_W + MARGIN_W)
    footer = textwrap.wrap(
        f"{sum(p.kind != 'stub' for p in placed.values())} variables "
        f"({sum(p.kind == 'stock' for p in placed.values())} stocks); "
        f"{sum(p.kind == 'stub' for p in placed.values())} inputs from elsewhere in <grey>; "
        "boxes = stocks, thick arrows = flows, green + / red − = link polarity", FOOTER_WRAP)
    height = max(3.0, nrows * ROW_H + 0.9 + 0.2 * len(footer))
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.5 * COL_W, (ncols - 0.5) * COL_W)
    bottom = -(nrows - 0.5) * ROW_H - 0.3 - 0.2 * len(footer)
    ax.set_ylim(bottom, 0.6 * ROW_H)
    ax.axis("off")
    xy = {k: (p.col * COL_W, -p.row * ROW_H) for k, p in placed.items()}
    ax.text(-0.45 * COL_W, 0.42 * ROW_H, title, fontsize=12, fontweight="bold", va="center", ha="left")
    ax.text(-0.45 * COL_W, bottom + 0.08, "\n".join(footer), fontsize=SMALLEST_PT, color="#555555",
            va="bottom", ha="left")
    artists: dict[str, Text] = {}
    for k, p in placed.items():
        x, y = xy[k]
        label = _wrap(p.label)
        if p.kind == "stub":
            label = _wrap(f"<{p.label}>") + "\n" + _wrap(p.source_group)
        style: dict[str, Any] = dict(fontsize=8.5, ha="center", va="center", color=COLORS.get(p.kind, "#222222"), zorder=3)
        if p.kind == "stock":
            bbox = dict(boxstyle="square,pad=0.45", fc="#e8eef9", ec=COLORS["stock"], lw=1.4)
            artists[k] = ax.text(x, y, label, fontweight="bold", bbox=bbox, **style)
        elif p.kind == "flow":
            artists[k] = ax.text(x, y, label, bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="none"), **style)
            _valve(ax, x, y + 0.2 * ROW_H)
        elif p.kind == "stub":
            artists[k] = ax.text(x, y, label, fontsize=SMALLEST_PT, style="italic", ha="center", va="center", color=COLORS["stub"],
                                 bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none"), zorder=3)
        elif p.kind in ("constant", "lookup"):
            artists[k] = ax.text(x, y, label, fontsize=SMALLEST_PT, ha="center", va="center", color=COLORS[p.kind],
                                 style="italic" if p.kind == "lookup" else "normal",
                                 bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none"), zorder=3)
        else:
            artists[k] = ax.text(x, y, label, bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="none"), **style)
    for u, v, d in view.edges(data=True):
        _arrow(ax, xy[u], xy[v], artists[u], artists[v], d["sign"], d["flow"], placed[u].col >= placed[v].col)
    return fig


def _valve(ax: Axes, x: float, y: float) -> None:
    w, h = 0.07, 0.07
    ax.add_patch(Polygon([(x - w, y - h), (x + w, y + h), (x + w, y - h), (x - w, y + h)], closed=True,
                         fc="#1f3b73", ec="none", zorder=4))


def _arrow(ax: Axes, a: tuple[float, float], b: tuple[float, float], ta: Text, tb: Text, sign: str,
           flow: int, backward: bool) -> None:
    # Text artists clip the arrow at their (drawn) box; matplotlib's stubs only name Patch here
    patch_a: Any = ta
    patch_b: Any = tb
    if flow:
        rad = 0.0
        patch = FancyArrowPatch(a, b, arrowstyle="-|>,head_length=6,head_width=4", lw=2.6, color="#1f3b73",
                                connectionstyle="arc3,rad=0.0", patchA=patch_a, patchB=patch_b, zorder=2,
                                shrinkA=2, shrinkB=2, alpha=0.85)
    else:
        span = abs(b[0] - a[0]) / COL_W
        rad = min(0.4, 0.5 / max(1.0, span)) if backward else 0.08
        patch = FancyArrowPatch(a, b, arrowstyle="-|>,head_length=4,head_width=2.2", lw=0.7,
                                color="#c0392b" if backward else "#5b6f8a", alpha=0.75,
                                connectionstyle=f"arc3,rad={rad}", patchA=patch_a, patchB=patch_b, zorder=1,
                                shrinkA=1, shrinkB=1, linestyle=(0, (3, 2)) if backward else "-")
    ax.add_patch(patch)
    if sign in SIGN_COLORS:
        # point at t = 0.8 on matplotlib's arc3 quadratic Bezier (data units are close to isotropic)
        (x1, y1), (x2, y2) = a, b
        cx, cy = (x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1)
        t = 0.8
        mx = (1 - t) ** 2 * x1 + 2 * (1 - t) * t * cx + t**2 * x2
        my = (1 - t) ** 2 * y1 + 2 * (1 - t) * t * cy + t**2 * y2
        ax.text(mx, my + 0.06, "+" if sign == "+" else "\u2212", fontsize=SMALLEST_PT, color=SIGN_COLORS[sign],
                ha="center", va="center", fontweight="bold", zorder=4)


def groups_of(graph: nx.MultiDiGraph) -> Iterable[str]:
    """Groups of a dependency graph in file order."""
    return dict.fromkeys(d["group"] for _, d in graph.nodes(data=True))
