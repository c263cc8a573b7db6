"""Report figures: pure functions from result Datasets to matplotlib Figures.

Every function takes results (one ``xarray.Dataset`` or a mapping ``{scenario: Dataset}``), draws
with the object API on the Agg canvas (no pyplot, no global state) and returns a
:class:`matplotlib.figure.Figure`; saving is the caller's job (``sdmission.commands.plot``).

Conventions
-----------
* Sized for the A4 text width (16 cm, :data:`WIDTH_IN`), 7.5–9 pt text.
* Colour-blind-safe palettes (Okabe & Ito for scenarios, Paul Tol's *muted* for categories);
  a scenario keeps its colour in every figure (:func:`scenario_colors`); line styles vary too, so
  figures survive greyscale printing.
* Units in axis labels, a source line under each figure, English or Dutch (``lang="nl"``).
* A ``member`` dim (ensemble) turns trajectories into fan charts: median, 25–75 % and 5–95 % bands.
  Stacked figures show the ensemble mean (means add up; medians do not) and say so.
* Artists tests look for carry a ``gid``: ``scenario:<name>``, ``observed``, ``ref1990``,
  ``target:<id>``, ``stack:<element>``, ``captured``, ``non_co2``, ``net_total``, ``npv:<element>``.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final, ParamSpec, TypeVar, cast

import matplotlib as mpl
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter, ScalarFormatter

from sdmission import labels
from sdmission.constants import (
    CLUSTER,
    FUNCTION,
    INDUSTRY_GHG_1990_MT,
    INSTRUMENT,
    MEMBER,
    NATIONAL_GHG_1990_MT,
    ROUTE,
    SCENARIO,
    SECTOR,
    TIME,
)
from sdmission.errors import InputError, Problem
from sdmission.targets import Target, TargetSet

Runs = xr.Dataset | Mapping[str, xr.Dataset] | Sequence[xr.Dataset]

WIDTH_IN: Final = 6.3  # A4 text width, 16 cm
DISCOUNT_RATE: Final = 0.0225  # Dutch standard discount rate (Werkgroep discontovoet 2020), real
NPV_START: Final = 2025

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

_STYLE: Final[dict[str, Any]] = {
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
_SOURCE_WRAP: Final = 125  # characters per source line at 6.5 pt over the A4 text width
_P = ParamSpec("_P")
_R = TypeVar("_R")


# --------------------------------------------------------------------------------------------------
# Observed history (copied from shared/data/observed with its source column)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observed:
    """An observed yearly series: ``years`` (int, (n,)), ``values`` (float, (n,)) in ``unit``."""

    name: str
    years: np.ndarray
    values: np.ndarray
    unit: str
    source: str


@functools.cache
def observed(name: str) -> Observed:
    """Read ``sdmission/data/observed/<name>.csv`` (columns year, value, unit, source[, note])."""
    path = resources.files("sdmission") / "data" / "observed" / f"{name}.csv"
    with resources.as_file(path) as file:
        if not file.is_file():
            raise FileNotFoundError(f"observed series '{name}' is not shipped ({file})")
        frame = pd.read_csv(file)
    return Observed(
        name=name,
        years=frame["year"].to_numpy(dtype=int),
        values=frame["value"].to_numpy(dtype=float),
        unit=str(frame["unit"].iloc[0]),
        source=str(frame["source"].iloc[0]),
    )


OBSERVED_NATIONAL: Final = "nl_ghg_total_klimaatwet_scope_mt"
OBSERVED_INDUSTRY: Final = "nl_ghg_industry_klimaatsector_mt"
OBSERVED_CMU: Final = "nl_circular_material_use_rate_pct"


# --------------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------------


def as_runs(data: Runs) -> dict[str, xr.Dataset]:
    """Normalise results to ``{scenario name: Dataset}`` (order kept).

    A single Dataset is named by its ``scenario`` coordinate or attr (``"scenario"`` if neither);
    a Dataset with a ``scenario`` dim is split along it; a list of Datasets is named the same way.
    """
    if isinstance(data, xr.Dataset):
        if SCENARIO in data.dims:
            return {str(s): data.sel({SCENARIO: s}) for s in data[SCENARIO].values}
        return {_scenario_name(data): data}
    if isinstance(data, Sequence) and not isinstance(data, str):
        out_list: dict[str, xr.Dataset] = {}
        for i, ds in enumerate(data):
            if not isinstance(ds, xr.Dataset):
                raise InputError([Problem(f"results[{i}] is a {type(ds).__name__}, not an "
                                          "xarray.Dataset", key="results")])
            name = _scenario_name(ds)
            if name in out_list:
                raise InputError([Problem(f"scenario '{name}' is given twice", key="results")])
            out_list[name] = ds
        if out_list:
            return out_list
    if not isinstance(data, Mapping) or not data:
        raise InputError([Problem("figures need at least one result Dataset", key="results")])
    out: dict[str, xr.Dataset] = {}
    for name, ds in cast(Mapping[str, Any], data).items():
        if not isinstance(ds, xr.Dataset):
            raise InputError([Problem(f"results '{name}' is a {type(ds).__name__}, not an "
                                      "xarray.Dataset", key="results")])
        out[str(name)] = ds
    return out


def _scenario_name(ds: xr.Dataset) -> str:
    if SCENARIO in ds.coords and ds[SCENARIO].ndim == 0:
        return str(ds[SCENARIO].item())
    return str(ds.attrs.get(SCENARIO, SCENARIO))


def require(runs: Mapping[str, xr.Dataset], variables: Sequence[str], figure: str) -> None:
    """Raise :class:`InputError` naming every variable a figure needs that a run lacks."""
    problems = []
    for name, ds in runs.items():
        missing = [v for v in variables if v not in ds.data_vars]
        if missing:
            problems.append(Problem(
                f"figure '{figure}' needs variable(s) {', '.join(missing)}, which results "
                f"'{name}' do not contain", key=name))
        elif TIME not in ds.dims:
            problems.append(Problem(f"results '{name}' have no '{TIME}' dim", key=name))
    if problems:
        raise InputError(problems)


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


def npv(cost: xr.DataArray, rate: float = DISCOUNT_RATE, start: int = NPV_START) -> xr.DataArray:
    """Net present value of a yearly flow, discounted to ``start``.

    Parameters
    ----------
    cost
        A flow per year (e.g. MEUR/Year) with a ``time`` dim; other dims are kept.
    rate
        Real discount rate per year (fraction).
    start
        First year counted and the year values are discounted to.

    Returns
    -------
    xr.DataArray
        ``sum over whole years t >= start of cost_t / (1 + rate) ** (t - start)``, in the flow's
        unit times one year (MEUR for MEUR/Year).
    """
    t = np.asarray(cost[TIME].values, dtype=float)
    keep = (np.abs(t - np.round(t)) < 1e-6) & (t >= start - 1e-6)
    if not keep.any():
        raise InputError([Problem(f"no whole years from {start} in the results "
                                  f"({t.min():g}..{t.max():g}) to discount", key="npv")])
    flow = cost.isel({TIME: np.flatnonzero(keep)})
    factor = xr.DataArray((1.0 + rate) ** -(np.round(t[keep]) - start), dims=TIME,
                          coords={TIME: flow[TIME].values})
    return (flow * factor).sum(TIME)


# --------------------------------------------------------------------------------------------------
# Drawing helpers
# --------------------------------------------------------------------------------------------------


def _styled(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Create every artist of a figure inside the report style (restored afterwards)."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with mpl.rc_context(cast(Any, _STYLE)):
            return func(*args, **kwargs)

    return wrapper


def _figure(height: float, *, title: str | None = None) -> Figure:
    """A constrained-layout Figure on the Agg canvas; ``title`` (if any) top left.

    Figures with a shared legend on top get no title (matplotlib's constrained layout does not
    stack a suptitle and an outside legend); their panel titles name what is shown.
    """
    fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    FigureCanvasAgg(fig)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=9.5, fontweight="bold")
    return fig


def _finish(fig: Figure, lang: str, parts: Sequence[str]) -> Figure:
    """Add the wrapped source line under the figure (as supxlabel, so the layout keeps room)."""
    body = "; ".join(p for p in parts if p)
    lines = textwrap.wrap(f"{labels.text('source.prefix', lang)}: {body}.", _SOURCE_WRAP)
    fig.supxlabel("\n".join(lines), x=0.01, ha="left", fontsize=6.5, color="0.3",
                  linespacing=1.3, gid="source")
    return fig


class _DecimalComma(ScalarFormatter):
    """ScalarFormatter with a decimal comma (Dutch)."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return super().__call__(x, pos).replace(".", ",")


