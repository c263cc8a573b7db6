"""Scenario discovery with PRIM (Friedman & Fisher 1999): which uncertainty ranges make a target fail.

Why an own implementation: the maintained one (``ema_workbench.analysis.prim``) pulls in
scikit-learn, statsmodels, seaborn and Platypus for a few hundred lines of algorithm. This module
follows the published algorithm:

1. **Peeling.** Start from the box spanning the data. In each step, for every uncertainty, try
   removing the ``alpha`` share of the points in the box with the lowest values, and the share with
   the highest values (for uncertainties with few distinct values, the lowest or highest value
   instead). Keep the peel that gives the highest density; ties go to the peel that keeps more
   points. Stop when no peel keeps at least ``min_mass`` of all points (and ``min_points``
   points, so that small ensembles do not yield boxes around one or two futures). Every box is recorded
   (the peeling trajectory).
2. **Choice.** Among the trajectory's boxes with coverage ≥ ``min_coverage``, the one with the
   highest density (ties: higher coverage).
3. **Pasting.** Repeatedly widen one limit of the chosen box by the ``alpha`` share of the points
   just outside it when that raises the density most; stop when no widening raises it.
4. **Pruning** (not in the paper; after the EMA Workbench's quasi-p-values): a restriction is
   dropped when the box's cases of interest are not significantly more frequent than in the box
   without it (one-sided binomial test, p > ``max_p``), or when dropping it costs less than
   ``prune_tol`` of density. With few futures this honestly leaves no box at all.

Definitions (for a box B and cases of interest y, e.g. 'target missed')
    coverage = (cases of interest in B) / (all cases of interest)
    density  = (cases of interest in B) / (points in B)
    mass     = (points in B) / (all points)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from scipy import stats

from sdmission.analysis.uncertainty import UNCERTAINTY
from sdmission.constants import MEMBER, SCENARIO
from sdmission.errors import InputError, Problem
from sdmission.study.targets import TARGET, Target

#: An uncertainty with at most this many distinct sampled values is peeled value by value.
DISCRETE_MAX: Final = 10


@dataclass(frozen=True)
class Box:
    """A box in uncertainty space and its statistics.

    ``limits[label] = (low, high)`` for every uncertainty (inclusive, parameter units);
    ``restricted`` names those whose limits are narrower than the data's range.
    """

    limits: Mapping[str, tuple[float, float]]
    restricted: tuple[str, ...]
    coverage: float
    density: float
    mass: float
    n: int


@dataclass(frozen=True)
class PrimResult:
    """Peeling trajectory, the chosen (pasted, pruned) box, and the data's facts."""

    trajectory: tuple[Box, ...]
    box: Box
    base_rate: float
    n_points: int
    n_interest: int
    full_range: Mapping[str, tuple[float, float]]
    labels: tuple[str, ...]


def _inside(x: NDArray[np.float64], lo: NDArray[np.float64], hi: NDArray[np.float64]) -> NDArray[np.bool_]:
    return np.all((x >= lo) & (x <= hi), axis=1)


def _box(x: NDArray[np.float64], y: NDArray[np.bool_], lo: NDArray[np.float64],
         hi: NDArray[np.float64], labels: Sequence[str], full_lo: NDArray[np.float64],
         full_hi: NDArray[np.float64]) -> Box:
    m = _inside(x, lo, hi)
    n = int(m.sum())
    hits = int(y[m].sum())
    total = max(int(y.sum()), 1)
    restricted = tuple(lab for j, lab in enumerate(labels) if lo[j] > full_lo[j] or hi[j] < full_hi[j])
    return Box(limits={lab: (float(lo[j]), float(hi[j])) for j, lab in enumerate(labels)},
               restricted=restricted, coverage=hits / total, density=hits / n if n else 0.0,
               mass=n / len(y), n=n)


