"""Scenario comparison: small multiples of the headline outputs."""

from __future__ import annotations

from typing import Final

from matplotlib.figure import Figure

from sdmission.report import labels
from sdmission.report.data import Runs, as_runs, data_min, require, with_total_cost, years
from sdmission.report.emissions import GHG_VARS
from sdmission.report.marks import draw_targets, ghg_target_value, model_source, target_handle, trajectory
from sdmission.report.style import (
    LINESTYLES,
    bottom,
    fig_legend,
    finish,
    new_figure,
    scenario_colors,
    styled,
    value_axis,
    year_axis,
)
from sdmission.study.targets import TargetSet

#: Panels of :func:`scenario_comparison`: (variable, axis label key, percent axis).
COMPARISON_PANELS: Final = (
    ("national_ghg", "axis.ghg", False),
    ("industry_ghg", "axis.ghg", False),
    ("circular_share", "axis.share", True),
    ("public_cost_total", "axis.meur", False),
    ("private_investment", "axis.meur", False),
    ("legitimacy", "axis.index", False),
)


@styled
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
    runs = {k: with_total_cost(v) for k, v in as_runs(data).items()}
    require(runs, [p[0] for p in COMPARISON_PANELS], "scenario_comparison")
    colors = scenario_colors(list(runs))
    fig = new_figure(4.8)
    axes = fig.subplots(2, 3, sharex=True).ravel()
    t0 = min(float(years(ds["national_ghg"]).min()) for ds in runs.values())
    t1 = max(float(years(ds["national_ghg"]).max()) for ds in runs.values())
    for ax, (var, unit_key, percent) in zip(axes, COMPARISON_PANELS, strict=True):
        for i, (name, ds) in enumerate(runs.items()):
            trajectory(ax, ds[var], color=colors[name], label=labels.scenario(name, lang),
                        gid=f"scenario:{name}", linestyle=LINESTYLES[i % len(LINESTYLES)],
                        linewidth=1.3)
        ax.set_title(labels.text(f"var.{var}", lang), fontsize=8)
        ax.set_ylabel(labels.text(unit_key, lang))
        year_axis(ax, t0, t1 + 0.5, nbins=4)
        value_axis(ax, lang, percent=percent)
        if targets is not None:
            if var in GHG_VARS:
                panel = var.split("_")[0]
                draw_targets(ax, [(t, v) for t in targets.targets
                                   if (v := ghg_target_value(t, panel)) is not None], lang)
            elif var == "circular_share":
                draw_targets(ax, [(t, t.threshold) for t in targets.targets
                                   if t.metric == var], lang)
        if percent or var == "legitimacy":
            top = max(1.0, max(float(ds[var].max()) for ds in runs.values()))
            ax.set_ylim(0.0, top * 1.08)
        elif var == "public_cost_total":
            ax.axhline(0.0, color="0.6", linewidth=0.6, zorder=1)
        else:
            bottom(ax, data_min(runs, var))
    handles, _ = axes[0].get_legend_handles_labels()
    if targets is not None:
        handles.append(target_handle(targets, lang))
    fig_legend(fig, handles, ncols=min(len(handles), 4))
    parts = [model_source(runs, lang)]
    if targets is not None:
        parts.append(labels.text("source.targets", lang, name=targets.name))
    return finish(fig, lang, parts)
