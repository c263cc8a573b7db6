"""Global sensitivity: Sobol' first- and total-order indices (SALib) of target metrics.

Design: Saltelli's scheme as implemented by SALib (``SALib.sample.sobol`` without second-order
terms: ``N × (D + 2)`` runs for D uncertainties and a base sample of N, a power of two). The design
is drawn in the unit hypercube and mapped through each uncertainty's quantile function, so
triangular, truncated-normal and discrete uncertainties are analysed on their own distributions.
Confidence intervals are SALib's bootstrap intervals (95 %, 100 resamples, seeded).

Metrics (defaults): national GHG reduction vs 1990 in 2030 and 2050 (``ghg_reduction_vs_1990``,
Dmnl) and the circular share in 2040 (``circular_share``, Dmnl).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from sdmission.analysis.uncertainty import UNCERTAINTY, UncertaintySpace
from sdmission.constants import MEMBER, TIME
from sdmission.errors import InputError, Problem


@dataclass(frozen=True)
class Metric:
    """A scalar outcome: ``variable`` at ``year`` (the variable's units)."""

    id: str
    variable: str
    year: int
    label: str


DEFAULT_METRICS: Final = (
    Metric("national-ghg-2030", "ghg_reduction_vs_1990", 2030, "National GHG reduction vs 1990, 2030"),
    Metric("national-ghg-2050", "ghg_reduction_vs_1990", 2050, "National GHG reduction vs 1990, 2050"),
    Metric("circular-2040", "circular_share", 2040, "Circular share of material input, 2040"),
)


def _problem(space: UncertaintySpace) -> dict[str, object]:
    d = len(space)
    return {"num_vars": d, "names": list(space.labels), "bounds": [[0.0, 1.0]] * d}


def design(space: UncertaintySpace, base: int, seed: int = 0) -> xr.Dataset:
    """Saltelli design for ``space``: ``base × (D + 2)`` members.

    Returns
    -------
    xr.Dataset
        Same layout as :func:`sdmission.analysis.uncertainty.sample` (``quantile`` and ``value`` with dims
        ``(member, uncertainty)``), attrs ``sampler='saltelli'``, ``seed``, ``base``.
    """
    from SALib.sample import sobol as sobol_sample

    if base < 2 or base & (base - 1):
        raise InputError([Problem(f"--members for sensitivity is Saltelli's base sample N and must "
                                  f"be a power of two >= 2 (given {base}; runs = N x (D + 2))",
                                  key="members")])
    if len(space) < 2:
        raise InputError([Problem(f"Sobol' indices need at least 2 uncertainties (given "
                                  f"{len(space)})", key="uncertainties")])
    unit = np.asarray(sobol_sample.sample(_problem(space), base, calc_second_order=False,
                                          scramble=True, seed=seed), dtype=float)
    unit = np.clip(unit, 0.0, np.nextafter(1.0, 0.0))
    values = np.column_stack([u.ppf(unit[:, j]) for j, u in enumerate(space.uncertainties)])
    us = space.uncertainties
    return xr.Dataset(
        {"quantile": ((MEMBER, UNCERTAINTY), unit, {"units": "1"}),
         "value": ((MEMBER, UNCERTAINTY), values)},
        coords={MEMBER: np.arange(unit.shape[0]), UNCERTAINTY: list(space.labels),
                "parameter": (UNCERTAINTY, [u.name for u in us]),
                "element": (UNCERTAINTY, [u.element for u in us]),
                "units": (UNCERTAINTY, [u.units for u in us])},
        attrs={"sampler": "saltelli", "seed": int(seed), "base": int(base),
               "members": int(unit.shape[0])},
    )


def metric_values(ds: xr.Dataset, metrics: Sequence[Metric]) -> NDArray[np.float64]:
    """``(member, metric)`` values of each metric at its year (one scenario's results)."""
    cols = []
    times = np.asarray(ds[TIME].values, dtype=float)
    for m in metrics:
        if m.variable not in ds:
            raise InputError([Problem(f"metric '{m.id}' needs result variable '{m.variable}'",
                                      key="metrics")])
        at = np.flatnonzero(np.abs(times - m.year) < 1e-6)
        if at.size == 0:
            raise InputError([Problem(f"metric year {m.year} is not on the results' time grid",
                                      key=m.id)])
        cols.append(np.asarray(ds[m.variable].isel({TIME: int(at[0])}).transpose(MEMBER).values,
                               dtype=float))
    return np.column_stack(cols)


def sobol_indices(space: UncertaintySpace, y: NDArray[np.float64], metrics: Sequence[Metric],
                  *, seed: int = 0) -> xr.Dataset:
    """Sobol' indices from the outputs of :func:`design`.

    Parameters
    ----------
    space
        The uncertainties (same order as the design).
    y
        ``(member, metric)`` outputs of the design's members (see :func:`metric_values`).
    metrics
        What the columns of ``y`` are.
    seed
        Seed of the bootstrap.

    Returns
    -------
    xr.Dataset
        Dims ``(metric, uncertainty)``: ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (fractions of the
        output variance; ``_conf`` is the half-width of the 95 % interval), plus ``variance``
        (metric) of the output. A metric without variance gets NaN indices.
    """
    from SALib.analyze import sobol as sobol_analyze

    d = len(space)
    out = {k: np.full((len(metrics), d), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    var = np.full(len(metrics), np.nan)
    for i, _m in enumerate(metrics):
        col = np.asarray(y[:, i], dtype=float)
        if not np.all(np.isfinite(col)):
            bad = np.flatnonzero(~np.isfinite(col))
            raise InputError([Problem(
                f"metric '{metrics[i].id}' is not finite in {bad.size} of {col.size} runs (members "
                f"{', '.join(map(str, bad[:10]))}{', …' if bad.size > 10 else ''}); Sobol' indices "
                "need every run: narrow the ranges that break the model, or exclude them",
                key=metrics[i].id)])
        var[i] = float(np.var(col))
        if var[i] <= 1e-24 * max(1.0, float(np.mean(col)) ** 2):
            continue
        res = sobol_analyze.analyze(_problem(space), col, calc_second_order=False,
                                    num_resamples=100, conf_level=0.95, print_to_console=False,
                                    seed=seed)
        for k in out:
            out[k][i] = np.asarray(res[k], dtype=float)
    dims = ("metric", UNCERTAINTY)
    return xr.Dataset(
        {
            "S1": (dims, out["S1"], {"long_name": "first-order Sobol' index", "units": "1"}),
            "S1_conf": (dims, out["S1_conf"], {"long_name": "S1 95 % interval half-width"}),
            "ST": (dims, out["ST"], {"long_name": "total-order Sobol' index", "units": "1"}),
            "ST_conf": (dims, out["ST_conf"], {"long_name": "ST 95 % interval half-width"}),
            "variance": (("metric",), var, {"long_name": "output variance (metric units^2)"}),
        },
        coords={"metric": [m.id for m in metrics], UNCERTAINTY: list(space.labels),
                "metric_label": ("metric", [m.label for m in metrics]),
                "metric_variable": ("metric", [m.variable for m in metrics]),
                "metric_year": ("metric", [m.year for m in metrics])},
        attrs={"method": "Sobol' indices, Saltelli design without second order (SALib)",
               "conf_level": 0.95},
    )


def summary(indices: xr.Dataset, top: int = 5) -> str:
    """Plain text: per metric, the uncertainties with the largest total-order index."""
    lines: list[str] = []
    for m in indices["metric"].values:
        sub = indices.sel(metric=m)
        label = str(sub["metric_label"].values)
        if not np.isfinite(sub["ST"].values).any():
            lines.append(f"{label}: no variance across the sample; nothing to attribute.")
            continue
        order = np.argsort(-np.nan_to_num(sub["ST"].values, nan=-1.0))[:top]
        lines.append(f"{label} (sd {np.sqrt(float(sub['variance'])):.3g}):")
        for j in order:
            u = str(sub[UNCERTAINTY].values[j])
            st, stc = float(sub["ST"].values[j]), float(sub["ST_conf"].values[j])
            s1, s1c = float(sub["S1"].values[j]), float(sub["S1_conf"].values[j])
            lines.append(f"  {u:40s} total {st:6.2f} ± {stc:4.2f}   first order {s1:6.2f} ± {s1c:4.2f}")
        s1sum = float(np.nansum(sub["S1"].values))
        wide = float(np.nanmax(sub["ST_conf"].values)) > 0.1
        lines.append(f"  first-order indices sum to {s1sum:.2f}: "
                     + ("mostly additive effects" if s1sum > 0.8 else
                        "interactions between uncertainties matter")
                     + ("; intervals are wide: a larger --members narrows them." if wide else "."))
    return "\n".join(lines)


def indices_table(indices: xr.Dataset) -> list[dict[str, object]]:
    """Rows ``metric, uncertainty, S1, S1_conf, ST, ST_conf``, ranked by ST within each metric."""
    rows: list[dict[str, object]] = []
    for m in indices["metric"].values:
        sub = indices.sel(metric=m)
        order = np.argsort(-np.nan_to_num(sub["ST"].values, nan=-1.0))
        for rank, j in enumerate(order, start=1):
            rows.append({"metric": str(m), "rank": rank,
                         "uncertainty": str(sub[UNCERTAINTY].values[j]),
                         **{k: float(sub[k].values[j]) for k in ("S1", "S1_conf", "ST", "ST_conf")}})
    return rows
