"""The circular share of industrial material input against the targets."""

from __future__ import annotations

from matplotlib.figure import Figure

from sdmission.report import labels
from sdmission.report.data import OBSERVED_CMU, Runs, as_runs, observed, require, years
from sdmission.report.identity import BASELINE, run_colors, run_labels
from sdmission.report.marks import draw_targets, model_source, target_handle, targets_source, trajectory
from sdmission.report.style import (
    LINESTYLES,
    finish,
    new_figure,
    styled,
    value_axis,
    year_axis,
)
from sdmission.study.targets import TargetSet


@styled
def circular_share(data: Runs, targets: TargetSet | None = None, *, lang: str = "en",
                   history: bool = True, title: bool = False) -> Figure:
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
        Draw the observed Eurostat circular material use rate for the Netherlands (2010–2024):
        another indicator (whole economy), drawn grey with open markers and named as such.
    title
        Put a title on the figure (report output has none).

    Returns
    -------
    Figure
        One panel, y axis in percent.
    """
    labels.check_lang(lang)
    runs = as_runs(data)
    require(runs, ("circular_share",), "circular_share")
    colors = run_colors(runs)
    names = run_labels(runs, lang)
    fig = new_figure(3.2, title=labels.text("title.circular", lang) if title else None)
    ax = fig.subplots()
    t_end = max(float(years(ds["circular_share"]).max()) for ds in runs.values())
    t_start = 2010.0 if history else min(float(years(ds["circular_share"]).min())
                                         for ds in runs.values())
    for i, (name, ds) in enumerate(runs.items()):
        base = name == BASELINE
        trajectory(ax, ds["circular_share"], color=colors[name], label=names[name],
                    gid=f"scenario:{name}", linestyle="-" if base else
                    LINESTYLES[(i + 1) % len(LINESTYLES)], linewidth=2.2 if base else 1.3,
                    zorder=5 if base else 3)
    if history:
        cmu = observed(OBSERVED_CMU)
        ax.plot(cmu.years, cmu.values * 0.01, color="0.45", linestyle=":", linewidth=1.0,
                marker="o", markersize=3, markerfacecolor="white", markeredgewidth=0.8,
                label=labels.text("legend.observed_cmu", lang), gid="observed", zorder=4)
    if targets is not None:
        draw_targets(ax, [(t, t.threshold) for t in targets.targets
                           if t.metric == "circular_share"], lang)
    ax.set_title(labels.text("var.circular_share", lang))
    ax.set_ylabel(labels.text("axis.share", lang))
    year_axis(ax, t_start, t_end + 0.5)
    value_axis(ax, lang, percent=True)
    top = max(1.0, max(float(ds["circular_share"].max()) for ds in runs.values()))
    ax.set_ylim(0.0, top * 1.06)
    handles, _ = ax.get_legend_handles_labels()
    if targets is not None:
        handles.append(target_handle(targets, lang))
    # inside, top left: the area above the observed years is empty (targets are at the right)
    ax.legend(handles=handles, loc="upper left", ncols=2, fontsize=7, handlelength=2.2,
              columnspacing=1.2, borderaxespad=0.2)
    parts = [model_source(runs, lang)]
    if history:
        parts.append(labels.text("source.cmu", lang))
    if targets is not None:
        parts.append(targets_source(targets, lang, ("circular_share",)))
    return finish(fig, lang, parts)
