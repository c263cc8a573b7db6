"""The instrument-contributions figure of a decomposition, in the report style.

Takes a :class:`sdmission.analysis.contributions.Decomposition` and returns a Figure (saving is the
caller's job, with :func:`sdmission.report.save.save_figure`). Top: the reference's emissions and,
from the policy start, one wedge per instrument (the largest :data:`TOP` by cumulative effect;
the others as one grey wedge); wedges that lower emissions lie below the reference line, any
that raise them above it, so the wedges never overlap. Bottom: each instrument's cumulative
reduction over the same years, every instrument named.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sdmission.analysis.contributions import INSTRUMENT_DIM, Decomposition
from sdmission.constants import TIME
from sdmission.report import labels
from sdmission.report.style import (
    MUTED,
    OBSERVED_COLOR,
    REFERENCE_COLOR,
    DecimalComma,
    finish,
    new_figure,
    styled,
    value_axis,
    year_axis,
)

#: Instruments drawn as their own wedge (largest cumulative effect first); the rest are one wedge.
TOP: Final = 7
OTHER_COLOR: Final = "#BBBBBB"
INTERACTION_COLOR: Final = "0.45"


def instrument_label(name: str, lang: str = "en") -> str:
    """An instrument (a lever group or one lever) in plain words."""
    key = f"instrument.{name}"
    if key in labels.LABELS:
        return labels.text(key, lang)
    return labels.variable(name, lang)


@styled
def wedge_figure(dec: Decomposition, *, scenario: str, reference: str, lang: str = "en",
                 start: float | None = None, variable: str = "industry_ghg",
                 title: str | None = None) -> Figure:
    """Wedges from the reference's emissions to the scenario's, and cumulative bars per instrument.

    Parameters
    ----------
    dec
        The decomposition (``<variable>_contribution`` with dims ``(instrument, time)`` in
        Mt CO₂-eq/yr, ``<variable>_reference`` and ``<variable>_scenario`` over time).
    scenario, reference
        Names of the decomposed scenario and its reference (display names from the label table).
    lang
        ``"en"`` or ``"nl"``.
    start
        First year of the wedges and of the cumulative sums (default: the first year).
    variable
        The decomposed outcome (an emission variable in Mt CO₂-eq/yr).
    title
        Figure title (report output has none).
    """
    labels.check_lang(lang)
    ds = dec.ds
    t = np.asarray(ds[TIME].values, dtype=float)
    t0 = float(start) if start is not None else float(t[0])
    keep = t >= t0
    ref = np.asarray(ds[f"{variable}_reference"].values, dtype=float)
    scen = np.asarray(ds[f"{variable}_scenario"].values, dtype=float)
    contrib = ds[f"{variable}_contribution"].transpose(INSTRUMENT_DIM, TIME)
    names = [str(n) for n in contrib[INSTRUMENT_DIM].values]
    values = np.asarray(contrib.values, dtype=float)
    # cumulative reduction (Mt) from the start year: positive = lower emissions than the reference
    cumulative = -values[:, keep].sum(axis=1)
    order = list(np.argsort(-np.abs(cumulative), kind="stable"))
    shown, rest = order[:TOP], order[TOP:]
    colour = {names[i]: MUTED[k] for k, i in enumerate(shown)} | {names[i]: OTHER_COLOR for i in rest}
    interaction = (np.asarray(ds[f"{variable}_interaction"].values, dtype=float)
                   if dec.method == "loo" else None)

    n_bars = len(names) + (interaction is not None)
    fig = new_figure(2.9 + 0.17 * n_bars + 1.2, title=title)
    # two subfigures: the wedge panel keeps the full width, whatever the bar labels take
    subs: Any = fig.subfigures(2, 1, height_ratios=[2.9, 0.17 * n_bars + 0.9])
    top, low = subs[0], subs[1]
    ax = top.subplots()
    bx = low.subplots()

    # 1. Wedges: below the reference line the reductions, above it any increases.
    parts = [(instrument_label(names[i], lang), values[i][keep], {"color": colour[names[i]]},
              f"instrument:{names[i]}") for i in shown]
    if rest:
        parts.append((labels.text("legend.other_instruments", lang, n=len(rest)),
                      values[rest][:, keep].sum(axis=0), {"color": OTHER_COLOR},
                      "instrument:other"))
    if interaction is not None:
        parts.append((labels.text("legend.interaction", lang), interaction[keep],
                      {"facecolor": "none", "hatch": "///", "edgecolor": INTERACTION_COLOR},
                      "interaction"))
    tk = t[keep]
    down, up = ref[keep].copy(), ref[keep].copy()
    for _label, y, style, gid in parts:
        neg, pos = np.clip(y, None, 0.0), np.clip(y, 0.0, None)
        if (neg < 0).any():
            ax.fill_between(tk, down + neg, down, gid=gid, linewidth=0.3, **style)
        if (pos > 0).any():
            ax.fill_between(tk, up, up + pos, gid=f"{gid}:increase", linewidth=0.3, **style)
        down, up = down + neg, up + pos
    (ref_line,) = ax.plot(t, ref, color=OBSERVED_COLOR, linewidth=1.6, gid="reference",
                          label=f"{labels.scenario(reference, lang)} "
                                f"({labels.text('legend.reference', lang)})")
    (scen_line,) = ax.plot(t, scen, color=OBSERVED_COLOR, linewidth=1.4, linestyle="--",
                           gid="scenario", label=labels.scenario(scenario, lang))
    ax.set_ylabel(labels.text("axis.ghg", lang))
    year_axis(ax, float(t[0]), float(t[-1]) + 0.5)
    value_axis(ax, lang)
    ax.set_ylim(bottom=0.0)
    handles = [ref_line, scen_line] + [
        Patch(facecolor=p[2].get("color", "none"), hatch=p[2].get("hatch"),
              edgecolor=p[2].get("edgecolor", "none"), label=p[0], linewidth=0.3) for p in parts]
    top.legend(handles=handles, loc="outside right upper", fontsize=7)

    # 2. Cumulative reduction per instrument, largest on top.
    bar_names = [names[i] for i in order]
    bar_values = [float(cumulative[i]) for i in order]
    bar_colours = [colour[n] for n in bar_names]
    tick = [instrument_label(n, lang) for n in bar_names]
    if interaction is not None:
        bar_values.append(float(-interaction[keep].sum()))
        bar_colours.append("white")
        tick.append(labels.text("legend.interaction", lang))
    y = np.arange(len(bar_values))[::-1]
    bars = bx.barh(y, bar_values, color=bar_colours, height=0.7, edgecolor=INTERACTION_COLOR,
                   linewidth=0.3, gid="cumulative")
    if interaction is not None:
        bars[-1].set_hatch("///")
    bx.set_yticks(y, tick, fontsize=7)
    bx.axvline(0.0, color=REFERENCE_COLOR, linewidth=0.6)
    bx.grid(False)
    bx.grid(True, axis="x")
    end = float(t[-1])
    bx.set_xlabel(labels.text("axis.cumulative_reduction", lang, start=f"{t0:.0f}", end=f"{end:.0f}"))
    if lang == "nl":
        bx.xaxis.set_major_formatter(DecimalComma())
    method = "source.shapley" if dec.method == "shapley" else "source.loo"
    parts_src = [labels.text("source.model", lang, names=labels.text(
                     "source.scenarios", lang, names=labels.join(
                         [labels.scenario(scenario, lang), labels.scenario(reference, lang)], lang))),
                 labels.text(method, lang, n=dec.members),
                 labels.text("source.wedges", lang)]
    return finish(fig, lang, parts_src)

