"""What figures draw with: trajectories and fans, observed lines, the 1990 level, target markers,
stacks and the model source text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from sdmission.constants import (
    INDUSTRY_GHG_1990_MT,
    MEMBER,
    NATIONAL_GHG_1990_MT,
    TIME,
)
from sdmission.report import labels
from sdmission.report.data import Observed, n_members, years
from sdmission.report.style import OBSERVED_COLOR, REFERENCE_COLOR
from sdmission.study.targets import Target, TargetSet


def trajectory(ax: Axes, da: xr.DataArray, *, color: str, label: str, gid: str,
                scale: float = 1.0, linestyle: Any = "-", linewidth: float = 1.6) -> Line2D:
    """A time series, or a fan chart (median, 25–75 %, 5–95 %) when ``da`` has members."""
    extra = [d for d in da.dims if d not in (TIME, MEMBER)]
    if extra:
        raise ValueError(f"trajectory of '{da.name}' has extra dims {extra}; select or sum first")
    x = years(da)
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


def observed_line(ax: Axes, obs: Observed, label: str, *, scale: float = 1.0) -> Line2D:
    (line,) = ax.plot(obs.years, obs.values * scale, color=OBSERVED_COLOR, linewidth=1.1,
                      marker="o", markersize=1.8, label=label, gid="observed", zorder=4)
    return line


def reference_1990(ax: Axes, level: float, lang: str, x_end: float) -> None:
    ax.axhline(level, color=REFERENCE_COLOR, linestyle=":", linewidth=0.9, gid="ref1990", zorder=1)
    ax.annotate(f"{labels.text('legend.level_1990', lang)}: {labels.number(level, lang)} Mt",
                xy=(x_end, level), xytext=(0, 2), textcoords="offset points", ha="right",
                va="bottom", fontsize=6.5, color=REFERENCE_COLOR)


def ghg_target_value(t: Target, panel: str) -> float | None:
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


def target_text(t: Target, lang: str) -> str:
    if t.metric.endswith("reduction_vs_1990"):
        return f"\u2212{labels.number(100 * t.threshold, lang, 0)} %"
    if t.metric == "circular_share":
        return f"{labels.number(100 * t.threshold, lang, 0)} %"
    if t.threshold == 0.0:
        return labels.text("legend.net_zero", lang)
    return f"{labels.number(t.threshold, lang)} Mt"


def draw_targets(ax: Axes, points: Sequence[tuple[Target, float]], lang: str) -> None:
    """Diamond markers at (target year, value), labelled on their left.

    Targets with the same value and label (net zero in 2040 and 2050) share one label, on the left
    of the earliest, so labels never overprint.
    """
    labelled: set[tuple[float, str]] = set()
    for t, value in sorted(points, key=lambda p: p[0].year):
        ax.plot([t.year], [value], linestyle="none", marker="D", markersize=5,
                markerfacecolor="white", markeredgecolor="black", markeredgewidth=1.1,
                gid=f"target:{t.id}", zorder=6, clip_on=False)
        text = target_text(t, lang)
        if (round(value, 9), text) in labelled:
            continue
        labelled.add((round(value, 9), text))
        on_axis = value <= 0.0  # the value axis starts at 0: lift the label off the spine
        ax.annotate(text, xy=(t.year, value), xytext=(-4, 3) if on_axis else (-5, 0),
                    textcoords="offset points", ha="right", va="bottom" if on_axis else "center",
                    fontsize=6.5, fontweight="bold", zorder=6)


def target_handle(targets: TargetSet, lang: str) -> Line2D:
    return Line2D([], [], linestyle="none", marker="D", markersize=5, markerfacecolor="white",
                  markeredgecolor="black", markeredgewidth=1.1,
                  label=labels.text("legend.target", lang, name=targets.name))


def model_source(runs: Mapping[str, xr.Dataset], lang: str) -> str:
    names = ", ".join(labels.scenario(n, lang) for n in runs)
    out = labels.text("source.model", lang, names=names)
    n = max(n_members(ds) for ds in runs.values())
    if n > 1:
        out += f" ({labels.text('legend.ensemble', lang, n=n)})"
    return out


def stack(ax: Axes, x: np.ndarray, parts: Sequence[tuple[str, np.ndarray, dict[str, Any], str]],
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
