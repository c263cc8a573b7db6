"""Emission figures: GHG trajectories against the targets, and wedges by cluster and route."""

from __future__ import annotations

from typing import Final

import numpy as np
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
from sdmission.report.marks import (
    draw_targets,
    ghg_target_value,
    model_source,
    observed_line,
    reference_1990,
    stack,
    target_handle,
    trajectory,
)
from sdmission.report.style import (
    LINESTYLES,
    bottom,
    category_colors,
    fig_legend,
    finish,
    new_figure,
    scenario_colors,
    styled,
    value_axis,
    year_axis,
)
from sdmission.study.targets import TargetSet

GHG_VARS: Final = ("national_ghg", "industry_ghg")


@styled
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
    fig = new_figure(3.4)
    axes = fig.subplots(1, 2, sharex=True)
    t_end = max(float(years(ds["national_ghg"]).max()) for ds in runs.values())
    t_start = 1990.0 if history else min(float(years(ds["national_ghg"]).min())
                                         for ds in runs.values())
    panels = (("national", "national_ghg", NATIONAL_GHG_1990_MT, OBSERVED_NATIONAL),
              ("industry", "industry_ghg", INDUSTRY_GHG_1990_MT, OBSERVED_INDUSTRY))
    for ax, (panel, var, level, obs_name) in zip(axes, panels, strict=True):
        for i, (name, ds) in enumerate(runs.items()):
            trajectory(ax, ds[var], color=colors[name], label=labels.scenario(name, lang),
                        gid=f"scenario:{name}", linestyle=LINESTYLES[i % len(LINESTYLES)])
        if history:
            observed_line(ax, observed(obs_name), labels.text("legend.observed", lang))
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
        parts.append(labels.text("source.targets", lang, name=targets.name))
    return finish(fig, lang, parts)


@styled
def emission_wedges(data: Runs, *, lang: str = "en") -> Figure:
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
    """
    labels.check_lang(lang)
    name, ds = single(data, "emission_wedges")
    require({name: ds}, ("route_emissions", "captured_co2"), "emission_wedges")
    n = n_members(ds)
    ds = mean_members(ds)
    title = f"{labels.text('title.wedges', lang)} — {labels.scenario(name, lang)}"
    fig = new_figure(4.8, title=title)
    axes = fig.subplots(1, 2, sharey=True)
    # models with a sector dimension: the first panel stacks sectors (wedges by sector and technology)
    first = SECTOR if "sector_emissions" in ds.data_vars else CLUSTER
    co2 = ds["sector_emissions" if first == SECTOR else "route_emissions"]
    x = years(co2)
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
        up, down = stack(ax, x, parts)
        ax.fill_between(x, up, up + captured, facecolor="white", edgecolor="0.45", hatch="/////",
                        linewidth=0.0, label=labels.text("legend.captured", lang), gid="captured")
        ax.plot(x, up, color="black", linewidth=0.8, zorder=4)
        lowest = min(lowest, float(down.min()))
        ax.set_title(labels.text(f"title.by_{dim}", lang))
        ax.set_ylabel(labels.text("axis.ghg" if non_co2 is not None else "axis.co2", lang))
        year_axis(ax, float(x[0]), float(x[-1]), nbins=5)
        value_axis(ax, lang)
        h, lab = ax.get_legend_handles_labels()
        ax.legend(h[::-1], lab[::-1], loc="upper left", bbox_to_anchor=(-0.02, -0.08), ncols=1,
                  fontsize=7, handlelength=1.4)
    axes[1].tick_params(labelleft=True)
    for ax in axes:
        bottom(ax, lowest)
    src = model_source({name: ds}, lang)
    if n > 1:
        src = labels.text("source.model", lang, names=labels.scenario(name, lang)) + \
            f" ({labels.text('legend.ensemble_mean', lang, n=n)})"
    return finish(fig, lang, [src])