@dataclass(frozen=True)
class _Data:
    """The points, the cases of interest and the data's range, shared by the PRIM steps."""

    x: NDArray[np.float64]
    y: NDArray[np.bool_]
    labels: Sequence[str]
    full_lo: NDArray[np.float64]
    full_hi: NDArray[np.float64]

    def box(self, lo: NDArray[np.float64], hi: NDArray[np.float64]) -> Box:
        return _box(self.x, self.y, lo, hi, self.labels, self.full_lo, self.full_hi)


Bounds = tuple[NDArray[np.float64], NDArray[np.float64]]


def _check_inputs(x: NDArray[np.float64], y: NDArray[np.bool_], labels: Sequence[str],
                  alpha: float, min_mass: float) -> None:
    problems = []
    if x.ndim != 2 or y.shape != (x.shape[0],) or x.shape[1] != len(labels):
        problems.append(Problem(f"PRIM needs x (n, d), y (n,) and d labels (given x {x.shape}, "
                                f"y {y.shape}, {len(labels)} labels)"))
    if not 0 < alpha < 0.5:
        problems.append(Problem(f"alpha must lie in (0, 0.5) (given {alpha})", key="alpha"))
    if not 0 < min_mass < 1:
        problems.append(Problem(f"min_mass must lie in (0, 1) (given {min_mass})", key="min-mass"))
    if problems:
        raise InputError(problems)
    if not y.any():
        raise InputError([Problem("no case of interest in the data: nothing to discover")])


def _set_bound(lo: NDArray[np.float64], hi: NDArray[np.float64], j: int, side: str,
               bound: float) -> None:
    if side == "low":
        lo[j] = bound
    else:
        hi[j] = bound


def _peel_bound(col: NDArray[np.float64], vals: NDArray[np.float64], side: str, discrete: bool,
                alpha: float) -> float:
    """The limit that peels the ``alpha`` share (or one value) off one side of a column."""
    if discrete:
        return float(vals[1] if side == "low" else vals[-2])
    q = np.quantile(col, alpha if side == "low" else 1 - alpha)
    bound = q
    if side == "low" and not (col < q).any():
        bound = vals[1]
    if side == "high" and not (col > q).any():
        bound = vals[-2]
    return float(bound)


def _best_peel(data: _Data, mask: NDArray[np.bool_], discrete: Sequence[bool], alpha: float,
               min_keep: int) -> tuple[float, int, int, str, float] | None:
    """``(density, kept, dim, side, bound)`` of the best peel, or None when none is allowed."""
    x, y = data.x, data.y
    best: tuple[float, int, int, str, float] | None = None
    for j in range(x.shape[1]):
        col = x[mask, j]
        vals = np.unique(col)
        if vals.size < 2:
            continue
        for side in ("low", "high"):
            bound = _peel_bound(col, vals, side, discrete[j], alpha)
            keep = mask & (x[:, j] >= bound if side == "low" else x[:, j] <= bound)
            kept = int(keep.sum())
            if kept < min_keep or kept == int(mask.sum()):
                continue
            dens = float(y[keep].mean())
            if best is None or (dens, kept) > (best[0], best[1]):
                best = (dens, kept, j, side, bound)
    return best


def _peel(data: _Data, alpha: float, min_mass: float, min_points: int) -> list[Box]:
    """Step 1: the peeling trajectory, from the box spanning the data."""
    x = data.x
    n, d = x.shape
    lo, hi = data.full_lo.copy(), data.full_hi.copy()
    discrete = [np.unique(x[:, j]).size <= DISCRETE_MAX for j in range(d)]
    traj = [data.box(lo, hi)]
    mask = np.ones(n, dtype=bool)
    min_keep = max(1, min_points, int(np.ceil(min_mass * n)))
    while (best := _best_peel(data, mask, discrete, alpha, min_keep)) is not None:
        _, _, j, side, bound = best
        _set_bound(lo, hi, j, side, bound)
        mask = _inside(x, lo, hi)
        traj.append(data.box(lo, hi))
    return traj


