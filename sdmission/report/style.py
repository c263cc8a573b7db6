"""The report style: page width, palettes, rcParams, figure frame, axes and the source line.

Colour-blind-safe palettes (Okabe & Ito for scenarios, Paul Tol's *muted* for categories); a
scenario keeps its colour in every figure, chosen by its name
(:func:`sdmission.report.identity.scenario_colors`); line styles vary too, so figures survive
greyscale printing. Figures carry no title unless asked (report authors write their own
captions); SVG text stays editable text. Figures are sized for the A4 text width (16 cm,
:data:`WIDTH_IN`) with 7.5-9 pt text and a wrapped source line underneath (:func:`finish`).
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, Final, ParamSpec, TypeVar, cast

import matplotlib as mpl
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter, ScalarFormatter

from sdmission.constants import (
    CLUSTER,
    FUNCTION,
    ROUTE,
)
from sdmission.report import labels

WIDTH_IN: Final = 6.3  # A4 text width, 16 cm

OBSERVED_COLOR: Final = "black"
REFERENCE_COLOR: Final = "0.35"
# Okabe & Ito (2008), without black (observed) and yellow (too light for lines on white).
SCENARIO_COLORS: Final = {
    "baseline": "#5F5F5F",  # dark grey: apart from mission-mix's green under deuteranopia
    "levy-neutralised": "#D55E00",
    "invest-nl": "#56B4E9",
    "procurement": "#CC79A7",
    "co2-regulation": "#E69F00",
    "mission-mix": "#009E73",
    "topsectors-only": "#0072B2",
}
# Paul Tol's 'muted' scheme (colour-blind safe), for categories and further scenarios.
MUTED: Final = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77",
                "#CC6677", "#882255", "#AA4499", "#DDDDDD")
ROUTE_COLORS: Final = {
    "conventional": "#5A5A5A",
    "efficiency": "#DDCC77",
    "electrification": "#88CCEE",
    "hydrogen": "#44AA99",
    "ccs": "#AA4499",
    "circular": "#117733",
}
# Clusters and functions get hues the route palette does not use, so side-by-side panels never
# give one colour two meanings. Picked from Paul Tol's schemes for the largest smallest distance
# (CIELAB) between any two colours, in normal vision and simulated deuteranopia (Machado et al.
# 2009); tests/unit/test_figure_style.py checks it. Clusters and functions never share a figure.
CLUSTER_PALETTE: Final = ("#332288", "#CC3311", "#33BBEE", "#AA3377", "#BBCC33", "#FFAABB")
FUNCTION_PALETTE: Final = CLUSTER_PALETTE
LINESTYLES: Final[tuple[Any, ...]] = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)),
                                      (0, (1, 1)), (0, (8, 2, 2, 2)))

STYLE: Final[dict[str, Any]] = {
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 8,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "grid.color": "0.88",
    "grid.linewidth": 0.5,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "legend.handlelength": 2.2,
    "lines.linewidth": 1.5,
    "hatch.linewidth": 0.6,
    "figure.dpi": 100,
    "svg.fonttype": "none",  # text stays text in SVG: report authors can edit every label
    "pdf.fonttype": 42,
}
SOURCE_WRAP: Final = 125  # characters per source line at 6.5 pt over the A4 text width
TITLE_WRAP: Final = 68  # characters per title line at 9.5 pt bold over the A4 text width
LABEL_WRAP: Final = 45  # characters per axis-label line under one of two side-by-side panels
_P = ParamSpec("_P")
_R = TypeVar("_R")


def category_colors(dim: str, elements: Sequence[str]) -> list[str]:
    """Colours for the elements of a subscript (routes keep semantic colours)."""
    if dim == ROUTE:
        return [ROUTE_COLORS.get(e, MUTED[i % len(MUTED)]) for i, e in enumerate(elements)]
    palette = {CLUSTER: CLUSTER_PALETTE, FUNCTION: FUNCTION_PALETTE}.get(dim, MUTED)
    return [palette[i % len(palette)] for i in range(len(elements))]


def styled(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Create every artist of a figure inside the report style (restored afterwards)."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with mpl.rc_context(cast(Any, STYLE)):
            return func(*args, **kwargs)

    return wrapper


def new_figure(height: float, *, title: str | None = None) -> Figure:
    """A constrained-layout Figure on the Agg canvas; ``title`` (if any) top left.

    Report output has no title; with one, :func:`fig_legend` makes it the shared legend's title
    (constrained layout does not stack a suptitle and an outside legend on top).
    """
    fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    FigureCanvasAgg(fig)
    if title:
        fig.suptitle("\n".join(textwrap.wrap(title, TITLE_WRAP)), x=0.01, ha="left", fontsize=9.5,
                     fontweight="bold")
    return fig


def finish(fig: Figure, lang: str, parts: Sequence[str]) -> Figure:
    """Add the wrapped source line under the figure (as supxlabel, so the layout keeps room)."""
    body = "; ".join(p for p in parts if p)
    lines = textwrap.wrap(f"{labels.text('source.prefix', lang)}: {body}.", SOURCE_WRAP)
    fig.supxlabel("\n".join(lines), x=0.01, ha="left", fontsize=6.5, color="0.3",
                  linespacing=1.3, gid="source")
    return fig


class DecimalComma(ScalarFormatter):
    """ScalarFormatter with a decimal comma (Dutch)."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return super().__call__(x, pos).replace(".", ",")


def year_axis(ax: Axes, start: float, end: float, nbins: int = 7) -> None:
    ax.set_xlim(start, end)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=nbins, integer=True, steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.0f}"))


def value_axis(ax: Axes, lang: str, *, percent: bool = False) -> None:
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0, symbol=" %"))
    elif lang == "nl":
        ax.yaxis.set_major_formatter(DecimalComma())


def fig_legend(fig: Figure, handles: Sequence[Artist], ncols: int) -> None:
    """A legend above the panels, with as many columns (up to ``ncols``) as fit the width."""
    # matplotlib's constrained layout does not stack a suptitle and an outside legend on top:
    # a title becomes the legend's title instead
    title = fig.get_suptitle()
    extra: dict[str, Any] = {}
    if title:
        fig.suptitle("")
        extra = {"title": title, "alignment": "left",
                 "title_fontproperties": {"size": 9.5, "weight": "bold"}}
    for n in range(max(ncols, 1), 0, -1):
        legend = fig.legend(handles=list(handles), loc="outside upper center", ncols=n,
                            columnspacing=1.4, **extra)
        # no renderer given: the figure's own (its Agg canvas's, see new_figure)
        if n == 1 or legend.get_window_extent().width <= 0.98 * fig.bbox.width:
            return
        legend.remove()


def bottom(ax: Axes, lowest: float) -> None:
    """Start the value axis at 0, or below it when the data go negative."""
    low = min(0.0, lowest)
    top = ax.get_ylim()[1]
    ax.set_ylim(low - 0.03 * (top - low) if low < 0 else 0.0, top)
