"""Emission figures: GHG trajectories against the targets, and wedges by cluster and route."""

from __future__ import annotations

from typing import Final

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from sdmission.constants import (
    CLUSTER,
    INDUSTRY_GHG_1990_MT,
    NATIONAL_GHG_1990_MT,
    ROUTE,
    SECTOR,
    TIME,
)
from sdmission.report import labels
from sdmission.report.data import (
    OBSERVED_INDUSTRY,
    OBSERVED_NATIONAL,
    Runs,
    as_runs,
    data_min,
    mean_members,
    n_members,
    observed,
    require,
    single,
    years,
)
from sdmission.report.identity import BASELINE, run_colors, run_labels
from sdmission.report.marks import (
    draw_targets,
    ghg_target_value,
    model_source,
    observed_line,
    reference_1990,
    stack,
    target_handle,
    targets_source,
    trajectory,
)
from sdmission.report.style import (
    LINESTYLES,
    bottom,
    category_colors,
    fig_legend,
    finish,
    new_figure,
    styled,
    value_axis,
    year_axis,
)
from sdmission.study.targets import TargetSet

GHG_VARS: Final = ("national_ghg", "industry_ghg")


@styled
def ghg_trajectories(data: Runs, targets: TargetSet | None = None, *, lang: str = "en",
                     history: bool = True, title: bool = False) -> Figure:
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
        Draw observed emissions 1990–2023 (CBS/RIVM, Klimaatwet scope); ensemble bands start
        after the last observed year.
    title
        Put a title on the figure (report output has none: authors write captions).

    Returns
    -------
    Figure
        Two panels (national, industry).
    """
    labels.check_lang(lang)
    runs = as_runs(data)
    require(runs, GHG_VARS, "ghg_trajectories")
    colors = run_colors(runs)
    names = run_labels(runs, lang)
    fig = new_figure(3.4, title=labels.text("title.ghg", lang) if title else None)
    axes = fig.subplots(1, 2, sharex=True)
    t_end = max(float(years(ds["national_ghg"]).max()) for ds in runs.values())
    t_start = 1990.0 if history else min(float(years(ds["national_ghg"]).min())
                                         for ds in runs.values())
    panels = (("national", "national_ghg", NATIONAL_GHG_1990_MT, OBSERVED_NATIONAL),
              ("industry", "industry_ghg", INDUSTRY_GHG_1990_MT, OBSERVED_INDUSTRY))
    for ax, (panel, var, level, obs_name) in zip(axes, panels, strict=True):
        obs = observed(obs_name) if history else None
        for i, (name, ds) in enumerate(runs.items()):
            # the baseline is drawn on top, thicker: it is the reference every policy is read against
            base = name == BASELINE
            trajectory(ax, ds[var], color=colors[name], label=names[name],
                        gid=f"scenario:{name}", linestyle="-" if base else
                        LINESTYLES[(i + 1) % len(LINESTYLES)], linewidth=2.4 if base else 1.3,
                        zorder=5 if base else 3,
                        history_end=float(obs.years.max()) if obs is not None else None)
        if obs is not None:
            observed_line(ax, obs, labels.text("legend.observed", lang))
        reference_1990(ax, level, lang, t_end)
        if targets is not None:
            pts = [(t, v) for t in targets.targets
                   if (v := ghg_target_value(t, panel)) is not None]
            draw_targets(ax, pts, lang)
        ax.set_title(labels.text(f"var.{var}", lang))
        ax.set_ylabel(labels.text("axis.ghg", lang))
        year_axis(ax, t_start, t_end + 0.5)
        value_axis(ax, lang)
        ax.set_ylim(top=level * 1.12)
        bottom(ax, data_min(runs, var))
    handles, _ = axes[0].get_legend_handles_labels()
    if targets is not None:
        handles.append(target_handle(targets, lang))
    fig_legend(fig, handles, ncols=min(len(handles), 5))
    parts = [model_source(runs, lang)]
    if history:
        parts.append(labels.text("source.ghg", lang))
    if targets is not None:
        parts.append(targets_source(targets, lang, (*GHG_VARS, "ghg_reduction_vs_1990",
                                                    "industry_ghg_reduction_vs_1990")))
    return finish(fig, lang, parts)


@styled
def emission_wedges(data: Runs, *, lang: str = "en", title: bool = False,
                    ylim: tuple[float, float] | None = None) -> Figure:
    """Industry emissions of one scenario stacked by cluster and by route, with captured CO2.

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
    title
        Put a title on the figure (report output has none).
    ylim
        Common value axis for a family of pages (:func:`wedge_limits`); default: this scenario's.
    """
    labels.check_lang(lang)
    name, ds = single(data, "emission_wedges")
    require({name: ds}, ("route_emissions", "captured_co2"), "emission_wedges")
    n = n_members(ds)
    ds = mean_members(ds)
    shown = run_labels({name: ds}, lang)[name]
    fig = new_figure(4.8, title=f"{labels.text('title.wedges', lang)} — {shown}" if title else None)
    co2 = wedge_variable(ds)
    # one panel per subscript, in the order sector, cluster, route (wedges by sector and technology)
    dims = [d for d in (SECTOR, CLUSTER, ROUTE) if d in co2.dims] + \
        [str(d) for d in co2.dims if d not in (SECTOR, CLUSTER, ROUTE, TIME)]
    axes = list(fig.subplots(1, len(dims), sharey=True, squeeze=False)[0])
    x = years(co2)
    co2_total = co2.sum(dims).transpose(TIME).values
    non_co2 = None
    if "industry_ghg" in ds.data_vars:
        rest = ds["industry_ghg"].transpose(TIME).values - co2_total
        if np.abs(rest).max() > 1e-9 * max(1.0, float(np.abs(co2_total).max())):
            non_co2 = rest
    captured = ds["captured_co2"].transpose(TIME).values
    lowest = 0.0
    for ax, dim in zip(axes, dims, strict=True):
        by = co2.sum([d for d in dims if d != dim]).transpose(TIME, dim)
        elements = [str(e) for e in by[dim].values]
        colors = category_colors(dim, elements)
        parts = [(labels.element(dim, e, lang), by.sel({dim: e}).values,
                  {"facecolor": c, "edgecolor": "white"}, f"stack:{e}")
                 for e, c in zip(elements, colors, strict=True)]
        if non_co2 is not None:
            parts.append((labels.text("legend.non_co2", lang), non_co2,
                          {"facecolor": "0.82", "edgecolor": "white"}, "non_co2"))
        up, down = stack(ax, x, parts)
        ax.fill_between(x, up, up + captured, facecolor="white", edgecolor="0.45", hatch="/////",
                        linewidth=0.0, label=labels.text("legend.captured", lang), gid="captured")
        ax.plot(x, up, color="black", linewidth=0.9, zorder=4, gid="total",
                label=labels.text("legend.total", lang))
        lowest = min(lowest, float(down.min()))
        ax.set_title(labels.text(f"title.by_{dim}", lang) if f"title.by_{dim}" in labels.LABELS
                     else labels.element("dim", dim, lang))
        ax.set_ylabel(labels.text("axis.ghg" if non_co2 is not None else "axis.co2", lang))
        year_axis(ax, float(x[0]), float(x[-1]), nbins=5)
        value_axis(ax, lang)
        # legend top to bottom as drawn: captured, the total line, then the stack from its top
        h, lab = ax.get_legend_handles_labels()
        order = sorted(range(len(h)), key=lambda k: (h[k].get_gid() != "captured",
                                                      h[k].get_gid() != "total", -k))
        ax.legend([h[k] for k in order], [lab[k] for k in order], loc="upper left", bbox_to_anchor=(-0.02, -0.08), ncols=1,
                  fontsize=7, handlelength=1.4)
    for ax in axes[1:]:
        ax.tick_params(labelleft=True)
    for ax in axes:
        bottom(ax, lowest)
        if ylim is not None:
            ax.set_ylim(*ylim)
    src = model_source({name: ds}, lang)
    if n > 1:
        src += f" ({labels.text('legend.ensemble_mean', lang, n=n)})"
    return finish(fig, lang, [src])


def wedge_variable(ds: xr.Dataset) -> xr.DataArray:
    """What the wedges stack: ``sector_emissions[sector, route]`` when the results have it (the
    model with sectors), else ``route_emissions[cluster, route]`` (Mt CO2/yr, after capture)."""
    return ds["sector_emissions" if "sector_emissions" in ds.data_vars else "route_emissions"]


def wedge_limits(runs: Runs) -> tuple[float, float]:
    """One value axis for every scenario's wedge page: 0 (or the lowest net) to the highest
    emitted-plus-captured total, with 5 % headroom."""
    top, low = 0.0, 0.0
    for ds in as_runs(runs).values():
        ds = mean_members(ds)
        co2 = wedge_variable(ds)
        others = [d for d in co2.dims if d != TIME]
        total = ds["industry_ghg"] if "industry_ghg" in ds.data_vars else co2.sum(others)
        pos = co2.clip(min=0.0).sum(others).transpose(TIME).values
        stacked = np.maximum(total.transpose(TIME).values, pos) + \
            ds["captured_co2"].transpose(TIME).values
        top = max(top, float(np.max(stacked)))
        low = min(low, float(co2.clip(max=0.0).sum(others).min()))
    span = (top - low) or 1.0
    return (low - 0.03 * span if low < 0 else 0.0, top + 0.05 * span)
