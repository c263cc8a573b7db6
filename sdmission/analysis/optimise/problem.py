"""The optimisation problem: decisions <-> lever paths, one-call evaluation, objective, constraints.

Pipeline (kept apart from the model, which is only seen through ``engine.run``)::

    decision vector x (S, N)  ->  lever time paths on the integration grid (member=S, time)
      ->  engine.run (ONE call per population)  ->  Dataset (member, time)
      ->  objective (NPV of public cost, MEUR)  +  constraints g_j = normalised target shortfall

Lever paths
-----------
A lever with ``knots`` keeps its base path (the scenario's, else the model's default) for times
before ``start``; from ``start`` it runs linearly through ``(start, base(start))`` (when the first knot
is later than ``start``) and the knot values, and is held after the last knot. A lever without knots
is one constant for the whole run (meant for year-type levers such as a phase-out year). Paths are
written as ``{knots: {year: value}}`` breakpoints; sampled on the integration grid they give exactly
the inputs the optimiser used.

Robust problems
---------------
With futures (:class:`Futures`, from the block's ``robust:``) each candidate is run for the nominal
future (every uncertain parameter at the model's value, as ``run`` simulates it) plus the N sampled
futures: S candidates x (N + 1) members in ONE engine call. The constraint is
``g_j = q_j / scale_j <= 0`` with ``q_j`` the ``k``-th smallest shortfall of target j over the
futures, ``k = ceil(p N)``, less the met allowance of :meth:`Target.holds`: exactly ``P_j >= p``
(see :mod:`sdmission.analysis.optimise.solve`).

Definitions
-----------
objective ``npv``
    ``sum_y metric(y) * (1 + r) ** -(y - base_year)`` over whole years ``y`` of the save grid in
    ``window`` (a year-start rate x 1 year), MEUR for ``public_cost_total``.
normalised violation
    ``g_j = shortfall_j / scale_j`` with ``scale_j = max(|threshold_j|, |base-run value_j|, 1e-6)``;
    ``g_j <= 0`` means met.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from sdmission.analysis.uncertainty import UncertaintySpace
from sdmission.constants import MEMBER, TIME
from sdmission.errors import InputError, Problem
from sdmission.model.engines.protocol import Engine
from sdmission.model.source import Grid
from sdmission.schema.optimise import OptimiseSpec, RobustSpec
from sdmission.study import economics
from sdmission.study.targets import MET_RTOL, TargetSet

FloatArray = NDArray[np.float64]
Progress = Callable[[str], None]


def _compress(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Drop points that linear interpolation between their neighbours reproduces exactly."""
    if x.size <= 2:
        return x, y
    keep = [0]
    for i in range(1, x.size - 1):
        a = keep[-1]
        pred = y[a] + (y[i + 1] - y[a]) * (x[i] - x[a]) / (x[i + 1] - x[a])
        if pred != y[i]:
            keep.append(i)
    keep.append(x.size - 1)
    return x[keep], y[keep]


@dataclass(frozen=True)
class LeverPlan:
    """A searched lever: decision slots, bounds, and its base path before ``start``."""

    name: str
    knots: tuple[int, ...]  # () = constant lever
    lower: FloatArray
    upper: FloatArray
    base_x: FloatArray  # breakpoints kept before start (grid times)
    base_y: FloatArray
    anchor: float | None  # base value at start when the first knot is later than start


@dataclass(frozen=True)
class Futures:
    """Futures held fixed during a robust search.

    Attributes
    ----------
    p
        Required probability of meeting each target.
    space
        The uncertainties sampled.
    samples
        :func:`sdmission.analysis.uncertainty.sample` output: ``value`` (member=N, uncertainty).
    """

    p: float
    space: UncertaintySpace
    samples: xr.Dataset

    @property
    def n(self) -> int:
        """Number of futures N."""
        return int(self.samples.sizes[MEMBER])

    @property
    def k(self) -> int:
        """Futures that must meet a target: ``ceil(p N)`` (so that ``k / N >= p``)."""
        return max(1, math.ceil(self.p * self.n - 1e-9))