def _year_axis(ax: Axes, start: float, end: float, nbins: int = 7) -> None:
    ax.set_xlim(start, end)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=nbins, integer=True, steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.0f}"))


def _value_axis(ax: Axes, lang: str, *, percent: bool = False) -> None:
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0, symbol=" %"))
    elif lang == "nl":
        ax.yaxis.set_major_formatter(_DecimalComma())


def _years(da: xr.DataArray) -> np.ndarray:
    return np.asarray(da[TIME].values, dtype=float)


def _n_members(ds: xr.Dataset) -> int:
    return int(ds.sizes[MEMBER]) if MEMBER in ds.dims else 1


def _trajectory(ax: Axes, da: xr.DataArray, *, color: str, label: str, gid: str,
                scale: float = 1.0, linestyle: Any = "-", linewidth: float = 1.6) -> Line2D:
    """A time series, or a fan chart (median, 25–75 %, 5–95 %) when ``da`` has members."""
    extra = [d for d in da.dims if d not in (TIME, MEMBER)]
    if extra:
        raise ValueError(f"trajectory of '{da.name}' has extra dims {extra}; select or sum first")
    x = _years(da)
    if MEMBER in da.dims and da.sizes[MEMBER] > 1:
        q = da.quantile([0.05, 0.25, 0.5, 0.75, 0.95], dim=MEMBER).transpose("quantile", TIME)
        v = q.values * scale
        ax.fill_between(x, v[0], v[4], color=color, alpha=0.15, linewidth=0, gid=f"{gid}:band90")
        ax.fill_between(x, v[1], v[3], color=color, alpha=0.3, linewidth=0, gid=f"{gid}:band50")
        y = v[2]
    else:
        y = (da.squeeze(MEMBER, drop=True) if MEMBER in da.dims else da).transpose(TIME).values
        y = y * scale
    (line,) = ax.plot(x, y, color=color, label=label, gid=gid, linestyle=linestyle,
                      linewidth=linewidth, zorder=3)
    return line


