"""The report style: page width, palettes, rcParams, figure frame, axes and the source line.

Colour-blind-safe palettes (Okabe & Ito for scenarios, Paul Tol's *muted* for categories); a
scenario keeps its colour in every figure (:func:`scenario_colors`); line styles vary too, so
figures survive greyscale printing. Figures are sized for the A4 text width (16 cm,
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
    "baseline": "#7F7F7F",
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
# give one colour two meanings (Tol 'light'/'vibrant' subsets; colour-blind safe).
CLUSTER_PALETTE: Final = ("#332288", "#EE8866", "#882255", "#77AADD", "#999933", "#FFAABB")
FUNCTION_PALETTE: Final = ("#332288", "#EE7733", "#882255", "#0077BB", "#999933", "#EE3377")
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
    "svg.fonttype": "path",
}
SOURCE_WRAP: Final = 125  # characters per source line at 6.5 pt over the A4 text width
_P = ParamSpec("_P")
_R = TypeVar("_R")


def scenario_colors(names: Sequence[str]) -> dict[str, str]:
    """A fixed colour per scenario: shipped scenarios keep theirs; others take free ones in order."""
    taken = {SCENARIO_COLORS[n] for n in names if n in SCENARIO_COLORS}
    spare = iter([c for c in (*SCENARIO_COLORS.values(), *MUTED[:-1]) if c not in taken])
    out: dict[str, str] = {}
    for n in names:
        out[n] = SCENARIO_COLORS.get(n) or next(spare, "#000000")
        taken.add(out[n])
    return out


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

    Figures with a shared legend on top get no title (matplotlib's constrained layout does not
    stack a suptitle and an outside legend); their panel titles name what is shown.
    """
    fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    FigureCanvasAgg(fig)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=9.5, fontweight="bold")
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
    for n in range(max(ncols, 1), 0, -1):
        legend = fig.legend(handles=list(handles), loc="outside upper center", ncols=n,
                            columnspacing=1.4)
        # no renderer given: the figure's own (its Agg canvas's, see new_figure)
        if n == 1 or legend.get_window_extent().width <= 0.98 * fig.bbox.width:
            return
        legend.remove()


def bottom(ax: Axes, lowest: float) -> None:
    """Start the value axis at 0, or below it when the data go negative."""
    low = min(0.0, lowest)
    top = ax.get_ylim()[1]
    ax.set_ylim(low - 0.03 * (top - low) if low < 0 else 0.0, top)
