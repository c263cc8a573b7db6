"""Figures of ensembles, sensitivity indices and PRIM boxes, in the report style.

Each takes data and returns a Figure (saving is the caller's job); texts come from the label
tables in English or Dutch (``lang``), units are the readers' (``Mt CO₂-eq/jaar``), a source line
says where the numbers come from, scenario colours are the report's (by name). Fan charts draw the
observed history as observed data: bands start after the last observed year.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Final

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sdmission.constants import MEMBER, SCENARIO, TIME
from sdmission.report import labels
from sdmission.report.data import (
    OBSERVED_CMU,
    OBSERVED_INDUSTRY,
    OBSERVED_NATIONAL,
    Observed,
    observed,
)
from sdmission.report.identity import run_colors, run_labels
from sdmission.report.marks import draw_targets, ghg_target_value, observed_line, targets_source
from sdmission.report.style import (
    LABEL_WRAP,
    LINESTYLES,
    WIDTH_IN,
    DecimalComma,
    finish,
    new_figure,
    styled,
    value_axis,
    year_axis,
)
from sdmission.study.targets import TargetSet

if TYPE_CHECKING:
    from sdmission.analysis.discovery import PrimResult
    from sdmission.study.targets import Target

#: Percentiles drawn by fan charts: outer band, inner band, median.
FAN_PERCENTILES = (5, 25, 50, 75, 95)
#: Characters per line of a fan panel's title (two panels share the page width).
TITLE_WRAP: Final = 34
#: Observed series drawn under a fan of the metric (name, scale to the metric's units).
FAN_HISTORY: Final[dict[str, tuple[str, float]]] = {
    "national_ghg": (OBSERVED_NATIONAL, 1.0),
    "industry_ghg": (OBSERVED_INDUSTRY, 1.0),
    "circular_share": (OBSERVED_CMU, 0.01),
}
#: Reductions vs 1990 whose observed history is ``1 - observed / observed(1990)`` of a series.
FAN_REDUCTIONS: Final[dict[str, str]] = {
    "ghg_reduction_vs_1990": OBSERVED_NATIONAL,
    "industry_ghg_reduction_vs_1990": OBSERVED_INDUSTRY,
}
#: Metrics drawn in per cent (model units: fraction) and their value-axis label.
FAN_PERCENT: Final[dict[str, str]] = {
    "circular_share": "axis.share",
    "ghg_reduction_vs_1990": "axis.reduction",
    "industry_ghg_reduction_vs_1990": "axis.reduction",
}
#: First year of every fan panel (recent observed history; every panel shares the time axis).
FAN_START: Final = 2010.0


def fan_quantiles(da: xr.DataArray) -> xr.DataArray:
    """The 5/25/50/75/95 % quantiles over ``member``; dims ``(percentile, …)`` (da's units)."""
    q = da.quantile([p / 100 for p in FAN_PERCENTILES], dim=MEMBER)
    return q.rename(quantile="percentile").assign_coords(percentile=list(FAN_PERCENTILES))


def _percentile(q: xr.DataArray, p: int) -> np.ndarray:
    """The ``p``-th percentile of :func:`fan_quantiles` output over time, shape ``(time,)``."""
    return np.asarray(q.sel(percentile=p).transpose(TIME).values)


def _scenarios(ds: xr.Dataset) -> dict[str, xr.Dataset]:
    if SCENARIO in ds.dims:
        return {str(s): ds.sel({SCENARIO: s}) for s in ds[SCENARIO].values}
    return {str(ds.attrs.get(SCENARIO, SCENARIO)): ds}


@styled
def fan_chart(
    ds: xr.Dataset,
    metrics: Sequence[str],
    *,
    target_set: TargetSet | None = None,
    title: str | None = None,
    lang: str = "en",
    history: bool = True,
) -> Figure:
    """Fan charts (5–95 % and 25–75 % bands, median) of ``metrics`` for every scenario.

    Parameters
    ----------
    ds
        Ensemble results with dims ``(scenario, member, time)`` for each metric (subscripted
        metrics are not accepted: sum or select first).
    metrics
        Variables to draw, one panel each (two per row).
    target_set
        Targets on these metrics (absolute GHG or circular share) are drawn as the report's
        diamonds.
    title
        Figure title (report output has none).
    lang
        ``"en"`` or ``"nl"``.
    history
        Draw the observed series of :data:`FAN_HISTORY`; bands then start after its last year.
    """
    labels.check_lang(lang)
    runs = _scenarios(ds)
    colours = run_colors(runs)
    names = run_labels(runs, lang)
    n = len(metrics)
    cols = min(n, 2)
    rows = int(np.ceil(n / cols)) if n else 1
    fig = new_figure(2.6 * rows + 0.9, title=title)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    t = np.asarray(ds[TIME].values, dtype=float)
    start = min(float(t[0]), FAN_START) if history else float(t[0])
    for ax, metric in zip(axes, metrics, strict=False):  # a grid may have a spare panel
        da = ds[metric]
        extra = [d for d in da.dims if d not in (SCENARIO, MEMBER, TIME)]
        if extra:
            raise ValueError(f"fan_chart needs (scenario, member, time) data; '{metric}' also has "
                             f"{extra}")
        obs = _fan_observed(metric) if history else None
        if obs is not None:  # only the years on the axis, so they do not stretch the value axis
            shown = obs.years >= start
            obs = replace(obs, years=obs.years[shown], values=obs.values[shown])
        after = t >= float(obs.years.max()) if obs is not None else None
        q = fan_quantiles(da)
        for i, (s, colour) in enumerate(colours.items()):
            qs = q.sel({SCENARIO: s}) if SCENARIO in q.dims else q
            ax.fill_between(t, _percentile(qs, 5), _percentile(qs, 95), where=after, color=colour,
                            alpha=0.15, linewidth=0, gid=f"scenario:{s}:band90")
            ax.fill_between(t, _percentile(qs, 25), _percentile(qs, 75), where=after, color=colour,
                            alpha=0.3, linewidth=0, gid=f"scenario:{s}:band50")
            ax.plot(t, _percentile(qs, 50), color=colour, linewidth=1.4, gid=f"scenario:{s}",
                    linestyle=LINESTYLES[i % len(LINESTYLES)], label=names[s])
        if obs is not None and metric == "circular_share":
            # another definition (the whole economy): not drawn as the model's own history
            ax.plot(obs.years, obs.values, color="0.45", linestyle=":", linewidth=1.0, marker="o",
                    markersize=1.8, gid="observed", zorder=4,
                    label="\n".join(textwrap.wrap(labels.text("legend.observed_cmu", lang), 36)))
            ax.legend(handles=[ax.lines[-1]], loc="upper left", fontsize=6.5)
        elif obs is not None:
            observed_line(ax, obs, labels.text("legend.observed", lang))
        if target_set is not None:
            _fan_targets(ax, metric, target_set, lang)
        ax.set_title("\n".join(textwrap.wrap(labels.variable(
            metric, lang, None if lang == "nl" else da.attrs.get("long_name")), TITLE_WRAP)))
        units = str(da.attrs.get("units", ""))
        percent = metric in FAN_PERCENT and units in ("Dmnl", "1", "")
        ax.set_ylabel(labels.text(FAN_PERCENT[metric], lang) if percent
                      else labels.unit(units, lang))
        year_axis(ax, start, float(t[-1]) + 0.5, nbins=5)
        value_axis(ax, lang, percent=percent)
    for ax in axes[n:]:
        ax.set_visible(False)
    handles, _ = axes[0].get_legend_handles_labels()
    if handles:
        axes[0].legend(handles=handles, loc="best", fontsize=6.5)
    n_members = int(ds.sizes.get(MEMBER, 1))
    parts = [labels.text("source.model", lang, names=labels.text(
        "source.scenarios" if len(runs) > 1 else "source.one_scenario", lang,
        names=labels.join(list(names.values()), lang)))
        + f" ({labels.text('legend.fan', lang, n=n_members)})"]
    if history and any(m in ("national_ghg", "industry_ghg", *FAN_REDUCTIONS) for m in metrics):
        parts.append(labels.text("source.ghg", lang))
    if history and "circular_share" in metrics:
        parts.append(labels.text("source.cmu", lang))
    if target_set is not None:
        parts.append(targets_source(target_set, lang, list(metrics)))
    return finish(fig, lang, parts)


def _metric_title(metric: str, lang: str) -> str:
    """A sensitivity metric (``national-ghg-2030``) in words: its variable and year."""
    from sdmission.analysis.sensitivity import DEFAULT_METRICS

    for m in DEFAULT_METRICS:
        if m.id == metric:
            return f"{labels.variable(m.variable, lang)}, {m.year}"
    return labels.variable(metric, lang)


def _wrapped(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _fan_observed(metric: str) -> Observed | None:
    """The observed history of a fan's metric in the metric's units (None: not observed)."""
    if metric in FAN_HISTORY:
        name, scale = FAN_HISTORY[metric]
        obs = observed(name)
        return replace(obs, values=obs.values * scale)
    if metric in FAN_REDUCTIONS:
        obs = observed(FAN_REDUCTIONS[metric])
        base = obs.values[obs.years == 1990]
        if base.size == 1 and base[0] > 0:
            return replace(obs, values=1.0 - obs.values / base[0])
    return None


def _fan_targets(ax: Axes, metric: str, target_set: TargetSet, lang: str) -> None:
    if metric in ("national_ghg", "industry_ghg"):
        panel = metric.split("_")[0]
        pts = [(tg, v) for tg in target_set.targets if (v := ghg_target_value(tg, panel)) is not None]
    else:
        pts = [(tg, tg.threshold) for tg in target_set.targets if tg.metric == metric]
    draw_targets(ax, pts, lang)


def fan_title(ds: xr.Dataset, lang: str = "en") -> str:
    """Title of a fan chart (only when asked for: report output has none)."""
    names = run_labels(_scenarios(ds), lang)
    return labels.text("title.fans", lang, names=labels.join(list(names.values()), lang),
                       n=int(ds.sizes.get(MEMBER, 1)))


def sobol_title(scenario: str, base: int, runs: int, lang: str = "en") -> str:
    """Title of a Sobol' figure: scenario, Saltelli base sample and number of runs."""
    return labels.text("title.sobol", lang, name=labels.scenario(scenario, lang), n=base, runs=runs)


def target_label(target: Target, lang: str = "en") -> str:
    """A target's own label in ``lang`` (its ``label_nl`` in Dutch)."""
    return target.label_nl if labels.check_lang(lang) == "nl" else target.label


def prim_title(scenario: str, target: Target, lang: str = "en") -> str:
    """Title of a PRIM figure: the scenario and the target that fails."""
    return labels.text("title.prim", lang, name=labels.scenario(scenario, lang),
                       goal=f"'{target_label(target, lang)}'")


@styled
def sobol_bars(indices: xr.Dataset, *, top: int = 12, title: str | None = None,
               lang: str = "en", names: Mapping[str, str] | None = None,
               scenario: str | None = None) -> Figure:
    """Ranked bars of first-order (S1) and total-order (ST) Sobol' indices with 95 % intervals.

    Parameters
    ----------
    indices
        From :func:`sdmission.analysis.sensitivity.sobol_indices`: dims ``(metric, uncertainty)``
        with ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
    top
        Uncertainties shown per metric (largest ST first).
    title
        Figure title (report output has none).
    lang
        ``"en"`` or ``"nl"``.
    names
        Display names of uncertainties (python name → text); others via
        :func:`~sdmission.report.labels.variable` (the parameter table's names,
        :mod:`sdmission.report.parameter_labels`).
    scenario
        The scenario the indices are of, named in the source line.
    """
    labels.check_lang(lang)
    shown = dict(names or {})
    metrics = [str(m) for m in indices["metric"].values]
    shown_n = min(top, int(indices.sizes.get("uncertainty", top)))
    # one panel per metric, stacked: every bar keeps the full width for its name
    fig = new_figure(len(metrics) * (0.3 * shown_n + 0.6) + 0.6, title=title)
    fig.set_figwidth(WIDTH_IN)
    axes = fig.subplots(len(metrics), 1, squeeze=False, sharex=True).ravel()
    for ax, m in zip(axes, metrics, strict=True):
        sub = indices.sel(metric=m)
        st = np.nan_to_num(np.asarray(sub["ST"].values, dtype=float), nan=-1.0)
        order = np.argsort(-st)[:top][::-1]
        ticks = [_wrapped(shown.get(str(x)) or labels.variable(str(x), lang), 40)
                 for x in sub["uncertainty"].values[order]]
        y = np.arange(len(order))
        ax.barh(y + 0.2, sub["ST"].values[order], height=0.4, xerr=sub["ST_conf"].values[order],
                color="#332288", label=labels.text("legend.sobol_st", lang),
                error_kw={"linewidth": 0.6})
        ax.barh(y - 0.2, sub["S1"].values[order], height=0.4, xerr=sub["S1_conf"].values[order],
                color="#88CCEE", label=labels.text("legend.sobol_s1", lang),
                error_kw={"linewidth": 0.6})
        ax.set_yticks(y, ticks, fontsize=6.5)
        ax.set_title(_metric_title(m, lang))
        ax.axvline(0, color="black", linewidth=0.6)
        ax.grid(False)
        ax.grid(True, axis="x")
        if lang == "nl":
            ax.xaxis.set_major_formatter(DecimalComma())
    axes[-1].set_xlabel(labels.text("axis.sobol", lang))
    axes[0].legend(loc="lower right", fontsize=6.5, frameon=True, framealpha=0.9, edgecolor="none")
    parts = [labels.text("source.sobol", lang)]
    if scenario is not None:
        parts.append(labels.text("source.sobol_scenario", lang, name=labels.scenario(scenario, lang)))
    return finish(fig, lang, parts)


@styled
def prim_plot(result: PrimResult, *, title: str | None = None, lang: str = "en",
              names: Mapping[str, str] | None = None, target: Target | None = None,
              scenario: str | None = None) -> Figure:
    """PRIM: the peeling trajectory (coverage vs density) and the chosen box's limits.

    Parameters
    ----------
    result
        A :class:`sdmission.analysis.discovery.PrimResult`.
    title
        Figure title (report output has none).
    lang
        ``"en"`` or ``"nl"``.
    names
        Display names of uncertainties (python name → text); others via
        :func:`~sdmission.report.labels.variable`.
    target, scenario
        The target whose failures the box describes and its scenario, named in the source line.
    """
    labels.check_lang(lang)
    shown = dict(names or {})
    fig = new_figure(3.4, title=title)
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[1, 1.3])
    traj = result.trajectory
    ax1.plot([b.coverage for b in traj], [b.density for b in traj], color="#332288",
             marker="o", markersize=2.5, linewidth=0.8)
    ch = result.box
    ax1.plot([ch.coverage], [ch.density], linestyle="none", marker="o", markersize=8,
             markerfacecolor="none", markeredgecolor="#CC3311", markeredgewidth=1.4,
             label=labels.text("legend.chosen_box", lang))
    ax1.set_xlabel(_wrapped(labels.text("axis.coverage", lang), LABEL_WRAP), fontsize=7)
    ax1.set_ylabel(_wrapped(labels.text("axis.density", lang), LABEL_WRAP), fontsize=7)
    ax1.set_xlim(0, 1.02)
    ax1.set_ylim(0, 1.02)
    ax1.axhline(result.base_rate, color="0.35", linestyle=":",
                label=labels.text("legend.base_rate", lang))
    ax1.legend(loc="lower left", fontsize=6.5)
    for axis in (ax1.xaxis, ax1.yaxis):
        axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0, symbol=" %"))
    dims = list(ch.restricted)
    if dims:
        for k, d in enumerate(dims):
            lo, hi = result.full_range[d]
            blo, bhi = ch.limits[d]
            span = hi - lo if hi > lo else 1.0
            ax2.plot([0, 1], [k, k], color="0.85", linewidth=7, solid_capstyle="butt")
            ax2.plot([(blo - lo) / span, (bhi - lo) / span], [k, k], color="#CC3311",
                     linewidth=7, solid_capstyle="butt")
            ax2.annotate(f"{labels.number(blo, lang, 3)} – {labels.number(bhi, lang, 3)}",
                         ((bhi - lo) / span, k), xytext=(4, -3), textcoords="offset points",
                         fontsize=6.5)
        ax2.set_yticks(np.arange(len(dims)),
                       [_wrapped(shown.get(d) or labels.variable(d, lang), 30) for d in dims],
                       fontsize=6.5)
        ax2.set_xlim(0, 1.45)
        ax2.set_xticks([0, 0.5, 1])
        ax2.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0, symbol=" %"))
        ax2.set_xlabel(_wrapped(labels.text("axis.box_limits", lang), LABEL_WRAP), fontsize=7)
        ax2.grid(False)
    else:
        ax2.text(0.5, 0.5, labels.text("text.no_restriction", lang), ha="center", va="center")
        ax2.set_axis_off()
    pct = {k: f"{labels.number(100 * v, lang, 0)} %" for k, v in
           (("coverage", ch.coverage), ("density", ch.density), ("mass", ch.mass))}
    ax2.set_title(_wrapped(labels.text("title.box", lang, **pct), 34), fontsize=7.5)
    parts = [labels.text("source.prim", lang, n=result.n_points)]
    if target is not None:
        parts.append(labels.text("source.prim_target", lang, goal=f"'{target_label(target, lang)}'",
                                 name=labels.scenario(scenario, lang) if scenario else "–"))
    return finish(fig, lang, parts)