def _observed_line(ax: Axes, obs: Observed, label: str, *, scale: float = 1.0) -> Line2D:
    (line,) = ax.plot(obs.years, obs.values * scale, color=OBSERVED_COLOR, linewidth=1.1,
                      marker="o", markersize=1.8, label=label, gid="observed", zorder=4)
    return line


def _reference_1990(ax: Axes, level: float, lang: str, x_end: float) -> None:
    ax.axhline(level, color=REFERENCE_COLOR, linestyle=":", linewidth=0.9, gid="ref1990", zorder=1)
    ax.annotate(f"{labels.text('legend.level_1990', lang)}: {labels.number(level, lang)} Mt",
                xy=(x_end, level), xytext=(0, 2), textcoords="offset points", ha="right",
                va="bottom", fontsize=6.5, color=REFERENCE_COLOR)


def _ghg_target_value(t: Target, panel: str) -> float | None:
    """A target as absolute Mt CO2-eq/yr on the ``national`` or ``industry`` GHG panel."""
    if panel == "national":
        if t.metric == "national_ghg":
            return t.threshold
        if t.metric == "ghg_reduction_vs_1990":
            return NATIONAL_GHG_1990_MT * (1.0 - t.threshold)
    if panel == "industry":
        if t.metric == "industry_ghg":
            return t.threshold
        if t.metric == "industry_ghg_reduction_vs_1990":
            return INDUSTRY_GHG_1990_MT * (1.0 - t.threshold)
    return None


def _target_text(t: Target, lang: str) -> str:
    if t.metric.endswith("reduction_vs_1990"):
        return f"\u2212{labels.number(100 * t.threshold, lang, 0)} %"
    if t.metric == "circular_share":
        return f"{labels.number(100 * t.threshold, lang, 0)} %"
    if t.threshold == 0.0:
        return labels.text("legend.net_zero", lang)
    return f"{labels.number(t.threshold, lang)} Mt"


def _draw_targets(ax: Axes, points: Sequence[tuple[Target, float]], lang: str) -> None:
    """Diamond markers at (target year, value), labelled on their left.

    Targets with the same value and label (net zero in 2040 and 2050) share one label, on the left
    of the earliest, so labels never overprint.
    """
    labelled: set[tuple[float, str]] = set()
    for t, value in sorted(points, key=lambda p: p[0].year):
        ax.plot([t.year], [value], linestyle="none", marker="D", markersize=5,
                markerfacecolor="white", markeredgecolor="black", markeredgewidth=1.1,
                gid=f"target:{t.id}", zorder=6, clip_on=False)
        text = _target_text(t, lang)
        if (round(value, 9), text) in labelled:
            continue
        labelled.add((round(value, 9), text))
        on_axis = value <= 0.0  # the value axis starts at 0: lift the label off the spine
        ax.annotate(text, xy=(t.year, value), xytext=(-4, 3) if on_axis else (-5, 0),
                    textcoords="offset points", ha="right", va="bottom" if on_axis else "center",
                    fontsize=6.5, fontweight="bold", zorder=6)


def _target_handle(targets: TargetSet, lang: str) -> Line2D:
    return Line2D([], [], linestyle="none", marker="D", markersize=5, markerfacecolor="white",
                  markeredgecolor="black", markeredgewidth=1.1,
                  label=labels.text("legend.target", lang, name=targets.name))


