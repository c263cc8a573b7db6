"""The circular share of industrial material input against the targets."""

from __future__ import annotations

from matplotlib.figure import Figure

from sdmission.report import labels
from sdmission.report.data import OBSERVED_CMU, Runs, as_runs, observed, require, years
from sdmission.report.marks import draw_targets, model_source, observed_line, target_handle, trajectory
from sdmission.report.style import (
    LINESTYLES,
    fig_legend,
    finish,
    new_figure,
    scenario_colors,
    styled,
    value_axis,
    year_axis,
)
from sdmission.study.targets import TargetSet


@styled
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
    fig = new_figure(3.1)
    ax = fig.subplots()
    t_end = max(float(years(ds["circular_share"]).max()) for ds in runs.values())
    t_start = 2010.0 if history else min(float(years(ds["circular_share"]).min())
                                         for ds in runs.values())
    for i, (name, ds) in enumerate(runs.items()):
        trajectory(ax, ds["circular_share"], color=colors[name],
                    label=labels.scenario(name, lang), gid=f"scenario:{name}",
                    linestyle=LINESTYLES[i % len(LINESTYLES)])
    if history:
        observed_line(ax, observed(OBSERVED_CMU), labels.text("legend.observed_cmu", lang),
                       scale=0.01)
    if targets is not None:
        draw_targets(ax, [(t, t.threshold) for t in targets.targets
                           if t.metric == "circular_share"], lang)
    ax.set_title(labels.text("title.circular", lang))
    ax.set_ylabel(labels.text("axis.share", lang))
    year_axis(ax, t_start, t_end + 0.5)
    value_axis(ax, lang, percent=True)
    top = max(1.0, max(float(ds["circular_share"].max()) for ds in runs.values()))
    ax.set_ylim(0.0, top * 1.06)
    handles, _ = ax.get_legend_handles_labels()
    if targets is not None:
        handles.append(target_handle(targets, lang))
    fig_legend(fig, handles, ncols=min(len(handles), 5))
    parts = [model_source(runs, lang)]
    if history:
        parts.append(labels.text("source.cmu", lang))
    if targets is not None:
        parts.append(labels.text("source.targets", lang, name=targets.name))
    return finish(fig, lang, parts)