def _choose(traj: Sequence[Box], labels: Sequence[str], min_coverage: float) -> Bounds:
    """Step 2: the densest box with enough coverage (ties: higher coverage)."""
    eligible = [k for k, b in enumerate(traj) if b.coverage >= min_coverage] or [0]
    k = max(eligible, key=lambda i: (traj[i].density, traj[i].coverage))
    lo = np.array([traj[k].limits[lab][0] for lab in labels])
    hi = np.array([traj[k].limits[lab][1] for lab in labels])
    return lo, hi


def _best_paste(data: _Data, lo: NDArray[np.float64], hi: NDArray[np.float64],
                alpha: float) -> tuple[float, int, str, float] | None:
    """``(density, dim, side, bound)`` of the widening that raises the density most, or None."""
    x, y = data.x, data.y
    cur = data.box(lo, hi)
    best: tuple[float, int, str, float] | None = None
    for j in range(x.shape[1]):
        others = np.all(np.delete((x >= lo) & (x <= hi), j, axis=1), axis=1)
        for side in ("low", "high"):
            outside = others & ((x[:, j] < lo[j]) if side == "low" else (x[:, j] > hi[j]))
            if not outside.any():
                continue
            vals = np.sort(x[outside, j])
            step = max(1, int(np.ceil(alpha * max(cur.n, 1))))
            bound = vals[-min(step, vals.size)] if side == "low" else vals[min(step, vals.size) - 1]
            nlo, nhi = lo.copy(), hi.copy()
            _set_bound(nlo, nhi, j, side, bound)
            dens = float(y[_inside(x, nlo, nhi)].mean())
            if dens > cur.density + 1e-12 and (best is None or dens > best[0]):
                best = (dens, j, side, float(bound))
    return best


def _paste(data: _Data, lo: NDArray[np.float64], hi: NDArray[np.float64], alpha: float) -> None:
    """Step 3: widen the box (in place) while a widening raises its density."""
    while (best := _best_paste(data, lo, hi, alpha)) is not None:
        _, j, side, bound = best
        _set_bound(lo, hi, j, side, bound)


def _prune_candidates(data: _Data, lo: NDArray[np.float64], hi: NDArray[np.float64]
                      ) -> list[tuple[float, float, int]]:
    """``(p-value, density loss, dim)`` of dropping each restriction of the box."""
    cur = data.box(lo, hi)
    hits = int(round(cur.density * cur.n))
    cands = []
    for lab in cur.restricted:
        j = list(data.labels).index(lab)
        nlo, nhi = lo.copy(), hi.copy()
        nlo[j], nhi[j] = data.full_lo[j], data.full_hi[j]
        wider = data.box(nlo, nhi)
        pval = float(stats.binomtest(hits, cur.n, min(wider.density, 1.0),
                                     alternative="greater").pvalue) if cur.n else 1.0
        cands.append((pval, cur.density - wider.density, j))
    return cands


def _prune(data: _Data, lo: NDArray[np.float64], hi: NDArray[np.float64], prune_tol: float,
           max_p: float) -> None:
    """Step 4: drop (in place) restrictions that are not significant or barely matter."""
    while cands := _prune_candidates(data, lo, hi):
        worst = max(cands)
        if worst[0] > max_p:
            j = worst[2]
        else:
            loss, j = min((c[1], c[2]) for c in cands)
            if loss > prune_tol:
                break
        lo[j], hi[j] = data.full_lo[j], data.full_hi[j]


