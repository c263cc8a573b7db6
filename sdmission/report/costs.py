"""Public cost by instrument, and its net present value."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sdmission.constants import (
    INSTRUMENT,
    TIME,
)
from sdmission.errors import InputError, Problem
from sdmission.report import labels
from sdmission.report.data import Runs, mean_members, n_members, require, single, years
from sdmission.report.marks import stack
from sdmission.report.style import (
    DecimalComma,
    category_colors,
    finish,
    new_figure,
    styled,
    value_axis,
    year_axis,
)
from sdmission.study.economics import DISCOUNT_RATE, NPV_START, npv


@styled
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
    name, ds = single(data, "public_cost")
    require({name: ds}, ("public_cost",), "public_cost")
    n = n_members(ds)
    ds = mean_members(ds)
    cost = ds["public_cost"].transpose(TIME, INSTRUMENT)
    x = years(cost)
    elements = [str(e) for e in cost[INSTRUMENT].values]
    colors = category_colors(INSTRUMENT, elements)
    values = npv(cost, discount_rate, npv_start) / 1000.0  # MEUR -> bn EUR
    title = f"{labels.text('title.cost', lang)} — {labels.scenario(name, lang)}"
    fig = new_figure(3.4, title=title)
    ax, bx = fig.subplots(1, 2, width_ratios=(1.8, 1.0))
    parts = [(labels.element(INSTRUMENT, e, lang), cost.sel({INSTRUMENT: e}).values,
              {"facecolor": c, "edgecolor": "white"}, f"stack:{e}")
             for e, c in zip(elements, colors, strict=True)]
    stack(ax, x, parts)
    total = cost.sum(INSTRUMENT).values
    ax.plot(x, total, color="black", linewidth=1.3, label=labels.text("legend.net_total", lang),
            gid="net_total", zorder=5)
    ax.axhline(0.0, color="0.3", linewidth=0.6, zorder=4)
    ax.legend(handles=[ax.lines[0]], loc="upper left")
    ax.set_title(labels.text("title.per_year", lang))
    ax.set_ylabel(labels.text("axis.meur", lang))
    year_axis(ax, float(x[0]), float(x[-1]))
    value_axis(ax, lang)
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
        bx.xaxis.set_major_formatter(DecimalComma())
    src = labels.text("source.model", lang, names=labels.scenario(name, lang))
    if n > 1:
        src += f" ({labels.text('legend.ensemble_mean', lang, n=n)})"
    return finish(fig, lang, [src])