def _fig_legend(fig: Figure, handles: Sequence[Any], ncols: int) -> None:
    """A legend above the panels, with as many columns (up to ``ncols``) as fit the width."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    for n in range(max(ncols, 1), 0, -1):
        legend = fig.legend(handles=list(handles), loc="outside upper center", ncols=n,
                            columnspacing=1.4)
        if n == 1 or legend.get_window_extent(renderer).width <= 0.98 * fig.bbox.width:
            return
        legend.remove()


def _model_source(runs: Mapping[str, xr.Dataset], lang: str) -> str:
    names = ", ".join(labels.scenario(n, lang) for n in runs)
    out = labels.text("source.model", lang, names=names)
    n = max(_n_members(ds) for ds in runs.values())
    if n > 1:
        out += f" ({labels.text('legend.ensemble', lang, n=n)})"
    return out


def _bottom(ax: Axes, lowest: float) -> None:
    """Start the value axis at 0, or below it when the data go negative."""
    low = min(0.0, lowest)
    top = ax.get_ylim()[1]
    ax.set_ylim(low - 0.03 * (top - low) if low < 0 else 0.0, top)


def _data_min(runs: Mapping[str, xr.Dataset], var: str, scale: float = 1.0) -> float:
    return float(min(float(ds[var].min()) for ds in runs.values())) * scale


# --------------------------------------------------------------------------------------------------
# 1. GHG trajectories
# --------------------------------------------------------------------------------------------------

GHG_VARS: Final = ("national_ghg", "industry_ghg")


@_styled
def ghg_trajectories(data: Runs, targets: TargetSet | None = None, *, lang: str = "en",
                     history: bool = True) -> Figure:
    """National and industry GHG emissions per scenario against the targets and the 1990 level.

    Parameters
    ----------
    data
        Results with ``national_ghg`` and ``industry_ghg`` (Mt CO2-eq/yr), dims ``time``
        [, ``member``].
    targets
        Targets to mark; reduction targets become absolute lines ``1990 level × (1 − reduction)``.
    lang
        ``"en"`` or ``"nl"``.
    history
        Draw observed emissions 1990–2023 (CBS/RIVM, Klimaatwet scope).

    Returns
    -------
    Figure
        Two panels (national, industry).
    """
    labels.check_lang(lang)
    runs = as_runs(data)
    require(runs, GHG_VARS, "ghg_trajectories")
    colors = scenario_colors(list(runs))
    fig = _figure(3.4)
    axes = fig.subplots(1, 2, sharex=True)
    t_end = max(float(_years(ds["national_ghg"]).max()) for ds in runs.values())
    t_start = 1990.0 if history else min(float(_years(ds["national_ghg"]).min())
                                         for ds in runs.values())
    panels = (("national", "national_ghg", NATIONAL_GHG_1990_MT, OBSERVED_NATIONAL),
              ("industry", "industry_ghg", INDUSTRY_GHG_1990_MT, OBSERVED_INDUSTRY))
    for ax, (panel, var, level, obs_name) in zip(axes, panels, strict=True):
        for i, (name, ds) in enumerate(runs.items()):
            _trajectory(ax, ds[var], color=colors[name], label=labels.scenario(name, lang),
                        gid=f"scenario:{name}", linestyle=LINESTYLES[i % len(LINESTYLES)])
        if history:
            _observed_line(ax, observed(obs_name), labels.text("legend.observed", lang))
        _reference_1990(ax, level, lang, t_end)
        if targets is not None:
            pts = [(t, v) for t in targets.targets
                   if (v := _ghg_target_value(t, panel)) is not None]
            _draw_targets(ax, pts, lang)
        ax.set_title(labels.text(f"var.{var}", lang))
        ax.set_ylabel(labels.text("axis.ghg", lang))
        _year_axis(ax, t_start, t_end + 0.5)
        _value_axis(ax, lang)
        ax.set_ylim(top=level * 1.12)
        _bottom(ax, _data_min(runs, var))
    handles, _ = axes[0].get_legend_handles_labels()
    if targets is not None:
        handles.append(_target_handle(targets, lang))
    _fig_legend(fig, handles, ncols=min(len(handles), 5))
    parts = [_model_source(runs, lang)]
    if history:
        parts.append(labels.text("source.ghg", lang))
    if targets is not None:
        parts.append(labels.text("source.targets", lang, name=targets.name))
    return _finish(fig, lang, parts)


# --------------------------------------------------------------------------------------------------
# 2. Circular share
# --------------------------------------------------------------------------------------------------


@_styled
def circular_share(data: Runs, targets: TargetSet | None = None, *, lang: str = "en",
                   history: bool = True) -> Figure:
    """Circular share of industrial material input per scenario against the targets.

    Parameters
    ----------
    data
        Results with ``circular_share`` (fraction 0..1), dims ``time`` [, ``member``].
    targets
        Targets to mark (``circular_share`` metrics only).
    lang
        ``"en"`` or ``"nl"``.
    history
        Draw the observed Eurostat circular material use rate for the Netherlands (2010–2024).

    Returns
    -------
    Figure
        One panel, y axis in percent.
    """
    labels.check_lang(lang)
    runs = as_runs(data)
    require(runs, ("circular_share",), "circular_share")
    colors = scenario_colors(list(runs))
    fig = _figure(3.1)
    ax = fig.subplots()
    t_end = max(float(_years(ds["circular_share"]).max()) for ds in runs.values())
    t_start = 2010.0 if history else min(float(_years(ds["circular_share"]).min())
                                         for ds in runs.values())
    for i, (name, ds) in enumerate(runs.items()):
        _trajectory(ax, ds["circular_share"], color=colors[name],
                    label=labels.scenario(name, lang), gid=f"scenario:{name}",
                    linestyle=LINESTYLES[i % len(LINESTYLES)])
    if history:
        _observed_line(ax, observed(OBSERVED_CMU), labels.text("legend.observed_cmu", lang),
                       scale=0.01)
    if targets is not None:
        _draw_targets(ax, [(t, t.threshold) for t in targets.targets
                           if t.metric == "circular_share"], lang)
    ax.set_title(labels.text("title.circular", lang))
    ax.set_ylabel(labels.text("axis.share", lang))
    _year_axis(ax, t_start, t_end + 0.5)
    _value_axis(ax, lang, percent=True)
    top = max(1.0, max(float(ds["circular_share"].max()) for ds in runs.values()))
    ax.set_ylim(0.0, top * 1.06)
    handles, _ = ax.get_legend_handles_labels()
    if targets is not None:
        handles.append(_target_handle(targets, lang))
    _fig_legend(fig, handles, ncols=min(len(handles), 5))
    parts = [_model_source(runs, lang)]
    if history:
        parts.append(labels.text("source.cmu", lang))
    if targets is not None:
        parts.append(labels.text("source.targets", lang, name=targets.name))
    return _finish(fig, lang, parts)


# --------------------------------------------------------------------------------------------------
# 3. Scenario comparison (small multiples of the headline outputs)
# --------------------------------------------------------------------------------------------------

#: Panels of :func:`scenario_comparison`: (variable, axis label key, percent axis).
COMPARISON_PANELS: Final = (
    ("national_ghg", "axis.ghg", False),
    ("industry_ghg", "axis.ghg", False),
    ("circular_share", "axis.share", True),
    ("public_cost_total", "axis.meur", False),
    ("private_investment", "axis.meur", False),
    ("legitimacy", "axis.index", False),
)


def _with_total_cost(ds: xr.Dataset) -> xr.Dataset:
    """``public_cost_total`` from ``public_cost[instrument]`` when only the latter is stored."""
    if "public_cost_total" in ds.data_vars or "public_cost" not in ds.data_vars:
        return ds
    total = ds["public_cost"].sum(INSTRUMENT)
    total.attrs = {"units": ds["public_cost"].attrs.get("units", ""),
                   "long_name": "Net public cost of all instruments"}
    return ds.assign(public_cost_total=total)


@_styled
def scenario_comparison(data: Runs, targets: TargetSet | None = None, *,
                        lang: str = "en") -> Figure:
    """Small multiples of the headline outputs, one colour per scenario (2 × 3 panels).

    Parameters
    ----------
    data
        Results with the variables of :data:`COMPARISON_PANELS` (``public_cost_total`` may be
        replaced by ``public_cost[instrument]``), dims ``time`` [, ``member``].
    targets
        Targets to mark on the GHG and circular-share panels.
    lang
        ``"en"`` or ``"nl"``.
    """
    labels.check_lang(lang)
    runs = {k: _with_total_cost(v) for k, v in as_runs(data).items()}
    require(runs, [p[0] for p in COMPARISON_PANELS], "scenario_comparison")
    colors = scenario_colors(list(runs))
    fig = _figure(4.8)
    axes = fig.subplots(2, 3, sharex=True).ravel()
    t0 = min(float(_years(ds["national_ghg"]).min()) for ds in runs.values())
    t1 = max(float(_years(ds["national_ghg"]).max()) for ds in runs.values())
    for ax, (var, unit_key, percent) in zip(axes, COMPARISON_PANELS, strict=True):
        for i, (name, ds) in enumerate(runs.items()):
            _trajectory(ax, ds[var], color=colors[name], label=labels.scenario(name, lang),
                        gid=f"scenario:{name}", linestyle=LINESTYLES[i % len(LINESTYLES)],
                        linewidth=1.3)
        ax.set_title(labels.text(f"var.{var}", lang), fontsize=8)
        ax.set_ylabel(labels.text(unit_key, lang))
        _year_axis(ax, t0, t1 + 0.5, nbins=4)
        _value_axis(ax, lang, percent=percent)
        if targets is not None:
            if var in GHG_VARS:
                panel = var.split("_")[0]
                _draw_targets(ax, [(t, v) for t in targets.targets
                                   if (v := _ghg_target_value(t, panel)) is not None], lang)
            elif var == "circular_share":
                _draw_targets(ax, [(t, t.threshold) for t in targets.targets
                                   if t.metric == var], lang)
        if percent or var == "legitimacy":
            top = max(1.0, max(float(ds[var].max()) for ds in runs.values()))
            ax.set_ylim(0.0, top * 1.08)
        elif var == "public_cost_total":
            ax.axhline(0.0, color="0.6", linewidth=0.6, zorder=1)
        else:
            _bottom(ax, _data_min(runs, var))
    handles, _ = axes[0].get_legend_handles_labels()
    if targets is not None:
        handles.append(_target_handle(targets, lang))
    _fig_legend(fig, handles, ncols=min(len(handles), 4))
    parts = [_model_source(runs, lang)]
    if targets is not None:
        parts.append(labels.text("source.targets", lang, name=targets.name))
    return _finish(fig, lang, parts)


# --------------------------------------------------------------------------------------------------
# 4. Emission wedges by cluster and by route
# --------------------------------------------------------------------------------------------------


def _stack(ax: Axes, x: np.ndarray, parts: Sequence[tuple[str, np.ndarray, dict[str, Any], str]],
           ) -> tuple[np.ndarray, np.ndarray]:
    """Stack ``(label, values (time,), fill kwargs, gid)`` parts: positives up, negatives down.

    Returns the top and bottom envelopes (time,).
    """
    up = np.zeros_like(x)
    down = np.zeros_like(x)
    for label, y, style, gid in parts:
        pos = np.clip(y, 0.0, None)
        neg = np.clip(y, None, 0.0)
        ax.fill_between(x, up, up + pos, label=label, gid=gid, linewidth=0.3, **style)
        if (neg < 0).any():
            ax.fill_between(x, down, down + neg, gid=f"{gid}:negative", linewidth=0.3, **style)
        up = up + pos
        down = down + neg
    return up, down


def _mean_members(ds: xr.Dataset) -> xr.Dataset:
    return ds.mean(MEMBER, keep_attrs=True) if MEMBER in ds.dims else ds


def _single(data: Runs, figure: str) -> tuple[str, xr.Dataset]:
    runs = as_runs(data)
    if len(runs) != 1:
        raise InputError([Problem(f"figure '{figure}' draws one scenario; got {len(runs)} "
                                  f"({', '.join(runs)})", key="results")])
    return next(iter(runs.items()))


@_styled
def emission_wedges(data: Runs, *, lang: str = "en") -> Figure:
    """Industry emissions of one scenario stacked by sector (or cluster) and by route, with captured CO2.

    ``sector_emissions[sector, route]`` when the results have it, else
    ``route_emissions[cluster, route]`` (Mt CO2/yr, after capture), is summed over the other dim.
    Non-CO2 greenhouse gases (``industry_ghg`` minus the CO2 total, when ``industry_ghg`` is
    present) sit on top as a grey band, so the stack's top is industry GHG. CO2 captured and stored
    (``captured_co2``) is drawn hatched above it: it was produced but not emitted.

    Parameters
    ----------
    data
        One scenario's results (a Dataset, or a mapping with one entry); a ``member`` dim is
        averaged.
    lang
        ``"en"`` or ``"nl"``.
    """
    labels.check_lang(lang)
    name, ds = _single(data, "emission_wedges")
    require({name: ds}, ("route_emissions", "captured_co2"), "emission_wedges")
    n = _n_members(ds)
    ds = _mean_members(ds)
    title = f"{labels.text('title.wedges', lang)} — {labels.scenario(name, lang)}"
    fig = _figure(4.8, title=title)
    axes = fig.subplots(1, 2, sharey=True)
    # models with a sector dimension: the first panel stacks sectors (wedges by sector and technology)
    first = SECTOR if "sector_emissions" in ds.data_vars else CLUSTER
    co2 = ds["sector_emissions" if first == SECTOR else "route_emissions"]
    x = _years(co2)
    co2_total = co2.sum((first, ROUTE)).transpose(TIME).values
    non_co2 = None
    if "industry_ghg" in ds.data_vars:
        rest = ds["industry_ghg"].transpose(TIME).values - co2_total
        if np.abs(rest).max() > 1e-9 * max(1.0, float(np.abs(co2_total).max())):
            non_co2 = rest
    captured = ds["captured_co2"].transpose(TIME).values
    lowest = 0.0
    for ax, dim, other in ((axes[0], first, ROUTE), (axes[1], ROUTE, first)):
        by = co2.sum(other).transpose(TIME, dim)
        elements = [str(e) for e in by[dim].values]
        colors = category_colors(dim, elements)
        parts = [(labels.element(dim, e, lang), by.sel({dim: e}).values,
                  {"facecolor": c, "edgecolor": "white"}, f"stack:{e}")
                 for e, c in zip(elements, colors, strict=True)]
        if non_co2 is not None:
            parts.append((labels.text("legend.non_co2", lang), non_co2,
                          {"facecolor": "0.82", "edgecolor": "white"}, "non_co2"))
        up, down = _stack(ax, x, parts)
        ax.fill_between(x, up, up + captured, facecolor="white", edgecolor="0.45", hatch="/////",
                        linewidth=0.0, label=labels.text("legend.captured", lang), gid="captured")
        ax.plot(x, up, color="black", linewidth=0.8, zorder=4)
        lowest = min(lowest, float(down.min()))
        ax.set_title(labels.text(f"title.by_{dim}", lang))
        ax.set_ylabel(labels.text("axis.ghg" if non_co2 is not None else "axis.co2", lang))
        _year_axis(ax, float(x[0]), float(x[-1]), nbins=5)
        _value_axis(ax, lang)
        h, lab = ax.get_legend_handles_labels()
        ax.legend(h[::-1], lab[::-1], loc="upper left", bbox_to_anchor=(-0.02, -0.08), ncols=1,
                  fontsize=7, handlelength=1.4)
    axes[1].tick_params(labelleft=True)
    for ax in axes:
        _bottom(ax, lowest)
    src = _model_source({name: ds}, lang)
    if n > 1:
        src = labels.text("source.model", lang, names=labels.scenario(name, lang)) + \
            f" ({labels.text('legend.ensemble_mean', lang, n=n)})"
    return _finish(fig, lang, [src])


# --------------------------------------------------------------------------------------------------
# 5. Innovation system
# --------------------------------------------------------------------------------------------------


@_styled
def innovation_system(data: Runs, *, lang: str = "en") -> Figure:
    """Innovation-system functions and route readiness of one scenario (0..1 each).

    Parameters
    ----------
    data
        One scenario's results with ``innovation_function[function]`` and ``readiness[route]``
        (and optionally ``legitimacy``, drawn when the function dim lacks a legitimacy element);
        a ``member`` dim gives fan charts.
    lang
        ``"en"`` or ``"nl"``.
    """
    labels.check_lang(lang)
    name, ds = _single(data, "innovation_system")
    require({name: ds}, ("innovation_function", "readiness"), "innovation_system")
    title = f"{labels.text('title.innovation', lang)} — {labels.scenario(name, lang)}"
    fig = _figure(3.9, title=title)
    axes = fig.subplots(1, 2, sharey=True)
    panels = ((axes[0], "innovation_function", FUNCTION, "axis.index"),
              (axes[1], "readiness", ROUTE, "axis.readiness"))
    for ax, var, dim, unit_key in panels:
        da = ds[var]
        elements = [str(e) for e in da[dim].values]
        colors = category_colors(dim, elements)
        for i, (e, c) in enumerate(zip(elements, colors, strict=True)):
            _trajectory(ax, da.sel({dim: e}, drop=True), color=c,
                        label=labels.element(dim, e, lang), gid=f"{dim}:{e}",
                        linestyle=LINESTYLES[i % len(LINESTYLES)], linewidth=1.4)
        if dim == FUNCTION and "legitimacy" not in elements and "legitimacy" in ds.data_vars:
            _trajectory(ax, ds["legitimacy"], color="black", gid="legitimacy",
                        label=labels.text("var.legitimacy", lang), linewidth=1.4)
        ax.set_title(labels.text(f"var.{var}", lang))
        ax.set_ylabel(labels.text(unit_key, lang))
        ax.set_ylim(0.0, 1.04)
        x = _years(da)
        _year_axis(ax, float(x[0]), float(x[-1]) + 0.5, nbins=5)
        if lang == "nl":
            ax.yaxis.set_major_formatter(_DecimalComma())
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncols=2, fontsize=7,
                  handlelength=2.6, columnspacing=1.0)
    axes[1].tick_params(labelleft=True)
    return _finish(fig, lang, [_model_source({name: ds}, lang)])


# --------------------------------------------------------------------------------------------------
# 6. Public cost by instrument
# --------------------------------------------------------------------------------------------------


@_styled
def public_cost(data: Runs, *, lang: str = "en", discount_rate: float = DISCOUNT_RATE,
                npv_start: int = NPV_START) -> Figure:
    """Net public cost of one scenario by instrument (M€/yr, stacked) and its net present value.

    Costs below zero (the CO2 levy's revenue) are stacked downwards; a black line shows the net
    total. The bar panel gives each instrument's NPV from ``npv_start`` to the end of the run
    (bn €, discounted at ``discount_rate`` to ``npv_start``); its labels double as the legend.

    Parameters
    ----------
    data
        One scenario's results with ``public_cost[instrument]`` (MEUR/Year); a ``member`` dim is
        averaged.
    lang
        ``"en"`` or ``"nl"``.
    discount_rate
        Real discount rate per year (fraction); default the Dutch standard rate, 2.25 %.
    npv_start
        First year of the NPV and the year discounted to.
    """
    labels.check_lang(lang)
    if not 0.0 <= discount_rate < 1.0:
        raise InputError([Problem(f"discount rate {discount_rate!r} must be in [0, 1)",
                                  key="discount_rate")])
    name, ds = _single(data, "public_cost")
    require({name: ds}, ("public_cost",), "public_cost")
    n = _n_members(ds)
    ds = _mean_members(ds)
    cost = ds["public_cost"].transpose(TIME, INSTRUMENT)
    x = _years(cost)
    elements = [str(e) for e in cost[INSTRUMENT].values]
    colors = category_colors(INSTRUMENT, elements)
    values = npv(cost, discount_rate, npv_start) / 1000.0  # MEUR -> bn EUR
    title = f"{labels.text('title.cost', lang)} — {labels.scenario(name, lang)}"
    fig = _figure(3.4, title=title)
    ax, bx = fig.subplots(1, 2, width_ratios=(1.8, 1.0))
    parts = [(labels.element(INSTRUMENT, e, lang), cost.sel({INSTRUMENT: e}).values,
              {"facecolor": c, "edgecolor": "white"}, f"stack:{e}")
             for e, c in zip(elements, colors, strict=True)]
    _stack(ax, x, parts)
    total = cost.sum(INSTRUMENT).values
    ax.plot(x, total, color="black", linewidth=1.3, label=labels.text("legend.net_total", lang),
            gid="net_total", zorder=5)
    ax.axhline(0.0, color="0.3", linewidth=0.6, zorder=4)
    ax.legend(handles=[ax.lines[0]], loc="upper left")
    ax.set_title(labels.text("title.per_year", lang))
    ax.set_ylabel(labels.text("axis.meur", lang))
    _year_axis(ax, float(x[0]), float(x[-1]))
    _value_axis(ax, lang)
    # NPV bars in the stack's vertical order (last instrument on top), net total at the bottom.
    bar_keys = [*elements[::-1], "total"]
    bar_values = [float(values.sel({INSTRUMENT: e})) for e in elements[::-1]] + \
        [float(values.sum())]
    bar_colors = [*colors[::-1], "black"]
    ys = np.arange(len(bar_keys))[::-1].astype(float)
    for y, v, c, e in zip(ys, bar_values, bar_colors, bar_keys, strict=True):
        bx.barh(y, v, color=c, height=0.7, gid=f"npv:{e}")
        bx.annotate(labels.number(v, lang), xy=(v, y), xytext=(3 if v >= 0 else -3, 0),
                    textcoords="offset points", ha="left" if v >= 0 else "right", va="center",
                    fontsize=6.5)
    bx.set_yticks(ys, [*(labels.element(INSTRUMENT, e, lang) for e in elements[::-1]),
                       labels.text("legend.net_total", lang)])
    bx.axvline(0.0, color="0.3", linewidth=0.6)
    bx.grid(False)
    bx.grid(True, axis="x")
    lo = min(0.0, min(bar_values))
    hi = max(0.0, max(bar_values))
    rng = (hi - lo) or 1.0  # room for the value labels beyond the longest bars
    bx.set_xlim(lo - 0.4 * rng * (lo < 0), hi + 0.25 * rng * (hi > 0 or lo == 0))
    bx.tick_params(axis="y", length=0)
    end = int(round(float(x[-1])))
    bx.set_title(labels.text("title.npv", lang, start=npv_start, end=end,
                             rate=labels.number(100 * discount_rate, lang, 2)), loc="right")
    bx.set_xlabel(labels.text("axis.npv", lang))
    if lang == "nl":
        bx.xaxis.set_major_formatter(_DecimalComma())
    src = labels.text("source.model", lang, names=labels.scenario(name, lang))
    if n > 1:
        src += f" ({labels.text('legend.ensemble_mean', lang, n=n)})"
    return _finish(fig, lang, [src])


# --------------------------------------------------------------------------------------------------
# All figures
# --------------------------------------------------------------------------------------------------


#: Every variable :func:`all_figures` needs.
REQUIRED: Final = tuple(dict.fromkeys((
    *GHG_VARS, "circular_share", *(p[0] for p in COMPARISON_PANELS), "route_emissions",
    "captured_co2", "innovation_function", "readiness", "public_cost")))


def all_figures(data: Runs, targets: TargetSet | None = None, *,
                lang: str = "en") -> Iterator[tuple[str, Figure]]:
    """Every report figure as ``(file stem, Figure)``, one at a time.

    Stems: ``ghg_trajectories``, ``circular_share``, ``scenario_comparison`` (all scenarios on one
    axis), then ``emissions_<scenario>``, ``innovation_<scenario>``, ``public_cost_<scenario>``.
    """
    labels.check_lang(lang)
    runs = {k: _with_total_cost(v) for k, v in as_runs(data).items()}
    # Check everything first, so a missing variable is reported before any figure is drawn.
    require(runs, REQUIRED, "all_figures")
    yield "ghg_trajectories", ghg_trajectories(runs, targets, lang=lang)
    yield "circular_share", circular_share(runs, targets, lang=lang)
    yield "scenario_comparison", scenario_comparison(runs, targets, lang=lang)
    for name, ds in runs.items():
        one = {name: ds}
        yield f"emissions_{name}", emission_wedges(one, lang=lang)
        yield f"innovation_{name}", innovation_system(one, lang=lang)
        yield f"public_cost_{name}", public_cost(one, lang=lang)


def save_all(datasets: Runs, out_dir: Any, lang: str = "en",
             formats: Sequence[str] = ("png", "svg"), targets: Any = None) -> list[Any]:
    """Draw and write every figure: :func:`sdmission.commands.plot.save_all` (saving lives there;
    this name is kept here for ``run --plots``)."""
    from sdmission.commands.plot import save_all as _save_all

    return _save_all(datasets, out_dir, lang=lang, formats=formats, targets=targets)