def prim(
    x: NDArray[np.float64],
    y: NDArray[np.bool_],
    labels: Sequence[str],
    *,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    prune_tol: float = 0.01,
    min_points: int = 10,
    max_p: float = 0.05,
) -> PrimResult:
    """Run PRIM on points ``x`` (n, d) with cases of interest ``y`` (n,) (see module docstring).

    Raises
    ------
    InputError
        Bad shapes or parameters, or no case of interest at all.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool)
    _check_inputs(x, y, labels, alpha, min_mass)
    full_lo, full_hi = x.min(axis=0), x.max(axis=0)
    data = _Data(x, y, labels, full_lo, full_hi)
    traj = _peel(data, alpha, min_mass, min_points)  # 1. peeling
    lo, hi = _choose(traj, labels, min_coverage)  # 2. choice
    _paste(data, lo, hi, alpha)  # 3. pasting
    _prune(data, lo, hi, prune_tol, max_p)  # 4. pruning
    return PrimResult(
        trajectory=tuple(traj), box=data.box(lo, hi), base_rate=float(y.mean()), n_points=x.shape[0],
        n_interest=int(y.sum()),
        full_range={lab: (float(full_lo[j]), float(full_hi[j])) for j, lab in enumerate(labels)},
        labels=tuple(labels),
    )


def _pct(v: float) -> str:
    return f"{100 * v:.0f} %"


def describe(result: PrimResult, target: Target | None = None, *, scenario: str = "",
             what: str = "fails") -> str:
    """A plain-language summary of the chosen box.

    Example: *"In scenario 'baseline' the target 'national-ghg-2030' (National GHG -49 % vs 1990
    in 2030) fails in 35 % of 1000 futures. It fails in 82 % of the futures where capture_rate is
    below 0.84 and cost_sensitivity is above 7.1; these are 30 % of all futures and hold 70 % of
    the failures."*
    """
    name = f"the target '{target.id}' ({target.label})" if target is not None else "the outcome"
    head = (f"In scenario '{scenario}' " if scenario else "") + name
    b = result.box
    text = f"{head} {what} in {_pct(result.base_rate)} of {result.n_points} futures."
    text = text[0].upper() + text[1:]
    if result.n_interest == result.n_points:
        return text + " It does so in every future: there is no range to single out."
    if not b.restricted:
        return text + " No box of uncertainty ranges concentrates these futures (PRIM found none)."
    conds = []
    for lab in b.restricted:
        lo, hi = b.limits[lab]
        flo, fhi = result.full_range[lab]
        if lo > flo and hi < fhi:
            conds.append(f"{lab} is between {lo:.3g} and {hi:.3g}")
        elif lo > flo:
            conds.append(f"{lab} is above {lo:.3g}")
        else:
            conds.append(f"{lab} is below {hi:.3g}")
    joined = conds[0] if len(conds) == 1 else ", ".join(conds[:-1]) + " and " + conds[-1]
    return (text + f" It {what} in {_pct(b.density)} of the futures where {joined}; these are "
            f"{_pct(b.mass)} of all futures and hold {_pct(b.coverage)} of the cases "
            f"(PRIM: coverage {b.coverage:.2f}, density {b.density:.2f}, mass {b.mass:.2f}).")


def ensemble_xy(ds: xr.Dataset, checks: xr.Dataset, scenario: str, target: str
                ) -> tuple[NDArray[np.float64], NDArray[np.bool_], list[str]]:
    """Inputs and 'target missed' flags of one scenario of an ensemble file.

    Uncertainties the scenario did not sample (NaN) or that did not vary are left out.
    """
    vals = ds["input_value"]
    if SCENARIO in vals.dims:
        vals = vals.sel({SCENARIO: scenario})
    x = np.asarray(vals.transpose(MEMBER, UNCERTAINTY).values, dtype=float)
    keep = np.all(np.isfinite(x), axis=0) & (np.nanmax(x, axis=0) > np.nanmin(x, axis=0))
    labels = [str(v) for v, k in zip(vals[UNCERTAINTY].values, keep, strict=True) if k]
    missed = ~np.asarray(checks["met"].sel({TARGET: target}).transpose(MEMBER).values, dtype=bool)
    return x[:, keep], missed, labels
