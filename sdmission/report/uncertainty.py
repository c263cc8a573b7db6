"""Plots of ensembles, sensitivity indices and PRIM boxes: each takes data and returns a Figure.

Saving is the caller's job. Figures use matplotlib's object API (no pyplot state), so they are
safe in tests and on headless machines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from sdmission.constants import MEMBER, SCENARIO, TIME
from sdmission.study.targets import TargetSet

if TYPE_CHECKING:
    from sdmission.analysis.discovery import PrimResult

#: Percentiles drawn by fan charts: outer band, inner band, median.
FAN_PERCENTILES = (5, 25, 50, 75, 95)


def fan_quantiles(da: xr.DataArray) -> xr.DataArray:
    """The 5/25/50/75/95 % quantiles over ``member``; dims ``(percentile, …)`` (da's units)."""
    q = da.quantile([p / 100 for p in FAN_PERCENTILES], dim=MEMBER)
    return q.rename(quantile="percentile").assign_coords(percentile=list(FAN_PERCENTILES))


def _percentile(q: xr.DataArray, p: int) -> np.ndarray:
    """The ``p``-th percentile of :func:`fan_quantiles` output over time, shape ``(time,)``."""
    return np.asarray(q.sel(percentile=p).transpose(TIME).values)


def fan_chart(
    ds: xr.Dataset,
    metrics: Sequence[str],
    *,
    target_set: TargetSet | None = None,
    title: str | None = None,
) -> Figure:
    """Fan charts (5–95 % and 25–75 % bands, median) of ``metrics`` for every scenario.

    Parameters
    ----------
    ds
        Ensemble results with dims ``(scenario, member, time)`` for each metric (subscripted
        metrics are not accepted: sum or select first).
    metrics
        Variables to draw, one panel each.
    target_set
        Targets on these metrics are drawn as markers at their year and threshold (▲ for ``>=``,
        ▼ for ``<=``).
    title
        Figure title.
    """
    n = len(metrics)
    cols = min(n, 2)
    rows = int(np.ceil(n / cols))
    fig = Figure(figsize=(6.0 * cols, 3.6 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    scenarios = [str(s) for s in ds[SCENARIO].values] if SCENARIO in ds.dims else [""]
    colours = [f"C{i}" for i in range(len(scenarios))]
    for ax, metric in zip(axes, metrics, strict=False):  # a grid may have a spare panel
        da = ds[metric]
        extra = [d for d in da.dims if d not in (SCENARIO, MEMBER, TIME)]
        if extra:
            raise ValueError(f"fan_chart needs (scenario, member, time) data; '{metric}' also has "
                             f"{extra}")
        q = fan_quantiles(da)
        t = np.asarray(ds[TIME].values, dtype=float)
        for s, colour in zip(scenarios, colours, strict=True):
            qs = q.sel({SCENARIO: s}) if s else q
            ax.fill_between(t, _percentile(qs, 5), _percentile(qs, 95), color=colour, alpha=0.15,
                            linewidth=0)
            ax.fill_between(t, _percentile(qs, 25), _percentile(qs, 75), color=colour, alpha=0.3,
                            linewidth=0)
            ax.plot(t, _percentile(qs, 50), color=colour, linewidth=1.6, label=s or None)
        if target_set is not None:
            for tg in target_set.targets:
                if tg.metric == metric:
                    ax.plot([tg.year], [tg.threshold], marker="^" if tg.sense == ">=" else "v",
                            color="black", markersize=8, linestyle="none")
                    ax.annotate(tg.id, (tg.year, tg.threshold), textcoords="offset points",
                                xytext=(4, 4), fontsize=7)
        units = da.attrs.get("units", "")
        ax.set_title(str(da.attrs.get("long_name", metric)), fontsize=10)
        ax.set_ylabel(units)
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    if scenarios != [""]:
        axes[0].legend(fontsize=8, title="median, 25–75 %, 5–95 %", title_fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def sobol_bars(indices: xr.Dataset, *, top: int = 15, title: str | None = None) -> Figure:
    """Ranked bars of first-order (S1) and total-order (ST) Sobol' indices with 95 % intervals.

    Parameters
    ----------
    indices
        From :func:`sdmission.analysis.sensitivity.sobol_indices`: dims ``(metric, uncertainty)`` with
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
    top
        Uncertainties shown per metric (largest ST first).
    """
    metrics = [str(m) for m in indices["metric"].values]
    fig = Figure(figsize=(6.5 * len(metrics), 0.35 * top + 1.6), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False).ravel()
    for ax, m in zip(axes, metrics, strict=True):
        sub = indices.sel(metric=m)
        st = np.nan_to_num(np.asarray(sub["ST"].values, dtype=float), nan=-1.0)
        order = np.argsort(-st)[:top][::-1]
        labels = [str(x) for x in sub["uncertainty"].values[order]]
        y = np.arange(len(order))
        ax.barh(y + 0.2, sub["ST"].values[order], height=0.4, xerr=sub["ST_conf"].values[order],
                color="C1", label="total order ST")
        ax.barh(y - 0.2, sub["S1"].values[order], height=0.4, xerr=sub["S1_conf"].values[order],
                color="C0", label="first order S1")
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_xlabel("Sobol' index (95 % interval)")
        name = (str(indices["metric_label"].sel(metric=m).values)
                if "metric_label" in indices.coords else m)
        ax.set_title(name, fontsize=10)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.grid(axis="x", alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    if title:
        fig.suptitle(title)
    return fig


def prim_plot(result: PrimResult, *, title: str | None = None) -> Figure:
    """PRIM: the peeling trajectory (coverage vs density) and the chosen box's limits.

    Parameters
    ----------
    result
        A :class:`sdmission.analysis.discovery.PrimResult`.
    """
    fig = Figure(figsize=(12, 4.6), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[1, 1.3])
    traj = result.trajectory
    sc = ax1.scatter([b.coverage for b in traj], [b.density for b in traj],
                     c=[len(b.restricted) for b in traj], cmap="viridis", s=18)
    fig.colorbar(sc, ax=ax1, label="restricted dimensions")
    ch = result.box
    ax1.scatter([ch.coverage], [ch.density], s=120, facecolors="none", edgecolors="red",
                linewidths=1.6, label="chosen box")
    ax1.set_xlabel("coverage (share of all cases of interest inside the box)")
    ax1.set_ylabel("density (share of cases of interest in the box)")
    ax1.set_xlim(0, 1.02)
    ax1.set_ylim(0, 1.02)
    ax1.axhline(result.base_rate, color="grey", linestyle=":", label="share in the whole ensemble")
    ax1.legend(fontsize=8, loc="lower left")
    ax1.grid(alpha=0.3)
    dims = list(ch.restricted)
    if dims:
        y = np.arange(len(dims))
        for k, d in enumerate(dims):
            lo, hi = result.full_range[d]
            blo, bhi = ch.limits[d]
            span = hi - lo if hi > lo else 1.0
            ax2.plot([0, 1], [k, k], color="lightgrey", linewidth=8, solid_capstyle="butt")
            ax2.plot([(blo - lo) / span, (bhi - lo) / span], [k, k], color="C3", linewidth=8,
                     solid_capstyle="butt")
            ax2.annotate(f"{blo:.3g} – {bhi:.3g}", ((bhi - lo) / span, k), xytext=(4, -3),
                         textcoords="offset points", fontsize=8)
        ax2.set_yticks(y, dims, fontsize=8)
        ax2.set_xlim(0, 1.25)
        ax2.set_xlabel("box limits, scaled to each uncertainty's sampled range")
    else:
        ax2.text(0.5, 0.5, "no restriction: the whole space", ha="center", va="center")
        ax2.set_axis_off()
    ax2.set_title(f"box: coverage {ch.coverage:.0%}, density {ch.density:.0%}, "
                  f"mass {ch.mass:.0%}", fontsize=10)
    if title:
        fig.suptitle(title)
    return fig