def draw_futures(spec: RobustSpec, space: UncertaintySpace) -> Futures:
    """Sample ``spec.members`` futures of ``space`` (seeded; see :func:`sdmission.analysis.uncertainty.sample`)."""
    from sdmission.analysis.uncertainty import sample

    if len(space) == 0:
        raise InputError([Problem("robust optimisation needs at least one uncertainty; the "
                                  "uncertainties: block selects none", key="optimise.robust")])
    return Futures(spec.p, space, sample(space, spec.members, spec.sampler, spec.seed))


@dataclass
class Outcome:
    """Objective and constraints of evaluated decision vectors (S rows)."""

    cost: FloatArray  # (S,) objective units (MEUR)
    g: FloatArray  # (S, M) normalised signed violations, <= 0 met
    secondary: FloatArray  # (S,) Pareto metric (NaN when not asked)


class OptimisationProblem:
    """Decisions, paths, one-call evaluation and cached outcomes.

    Parameters
    ----------
    engine
        Any :class:`sdmission.model.engines.protocol.Engine`.
    grid
        The model's time settings.
    spec
        The ``optimise:`` block.
    target_set
        Constraints.
    base
        ``{lever: (T,) values on grid.times}``: each searched lever's base path (scenario or model
        default). Must cover every lever in ``spec.levers``.
    fixed_inputs
        Other engine inputs held fixed (the scenario's other levers and assumptions).
    futures
        For a robust problem (``spec.robust``): the sampled futures (see :func:`draw_futures`).
        The objective is then the nominal future's and the constraints are chance constraints.
    """

    def __init__(self, engine: Engine, grid: Grid, spec: OptimiseSpec, target_set: TargetSet,
                 base: Mapping[str, FloatArray], fixed_inputs: Mapping[str, xr.DataArray] | None = None,
                 futures: Futures | None = None):
        self.engine, self.grid, self.spec, self.target_set = engine, grid, spec, target_set
        self.fixed_inputs = dict(fixed_inputs or {})
        if (spec.robust is None) != (futures is None):
            raise ValueError("futures must be given exactly when the spec has a robust: block")
        self.futures = futures
        self._future_inputs: dict[str, xr.DataArray] = {}
        if futures is not None:
            self._future_inputs = self._nominal_and_futures(futures)
        times = grid.times
        if not np.any(np.isclose(times, spec.start)):
            raise InputError([Problem(f"start {spec.start} is not on the integration grid",
                                      key="optimise.start")])
        if not grid.initial < spec.start <= grid.final:
            raise InputError([Problem(f"start {spec.start} must lie in ({grid.initial:g}, "
                                      f"{grid.final:g}]", key="optimise.start")])
        self.plans: list[LeverPlan] = []
        for name, lev in spec.levers.items():
            pairs = lev.pairs()
            b = np.asarray(base[name], dtype=float)
            before = times < spec.start - 1e-9
            bx, by = _compress(times[before], b[before])
            knots = tuple(lev.knots or ())
            anchor = float(np.interp(spec.start, times, b)) if knots and knots[0] > spec.start else None
            self.plans.append(LeverPlan(name, knots, np.array([p[0] for p in pairs]),
                                        np.array([p[1] for p in pairs]), bx, by, anchor))
        self.lower = np.concatenate([p.lower for p in self.plans])
        self.upper = np.concatenate([p.upper for p in self.plans])
        self.labels = [f"{p.name}@{k}" if p.knots else p.name for p in self.plans
                       for k in (p.knots or (None,))]
        self.return_vars = list(dict.fromkeys(
            [spec.objective.metric, *target_set.metrics]
            + ([spec.pareto.metric] if spec.pareto else [])))
        self.n_evals = 0
        self.n_calls = 0
        self.eval_seconds = 0.0
        self._cache: dict[bytes, tuple[float, FloatArray, float]] = {}
        self._scale = np.ones(len(target_set.targets))
        base_ds = self._run_inputs({**self.fixed_inputs, **{
            p.name: xr.DataArray(np.asarray(base[p.name], dtype=float), dims=[TIME],
                                 coords={TIME: times}) for p in self.plans}})
        self.base_dataset = base_ds
        vals = self.target_values(base_ds)[0]
        self._scale = np.array([max(abs(t.threshold), abs(v) if np.isfinite(v) else 0.0, 1e-6)
                                for t, v in zip(target_set.targets, vals, strict=True)])

    @property
    def robust(self) -> bool:
        """Whether the constraints are chance constraints over sampled futures."""
        return self.futures is not None

    def _nominal_and_futures(self, futures: Futures) -> dict[str, xr.DataArray]:
        """Engine inputs of the uncertain parameters for ``N + 1`` members: member 0 the nominal
        future (the model's values, as ``run`` uses them), members 1..N the sampled futures."""
        from sdmission.analysis.uncertainty import UNCERTAINTY, engine_inputs

        values = futures.samples["value"]
        nominal = xr.DataArray([[u.default for u in futures.space.uncertainties]],
                               dims=(MEMBER, UNCERTAINTY),
                               coords={UNCERTAINTY: values[UNCERTAINTY].values})
        both = xr.concat([nominal, values.drop_vars([c for c in values.coords
                                                     if c not in (UNCERTAINTY,)])], dim=MEMBER)
        both = both.assign_coords({MEMBER: np.arange(futures.n + 1)})
        out = engine_inputs(both, futures.space)
        clash = sorted(set(out) & (set(self.fixed_inputs) | set(self.spec.levers)))
        if clash:
            raise InputError([Problem(
                f"{', '.join(clash)} is set by the scenario (lever/assumption) and also sampled as an "
                "uncertainty (allowed: one or the other)", key="optimise.robust")])
        return out

    # ---- decisions <-> paths ----------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of decision variables."""
        return int(self.lower.size)

    def _slices(self, x: FloatArray) -> list[FloatArray]:
        """The decision vector ``x`` (N,) cut into each plan's values, in plan order."""
        out = []
        i = 0
        for p in self.plans:
            k = max(1, len(p.knots))
            out.append(np.asarray(x[i:i + k], dtype=float))
            i += k
        return out

    def _knotted(self, p: LeverPlan, v: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Breakpoints ``(years, values)`` of a lever with knots: base path, anchor, knot values."""
        ax = np.array([self.spec.start] if p.anchor is not None else [], dtype=float)
        ay = np.array([p.anchor] if p.anchor is not None else [], dtype=float)
        xs = np.concatenate([p.base_x, ax, np.array(p.knots, float)]).astype(float)
        return xs, np.concatenate([p.base_y, ay, v]).astype(float)

    def breakpoints(self, x: FloatArray) -> dict[str, tuple[FloatArray, FloatArray] | float]:
        """``{lever: (years, values)}`` breakpoints of one decision vector (constant: a float)."""
        out: dict[str, tuple[FloatArray, FloatArray] | float] = {}
        for p, v in zip(self.plans, self._slices(x), strict=True):
            out[p.name] = self._knotted(p, v) if p.knots else float(v[0])
        return out

    def decode(self, X: FloatArray) -> dict[str, xr.DataArray]:
        """Engine inputs for decision rows ``X`` (S, N): ``(member, time)`` or ``(member,)`` arrays."""
        X = np.atleast_2d(X)
        times = self.grid.times
        rows = [self._slices(x) for x in X]
        out: dict[str, xr.DataArray] = {}
        for j, p in enumerate(self.plans):
            values = [r[j] for r in rows]  # this lever's decisions, one array per row
            if not p.knots:
                out[p.name] = xr.DataArray([float(v[0]) for v in values], dims=[MEMBER])
            else:
                vals = np.stack([np.interp(times, *self._knotted(p, v)) for v in values])
                out[p.name] = xr.DataArray(vals, dims=[MEMBER, TIME], coords={TIME: times})
        return out

    # ---- evaluation -------------------------------------------------------------------------------
    def _run_inputs(self, inputs: Mapping[str, xr.DataArray]) -> xr.Dataset:
        t0 = _time.perf_counter()
        ds = self.engine.run(inputs, return_vars=self.return_vars)
        self.eval_seconds += _time.perf_counter() - t0
        self.n_calls += 1
        return ds

    def evaluate(self, X: FloatArray) -> xr.Dataset:
        """Simulate decision rows ``X`` (S, N) in one engine call; Dataset ``(member=S, time)``."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        ds = self._run_inputs({**self.fixed_inputs, **self.decode(X)})
        self.n_evals += X.shape[0]
        return ds

    def evaluate_futures(self, X: FloatArray) -> xr.Dataset:
        """Simulate rows ``X`` (S, N) in the nominal and the N sampled futures, in one engine call.

        Returns a Dataset ``(member=S * (N + 1), time)``: member ``s * (N + 1)`` is candidate s in
        the nominal future, ``s * (N + 1) + 1 + i`` candidate s in future i.
        """
        if self.futures is None:
            raise ValueError("not a robust problem")
        X = np.atleast_2d(np.asarray(X, dtype=float))
        s, b = X.shape[0], self.futures.n + 1
        idx = np.arange(s * b)
        cand, fut = np.repeat(np.arange(s), b), np.tile(np.arange(b), s)
        dec = {k: v.isel({MEMBER: cand}).assign_coords({MEMBER: idx})
               for k, v in self.decode(X).items()}
        unc = {k: v.isel({MEMBER: fut}).assign_coords({MEMBER: idx})
               for k, v in self._future_inputs.items()}
        ds = self._run_inputs({**self.fixed_inputs, **unc, **dec})
        self.n_evals += s * b
        return ds

    def robust_violations(self, values: FloatArray) -> FloatArray:
        """Chance-constraint violations (S, M) from metric values (S, N, M) over the futures.

        ``g_j = (k-th smallest shortfall_j - allowance_j) / scale_j``; ``g_j <= 0`` iff at least
        ``k = ceil(p N)`` futures meet target j (see the module docstring). NaN values never meet.
        """
        assert self.futures is not None  # noqa: S101 - internal invariant
        targets = self.target_set.targets
        allow = np.array([MET_RTOL * max(1.0, abs(t.threshold)) for t in targets])
        short = np.stack([t.shortfall(values[..., j]) for j, t in enumerate(targets)], axis=-1)
        short = np.where(np.isnan(short), np.inf, short - allow)
        q = np.sort(short, axis=1)[:, self.futures.k - 1, :]
        return np.where(np.isfinite(q), q / self._scale, 1e6)

    def robust_summary(self, x: FloatArray, quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)
                       ) -> dict[str, Any]:
        """P(met) per target, quantiles of the signed gap over the futures and cost, for one row.

        Signed gap = shortfall in the metric's units (negative: met with that margin).
        """
        assert self.futures is not None  # noqa: S101 - internal invariant
        fut = self.futures
        ds = self.evaluate_futures(np.asarray(x, dtype=float)[None, :])
        vals = self.target_values(ds)[1:]  # (N, M), nominal dropped
        cost = self.objective_of(ds)
        rows = []
        for j, t in enumerate(self.target_set.targets):
            met = np.asarray(t.holds(vals[:, j]), dtype=bool)
            short = np.asarray(t.shortfall(vals[:, j]), dtype=float)
            finite = short[np.isfinite(short)]
            qs = {f"{q:g}": float(np.quantile(finite, q)) if finite.size else float("nan")
                  for q in quantiles}
            kth = float(np.sort(np.where(np.isnan(short), np.inf, short))[fut.k - 1])
            rows.append({"id": t.id, "p_met": float(met.mean()), "met": bool(met.sum() >= fut.k),
                         "futures_met": int(met.sum()), "gap_at_p": kth,
                         "gap_quantiles": qs, "nonfinite": int((~np.isfinite(short)).sum())})
        allm = np.all([np.asarray(t.holds(vals[:, j]), dtype=bool)
                       for j, t in enumerate(self.target_set.targets)], axis=0)
        return {"p": fut.p, "members": fut.n, "k": fut.k,
                "sampler": str(fut.samples.attrs.get("sampler")),
                "seed": int(fut.samples.attrs.get("seed", -1)),
                "uncertainties": [f"{u.label} ~ {u.describe()}" for u in fut.space.uncertainties],
                "targets": rows, "p_all_met": float(allm.mean()),
                "cost_nominal": float(cost[0]),
                "cost_over_futures": {"mean": float(np.mean(cost[1:])),
                                      **{f"{q:g}": float(np.quantile(cost[1:], q)) for q in (0.05, 0.95)}}}

    def target_values(self, ds: xr.Dataset) -> FloatArray:
        """(S, M) metric values at target years."""
        cols = []
        for t in self.target_set.targets:
            da = ds[t.metric]
            da = da if MEMBER in da.dims else da.expand_dims(MEMBER)
            cols.append(da.sel({TIME: float(t.year)}, method="nearest").values.astype(float))
        return np.stack(cols, axis=-1)

    def objective_of(self, ds: xr.Dataset) -> FloatArray:
        """Objective per member (S,), e.g. NPV of public cost in MEUR."""
        o = self.spec.objective
        lo, hi = o.window or (self.spec.start, int(self.grid.final))
        by = o.base_year if o.base_year is not None else self.spec.start
        rate = o.discount_rate if o.kind == "npv" else 0.0
        value = economics.npv(ds[o.metric], rate, by, window=(lo, hi))
        return np.asarray(value.values, dtype=float).reshape(-1)

    def secondary_of(self, ds: xr.Dataset) -> FloatArray:
        """Pareto metric per member (S,), in 'less is better' orientation is NOT applied."""
        p = self.spec.pareto
        if p is None:
            return np.full(ds.sizes.get(MEMBER, 1), np.nan)
        da = economics.whole_years(ds[p.metric], *p.window)
        agg = {"sum": da.sum(TIME), "mean": da.mean(TIME), "min": da.min(TIME), "max": da.max(TIME),
               "final": da.isel({TIME: -1})}[p.aggregate]
        return np.asarray(agg.values, dtype=float).reshape(-1)

    def violations(self, values: FloatArray) -> FloatArray:
        """Normalised signed violations (S, M) from metric values at target years."""
        short = np.stack([t.shortfall(values[..., j]) for j, t in enumerate(self.target_set.targets)],
                         axis=-1)
        return np.where(np.isnan(short), 1e6, short / self._scale)

    def outcomes(self, X: FloatArray) -> Outcome:
        """Cost, violations and secondary metric of rows ``X`` (S, N); new rows run in one call."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if X.shape[0] == 0:  # DE asks for the energies of no feasible trial
            m = len(self.target_set.targets)
            return Outcome(np.zeros(0), np.zeros((0, m)), np.zeros(0))
        keys = [x.tobytes() for x in X]
        todo = [i for i, k in enumerate(keys) if k not in self._cache]
        todo = list(dict.fromkeys(todo))
        if todo:
            uniq = {keys[i]: i for i in todo}
            rows = np.array([X[i] for i in uniq.values()])
            if self.futures is None:
                ds = self.evaluate(rows)
                cost = self.objective_of(ds)
                g = self.violations(self.target_values(ds))
                sec = self.secondary_of(ds)
            else:
                b = self.futures.n + 1
                ds = self.evaluate_futures(rows)
                vals = self.target_values(ds).reshape(len(rows), b, -1)
                cost = self.objective_of(ds)[::b]
                sec = self.secondary_of(ds)[::b]
                g = self.robust_violations(vals[:, 1:, :])
            for j, k in enumerate(uniq):
                self._cache[k] = (float(cost[j]), g[j].copy(), float(sec[j]))
        got = [self._cache[k] for k in keys]
        return Outcome(np.array([c for c, _, _ in got]), np.stack([g for _, g, _ in got]),
                       np.array([s for _, _, s in got]))

    def scale(self) -> FloatArray:
        """Normalisation of each target's violation (metric units)."""
        return self._scale.copy()

    def clear_cache(self) -> None:
        """Forget cached outcomes (keeps counters)."""
        self._cache.clear()
