"""Innovation-system functions and route readiness."""

from __future__ import annotations

from matplotlib.figure import Figure

from sdmission.constants import (
    FUNCTION,
    ROUTE,
)
from sdmission.report import labels
from sdmission.report.data import Runs, require, single, years
from sdmission.report.marks import model_source, trajectory
from sdmission.report.style import (
    LINESTYLES,
    DecimalComma,
    category_colors,
    finish,
    new_figure,
    styled,
    year_axis,
)


@styled
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
    name, ds = single(data, "innovation_system")
    require({name: ds}, ("innovation_function", "readiness"), "innovation_system")
    title = f"{labels.text('title.innovation', lang)} — {labels.scenario(name, lang)}"
    fig = new_figure(3.9, title=title)
    axes = fig.subplots(1, 2, sharey=True)
    panels = ((axes[0], "innovation_function", FUNCTION, "axis.index"),
              (axes[1], "readiness", ROUTE, "axis.readiness"))
    for ax, var, dim, unit_key in panels:
        da = ds[var]
        elements = [str(e) for e in da[dim].values]
        colors = category_colors(dim, elements)
        for i, (e, c) in enumerate(zip(elements, colors, strict=True)):
            trajectory(ax, da.sel({dim: e}, drop=True), color=c,
                        label=labels.element(dim, e, lang), gid=f"{dim}:{e}",
                        linestyle=LINESTYLES[i % len(LINESTYLES)], linewidth=1.4)
        if dim == FUNCTION and "legitimacy" not in elements and "legitimacy" in ds.data_vars:
            trajectory(ax, ds["legitimacy"], color="black", gid="legitimacy",
                        label=labels.text("var.legitimacy", lang), linewidth=1.4)
        ax.set_title(labels.text(f"var.{var}", lang))
        ax.set_ylabel(labels.text(unit_key, lang))
        ax.set_ylim(0.0, 1.04)
        x = years(da)
        year_axis(ax, float(x[0]), float(x[-1]) + 0.5, nbins=5)
        if lang == "nl":
            ax.yaxis.set_major_formatter(DecimalComma())
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncols=2, fontsize=7,
                  handlelength=2.6, columnspacing=1.0)
    axes[1].tick_params(labelleft=True)
    return finish(fig, lang, [model_source({name: ds}, lang)])
