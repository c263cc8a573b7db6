"""Least-cost lever paths that meet a target set, or the closest approach when none does.

Pipeline (kept apart from the model, which is only seen through ``evaluate``)::

    decision vector x (S, N)  ->  lever time paths on the integration grid (member=S, time)
      ->  engine.run (ONE call per population)  ->  Dataset (member, time)
      ->  objective (NPV of public cost, MEUR)  +  constraints g_j = normalised target shortfall

Method
------
1. **Global**: :func:`scipy.optimize.differential_evolution` with the targets as a
   ``NonlinearConstraint`` (``g <= 0``), ``vectorized=True`` and ``updating='deferred'`` so that a whole
   population is one engine call. Why constraints rather than a penalty: scipy's DE applies
   Lampinen's feasibility rules (feasible beats infeasible; infeasible candidates compete on their
   violations), which needs no penalty weight to tune between MEUR and Mt or fractions, and keeps
   cost and feasibility separate for the report.
2. **Local polish**: SLSQP from the DE best with forward-difference gradients whose ``N + 1`` runs go
   to the engine as one batch. Its KKT multipliers give the **marginal cost of tightening** each
   binding target (MEUR per metric unit).
3. **Infeasible**: when the polished point still violates a target, a phase-I problem minimises the
   *worst* normalised violation ``max_j g_j`` (DE, then SLSQP on the epigraph form). The report names
   the targets that stay violated, the closest approach and the levers at their bounds.
4. **Pareto front** (cost vs a second metric, default cumulative industry GHG 2020-2050) by the
   epsilon-constraint method on the same machinery: the two ends are the least-cost solution and the
   least-emission solution (both subject to the targets); the points between minimise cost with the
   second metric capped at evenly spaced levels, each warm-started from its neighbour. Why not
   pymoo/NSGA-II: it needs 10^4+ model runs for a front the epsilon-constraint method gets in a few
   hundred, it treats the targets as soft, and it adds a dependency. The knee is the point farthest
   from the line joining the ends in normalised coordinates.

Robust optimisation (``robust:`` in the block)
---------------------------------------------
Minimise the cost of the *nominal* future (the scenario as ``run`` simulates it, every uncertain
parameter at the model's value) subject to ``P(target j met) >= p`` for every target, where P is the
fraction of N futures drawn once, seeded, from the scenario's ``uncertainties:`` block (default:
every uncertain row of the parameter table, uniform over its range) and held fixed during the
search (common random numbers: every candidate meets the same futures, so comparisons between
candidates carry no sampling noise). Each candidate is run for its nominal future plus the N
futures: S candidates x (N + 1) members in ONE engine call per DE generation.

The constraint is written as ``g_j = q_j / scale_j <= 0`` with ``q_j`` the ``k``-th smallest
shortfall of target j over the futures, ``k = ceil(p N)`` (the empirical p-quantile of the gap),
less the met allowance of :meth:`Target.holds`. This is *exactly* ``P_j >= p``: at least k futures
meet the target iff the k-th smallest shortfall is within the allowance. Unlike ``p - P_j``, which
is a step function (flat between futures, so infeasible candidates would all look alike to DE's
feasibility rules and to phase I), ``q_j`` is continuous in the levers and says how far, in the
metric's units, the threshold is from being met in a fraction p of futures. So the phase-I problem
of an infeasible robust problem minimises ``max_j q_j / scale_j``: the smallest uniform relaxation
(normalised) at which every target would reach P(met) = p.

DE only: the SLSQP polish, its KKT marginal costs and the Pareto front (whose points are SLSQP
solves) are skipped. ``q_j`` is piecewise smooth with a kink wherever the future holding the
k-th place changes, and P(met) itself is piecewise constant, so finite-difference gradients and
Lagrange multipliers are not meaningful there: a "marginal cost of tightening" a chance constraint
by one unit of the metric is not defined by one future's derivative.

Lever paths
-----------
A lever with ``knots`` keeps its base path (the scenario's, else the model's default) for times
before ``start``; from ``start`` it runs linearly through ``(start, base(start))`` (when the first knot
is later than ``start``) and the knot values, and is held after the last knot. A lever without knots
is one constant for the whole run (meant for year-type levers such as a phase-out year). Paths are
written as ``{knots: {year: value}}`` breakpoints; sampled on the integration grid they give exactly
the inputs the optimiser used.

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
import re
import sys
import time as _time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from scipy.optimize import NonlinearConstraint, differential_evolution, minimize

from sdmission.analysis.uncertainty import UncertaintySpace
from sdmission.constants import MEMBER, TIME
from sdmission.errors import InputError, ModelError, Problem
from sdmission.model.engines.protocol import Engine
from sdmission.schema.optimise import (
    MethodSpec,
    OptimiseSpec,
    ParetoSpec,
    RobustSpec,
)
from sdmission.study.targets import MET_RTOL, TargetSet

FloatArray = NDArray[np.float64]
Progress = Callable[[str], None]

BINDING_TOL = 1e-4  # normalised slack below which a met target counts as binding
BOUND_TOL = 1e-6  # fraction of the bound range within which a decision sits 'at' a bound
RELAXED = 1e9  # a relax value that drops a target from the constraints (Pareto when infeasible)
FEAS_TOL = 1e-7  # normalised violation accepted as met (well inside targets.MET_RTOL scaled)


# --------------------------------------------------------------------------------------------------
# Model time grid and default lever paths (read from the .mdl text)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """The model's time settings (years)."""

    initial: float
    final: float
    step: float
    saveper: float

    @property
    def times(self) -> FloatArray:
        """Integration grid ``initial + k * step``; shape ``(T,)``."""
        n = int(round((self.final - self.initial) / self.step))
        return self.initial + self.step * np.arange(n + 1)


_CONTROL = {"initial": "INITIAL TIME", "final": "FINAL TIME", "step": "TIME STEP", "saveper": "SAVEPER"}


def _py_name(real: str) -> str:
    return re.sub(r"\s+", "_", real.strip().lower())


def _equations(mdl_text: str) -> dict[str, str]:
    """``{py name: right-hand side}`` for un-subscripted equations of a Vensim model."""
    body = mdl_text.split("\\\\\\---///")[0]
    out: dict[str, str] = {}
    for chunk in body.split("|"):
        eq = chunk.split("~")[0].strip()
        if eq.startswith("{UTF-8}"):
            eq = eq[len("{UTF-8}"):].strip()
        m = re.match(r"^([A-Za-z][\w .]*?)\s*=\s*(.+)$", eq, re.S)
        if m and "[" not in m.group(1):
            out[_py_name(m.group(1))] = m.group(2).replace("\\\n", " ")
    return out


def read_grid(mdl_path: Path | str) -> Grid:
    """The four control variables of a ``.mdl`` (numbers only)."""
    eqs = _equations(Path(mdl_path).read_text(encoding="utf-8"))
    vals: dict[str, float] = {}
    for key, real in _CONTROL.items():
        rhs = eqs.get(_py_name(real), "")
        try:
            vals[key] = float(rhs.strip())
        except ValueError:
            raise ModelError(f"{mdl_path}: {real} must be a number for the optimiser "
                             f"(given '{rhs.strip()}')") from None
    return Grid(**vals)


def model_default_path(mdl_path: Path | str, py_name: str) -> tuple[FloatArray, FloatArray]:
    """Breakpoints ``(years, values)`` of a lever's default: a number or ``WITH LOOKUP(Time, …)``."""
    eqs = _equations(Path(mdl_path).read_text(encoding="utf-8"))
    rhs = eqs.get(py_name)
    if rhs is None:
        raise InputError([Problem(f"'{py_name}' is not a scalar variable of {mdl_path}",
                                  key=f"optimise.levers.{py_name}")])
    try:
        v = float(rhs.strip())
        return np.array([0.0]), np.array([v])
    except ValueError:
        pass
    m = re.match(r"\s*WITH\s+LOOKUP\s*\(\s*Time\s*,\s*\((.*)\)\s*\)\s*$", rhs, re.S | re.I)
    if not m:
        raise InputError([Problem(
            f"lever '{py_name}' must be a number or WITH LOOKUP(Time, …) in the model to be "
            f"optimised (given '{rhs.strip()[:60]}')", key=f"optimise.levers.{py_name}")])
    pts = re.findall(r"\(\s*([-+\d.eE]+)\s*,\s*([-+\d.eE]+)\s*\)", re.sub(r"\[.*?\]", "", m.group(1)))
    return np.array([float(x) for x, _ in pts]), np.array([float(y) for _, y in pts])


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


# --------------------------------------------------------------------------------------------------
# Engines
# --------------------------------------------------------------------------------------------------


def get_engine(mdl_path: Path | str, engine: str = "pysd") -> Engine:
    """The project's engine: ``pysd`` (reference, loops members) or ``batch`` (one call per batch)."""
    if engine == "pysd":
        from sdmission.model.engines.pysd import PysdEngine

        return PysdEngine(mdl_path)
    try:
        from sdmission.model.engines.factory import load_engine  # type: ignore[import-not-found]
    except ImportError as exc:
        raise ModelError(f"engine '{engine}' is not available ({exc}); use 'pysd'") from None
    return load_engine(mdl_path, engine=engine)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------------
# The problem: decisions <-> paths, evaluate, objective and constraints
# --------------------------------------------------------------------------------------------------


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
        vals = self._target_values(base_ds)[0]
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

    def breakpoints(self, x: FloatArray) -> dict[str, tuple[FloatArray, FloatArray] | float]:
        """``{lever: (years, values)}`` breakpoints of one decision vector (constant: a float)."""
        out: dict[str, tuple[FloatArray, FloatArray] | float] = {}
        i = 0
        for p in self.plans:
            k = max(1, len(p.knots))
            v = np.asarray(x[i:i + k], dtype=float)
            i += k
            if not p.knots:
                out[p.name] = float(v[0])
                continue
            xs = [p.base_x, [self.spec.start] if p.anchor is not None else [], np.array(p.knots, float)]
            ys = [p.base_y, [p.anchor] if p.anchor is not None else [], v]
            out[p.name] = (np.concatenate(xs).astype(float), np.concatenate(ys).astype(float))
        return out

    def decode(self, X: FloatArray) -> dict[str, xr.DataArray]:
        """Engine inputs for decision rows ``X`` (S, N): ``(member, time)`` or ``(member,)`` arrays."""
        X = np.atleast_2d(X)
        times = self.grid.times
        rows = [self.breakpoints(x) for x in X]
        out: dict[str, xr.DataArray] = {}
        for p in self.plans:
            if not p.knots:
                out[p.name] = xr.DataArray([float(r[p.name]) for r in rows], dims=[MEMBER])  # type: ignore[arg-type]
            else:
                vals = np.stack([np.interp(times, *r[p.name]) for r in rows])  # type: ignore[misc]
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
        vals = self._target_values(ds)[1:]  # (N, M), nominal dropped
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

    def _target_values(self, ds: xr.Dataset) -> FloatArray:
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
        da = _whole_years(ds[o.metric], lo, hi)
        w = (1.0 + o.discount_rate) ** -(da[TIME].values - by) if o.kind == "npv" else 1.0
        return np.asarray((da * w).sum(TIME).values, dtype=float).reshape(-1)

    def secondary_of(self, ds: xr.Dataset) -> FloatArray:
        """Pareto metric per member (S,), in 'less is better' orientation is NOT applied."""
        p = self.spec.pareto
        if p is None:
            return np.full(ds.sizes.get(MEMBER, 1), np.nan)
        da = _whole_years(ds[p.metric], *p.window)
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
                g = self.violations(self._target_values(ds))
                sec = self.secondary_of(ds)
            else:
                b = self.futures.n + 1
                ds = self.evaluate_futures(rows)
                vals = self._target_values(ds).reshape(len(rows), b, -1)
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


def _whole_years(da: xr.DataArray, lo: float, hi: float) -> xr.DataArray:
    t = da[TIME].values.astype(float)
    keep = (np.abs(t - np.round(t)) < 1e-6) & (t >= lo - 1e-9) & (t <= hi + 1e-9)
    return da.isel({TIME: np.flatnonzero(keep)})


# --------------------------------------------------------------------------------------------------
# Solving
# --------------------------------------------------------------------------------------------------


@dataclass
class Solution:
    """One decision vector with its outcome."""

    x: FloatArray
    cost: float
    g: FloatArray  # normalised violations (M,)
    secondary: float = float("nan")
    tol: float = FEAS_TOL  # 0 for chance constraints, whose g already includes the met allowance

    @property
    def feasible(self) -> bool:
        """Every target met (normalised violation <= tol)."""
        return bool(np.all(self.g <= self.tol))

    @property
    def worst(self) -> float:
        """Largest normalised violation (<= 0 when feasible)."""
        return float(np.max(self.g))


@dataclass
class OptimiseResult:
    """Everything the report needs."""

    feasible: bool
    best: Solution  # least cost if feasible, else the closest approach (smallest worst violation)
    labels: list[str]
    lower: FloatArray
    upper: FloatArray
    history: list[dict[str, float]]  # per DE generation: best cost, worst violation, convergence
    marginal_cost: dict[str, float]  # target id -> objective units per metric unit (binding only)
    binding: list[str]
    at_bounds: list[tuple[str, str]]  # (decision label, 'lower'|'upper')
    seed: int
    n_evals: int
    n_calls: int
    eval_seconds: float
    wall_seconds: float
    messages: list[str] = field(default_factory=list)
    pareto: list[Solution] = field(default_factory=list)
    pareto_roles: dict[str, int] = field(default_factory=dict)  # cheapest / lowest / knee -> index
    pareto_dropped: list[str] = field(default_factory=list)  # targets left out of the front (infeasible)
    # infeasible only: target id -> smallest normalised violation of that target searched on its own
    alone: dict[str, float] = field(default_factory=dict)


def _de(problem: OptimisationProblem, func: Callable[[FloatArray], FloatArray],
        constraint: Callable[[FloatArray], FloatArray] | None, method: MethodSpec, seed: int,
        history: list[dict[str, float]] | None, progress: Progress | None, what: str,
        maxiter: int | None = None) -> FloatArray:
    """Run vectorised DE (population = one engine call); return the best x."""
    gen = [0]

    def cb(intermediate_result: Any) -> None:
        gen[0] += 1
        x = np.asarray(intermediate_result.x, dtype=float)
        out = problem.outcomes(x)
        row = {"generation": gen[0], "best": float(out.cost[0]), "worst_violation": float(out.g[0].max()),
               "convergence": float(getattr(intermediate_result, "convergence", float("nan"))),
               "evals": problem.n_evals}
        if history is not None:
            history.append(row)
        if progress is not None:
            progress(f"{what} gen {gen[0]:3d}: objective {row['best']:.6g}  worst violation "
                     f"{row['worst_violation']:+.3g}  evals {problem.n_evals}")

    cons = ([NonlinearConstraint(constraint, -np.inf, 0.0)] if constraint is not None else [])
    with warnings.catch_warnings():
        # scipy warns when constraints make it use 'deferred' anyway, and about polish=False;
        # neither is actionable here.
        warnings.simplefilter("ignore", UserWarning)
        res = differential_evolution(
            func, list(zip(problem.lower, problem.upper, strict=True)), constraints=cons,
            vectorized=True, updating="deferred", rng=seed, popsize=method.popsize,
            maxiter=maxiter or method.maxiter, tol=method.tol, polish=False, init="latinhypercube",
            callback=cb)
    return np.asarray(res.x, dtype=float)


def _fd(problem: OptimisationProblem, x: FloatArray) -> tuple[Outcome, FloatArray, FloatArray, FloatArray]:
    """Outcome at x plus forward-difference gradients of cost (N,), g (M, N), secondary (N,).

    The N + 1 runs go to the engine in one call.
    """
    span = problem.upper - problem.lower
    h = 1e-7 * np.maximum(span, np.abs(x))
    h = np.where(x + h > problem.upper, -h, h)
    X = np.vstack([x, x + np.diag(h)])
    out = problem.outcomes(X)
    dc = (out.cost[1:] - out.cost[0]) / h
    dg = ((out.g[1:] - out.g[0]) / h[:, None]).T
    ds = (out.secondary[1:] - out.secondary[0]) / h
    return Outcome(out.cost[:1], out.g[:1], out.secondary[:1]), dc, dg, ds


def _slsqp(problem: OptimisationProblem, x0: FloatArray, mode: str, cap: float | None = None,
           maxiter: int = 200, relax: FloatArray | None = None) -> tuple[FloatArray, Any]:
    """Local solve from x0.

    mode 'cost': min cost s.t. g <= 0 (and secondary <= cap if given);
    mode 'secondary': min secondary s.t. g <= 0;
    mode 'phase1': min t s.t. g_j <= t (decision vector extended by t).
    Objectives are scaled to order one; multipliers are returned in scaled units.
    """
    bounds = list(zip(problem.lower, problem.upper, strict=True))
    out0 = problem.outcomes(x0)
    sign = -1.0 if (problem.spec.pareto and problem.spec.pareto.sense == "max") else 1.0
    if mode == "phase1":
        t0 = float(out0.g[0].max())
        z0 = np.append(x0, t0)
        res = minimize(
            lambda z: z[-1], z0, jac=lambda z: np.eye(z.size)[-1], method="SLSQP",
            bounds=[*bounds, (None, None)],
            constraints=[{"type": "ineq", "fun": lambda z: z[-1] - problem.outcomes(z[:-1]).g[0],
                          "jac": lambda z: np.hstack([-_fd(problem, z[:-1])[2], np.ones((len(problem.scale()), 1))])}],
            options={"maxiter": maxiter, "ftol": 1e-12})
        return np.clip(res.x[:-1], problem.lower, problem.upper), res
    fscale = max(abs(float(out0.cost[0] if mode == "cost" else out0.secondary[0])), 1e-9)

    def f(x: FloatArray) -> float:
        o = problem.outcomes(x)
        v = o.cost[0] if mode == "cost" else sign * o.secondary[0]
        return float(v / fscale)

    def jf(x: FloatArray) -> FloatArray:
        _, dc, _, ds = _fd(problem, x)
        return (dc if mode == "cost" else sign * ds) / fscale

    r = np.zeros(len(problem.scale())) if relax is None else relax
    cons: list[dict[str, Any]] = [{"type": "ineq", "fun": lambda x: r - problem.outcomes(x).g[0],
                                   "jac": lambda x: -_fd(problem, x)[2]}]
    if cap is not None:
        sscale = max(abs(cap), 1e-9)
        cons.append({"type": "ineq", "fun": lambda x: (cap - sign * problem.outcomes(x).secondary[0]) / sscale,
                     "jac": lambda x: -sign * _fd(problem, x)[3] / sscale})
    res = minimize(f, x0, jac=jf, method="SLSQP", bounds=bounds, constraints=cons,
                   options={"maxiter": maxiter, "ftol": 1e-12})
    res.fscale = fscale
    return np.clip(res.x, problem.lower, problem.upper), res


def _solution(problem: OptimisationProblem, x: FloatArray) -> Solution:
    o = problem.outcomes(x)
    return Solution(np.asarray(x, dtype=float).copy(), float(o.cost[0]), o.g[0].copy(),
                    float(o.secondary[0]), 0.0 if problem.robust else FEAS_TOL)


def _snap_to_bounds(problem: OptimisationProblem, sol: Solution, *, phase1: bool = False,
                    rel: float = 1e-2) -> Solution:
    """DE approaches a bound only asymptotically; try the decisions within ``rel`` of the bound
    range from a bound set exactly at it (all together, and each alone: one engine call).

    Kept only when better by the feasibility rules (phase I: a smaller worst violation).
    """
    span = problem.upper - problem.lower
    lo = sol.x - problem.lower <= rel * span
    hi = problem.upper - sol.x <= rel * span
    near = np.flatnonzero(lo | hi)
    if near.size == 0:
        return sol
    snapped = np.where(lo, problem.lower, np.where(hi, problem.upper, sol.x))
    rows = [snapped]
    for i in near:
        r = sol.x.copy()
        r[i] = snapped[i]
        rows.append(r)
    problem.outcomes(np.array(rows))  # one call; the solutions below come from the cache
    best = sol
    for r in rows:
        cand = _solution(problem, r)
        best = (cand if cand.worst < best.worst else best) if phase1 else _better(best, cand)
    return best


def _better(a: Solution, b: Solution) -> Solution:
    """Feasibility first, then cost; among infeasible, the smaller worst violation."""
    if a.feasible and b.feasible:
        return a if a.cost <= b.cost else b
    if a.feasible != b.feasible:
        return a if a.feasible else b
    return a if a.worst <= b.worst else b


def solve(problem: OptimisationProblem, *, seed: int | None = None, progress: Progress | None = None,
          pareto: bool = True) -> OptimiseResult:
    """Minimise the objective subject to the targets (see the module docstring for the method)."""
    t_start = _time.perf_counter()
    method = problem.spec.method
    seed = method.seed if seed is None else int(seed)
    history: list[dict[str, float]] = []
    messages: list[str] = []

    def func(X: FloatArray) -> FloatArray:
        return problem.outcomes(np.asarray(X).T).cost

    def con(X: FloatArray) -> FloatArray:
        X = np.asarray(X)
        g = problem.outcomes(X.T if X.ndim == 2 else X).g
        return g.T if X.ndim == 2 else g[0]

    # Robust problems: DE only (see the module docstring); gradients of chance constraints are
    # not meaningful, so no SLSQP polish, no KKT marginal costs, no Pareto front.
    polish = method.polish and not problem.robust
    if problem.robust:
        fut = problem.futures
        assert fut is not None  # noqa: S101 - robust implies futures
        messages.append(f"robust: each target must be met in at least {fut.k} of {fut.n} futures "
                        f"(P(met) >= {fut.p:g}); futures drawn once by {fut.samples.attrs['sampler']} "
                        f"with seed {fut.samples.attrs['seed']} and held fixed")
        messages.append("robust: differential evolution only - no SLSQP polish and no marginal costs "
                        "(chance constraints are step functions of the levers in P(met), kinked in "
                        "the gap quantile, so gradients and KKT multipliers are not meaningful)")
        if pareto and problem.spec.pareto is not None:
            messages.append("robust: Pareto front skipped (its points are SLSQP solves)")
    x = _de(problem, func, con, method, seed, history, progress, "DE")
    best = _solution(problem, x)
    if problem.robust:
        best = _snap_to_bounds(problem, best)
    multipliers: FloatArray | None = None
    fscale = 1.0
    if polish:
        xp, res = _slsqp(problem, x, "cost")
        cand = _solution(problem, xp)
        if progress:
            progress(f"polish: objective {cand.cost:.6g}  worst violation {cand.worst:+.3g} "
                     f"({res.message})")
        chosen = _better(cand, best)
        if chosen is cand:
            best = cand
            mult = getattr(res, "multipliers", None)
            multipliers = None if mult is None else np.asarray(mult, dtype=float)
            fscale = float(res.fscale)
    feasible = best.feasible
    if not feasible:
        messages.append("no path within the bounds met every target; minimising the worst violation")
        if progress:
            progress(messages[-1])

        def worst(X: FloatArray) -> FloatArray:
            return problem.outcomes(np.asarray(X).T).g.max(axis=1)

        x1 = _de(problem, worst, None, method, seed, None, progress, "phase-I")
        cand = _solution(problem, x1)
        if problem.robust:
            cand = _snap_to_bounds(problem, cand, phase1=True)
        if polish:
            xp, _ = _slsqp(problem, x1, "phase1")
            c2 = _solution(problem, xp)
            cand = c2 if c2.worst <= cand.worst else cand
        best = _better(cand, best)
        feasible = best.feasible
        if not feasible and polish:
            # Lexicographic second stage: keep the out-of-reach targets at the smallest worst
            # violation, require every other target, and take the cheapest such path.
            tstar = best.worst
            relax = np.where(best.g >= tstar - 1e-6 * max(1.0, abs(tstar)), tstar * (1 + 1e-9), 0.0)
            xr_, _ = _slsqp(problem, best.x, "cost", relax=relax)
            c3 = _solution(problem, xr_)
            if c3.worst <= tstar * (1 + 1e-6) + FEAS_TOL and np.all(c3.g <= relax + FEAS_TOL):
                best = c3
        if feasible:
            messages.append("phase I found a feasible point the cost search missed; cost not minimised "
                            "from it; rerun with more generations")
    alone: dict[str, float] = {}
    if not feasible:
        # Which unmet targets could be met on their own? One short DE per target on its own
        # violation tells "out of reach with these instruments" apart from "not together".
        for j, t in enumerate(problem.target_set.targets):
            if best.g[j] <= best.tol:
                continue
            xj = _de(problem, lambda X, j=j: problem.outcomes(np.asarray(X).T).g[:, j], None, method,
                     seed, None, progress, f"alone {t.id}", maxiter=max(3, method.maxiter // 4))
            alone[t.id] = float(min(_solution(problem, xj).g[j], best.g[j]))
    scale = problem.scale()
    binding: list[str] = []
    marginal: dict[str, float] = {}
    if feasible:
        for j, t in enumerate(problem.target_set.targets):
            if best.g[j] >= -BINDING_TOL:
                binding.append(t.id)
                if multipliers is not None and multipliers.size >= len(scale):
                    # d cost / d g_j = lambda_j * fscale; g_j = shortfall/scale -> per metric unit
                    marginal[t.id] = float(multipliers[j] * fscale / scale[j])
    span = problem.upper - problem.lower
    at_bounds = [(lab, "lower") for lab, v, lo, s in zip(problem.labels, best.x, problem.lower, span, strict=True)
                 if v - lo <= BOUND_TOL * s]
    at_bounds += [(lab, "upper") for lab, v, hi, s in zip(problem.labels, best.x, problem.upper, span, strict=True)
                  if hi - v <= BOUND_TOL * s]
    result = OptimiseResult(
        feasible=feasible, best=best, labels=list(problem.labels), lower=problem.lower.copy(),
        upper=problem.upper.copy(), history=history, marginal_cost=marginal, binding=binding,
        at_bounds=at_bounds, seed=seed, n_evals=0, n_calls=0, eval_seconds=0.0, wall_seconds=0.0,
        messages=messages, alone=alone)
    if pareto and problem.spec.pareto is not None and not problem.robust:
        if feasible:
            pareto_front(problem, result, seed=seed, progress=progress)
        else:
            # No path meets every target: draw the trade-off without the out-of-reach targets
            # (the reachable ones stay constraints), so an analyst still sees what money buys.
            out_of_reach = best.g > FEAS_TOL
            relax = np.where(out_of_reach, RELAXED, 0.0)
            dropped = [t.id for t, o in zip(problem.target_set.targets, out_of_reach, strict=True) if o]
            result.pareto_dropped = dropped
            messages.append("Pareto front drawn without the out-of-reach target(s) " + ", ".join(dropped))
            pareto_front(problem, result, seed=seed, progress=progress, relax=relax)
    result.n_evals, result.n_calls = problem.n_evals, problem.n_calls
    result.eval_seconds = problem.eval_seconds
    result.wall_seconds = _time.perf_counter() - t_start
    return result


def pareto_front(problem: OptimisationProblem, result: OptimiseResult, *, seed: int,
                 progress: Progress | None = None, relax: FloatArray | None = None) -> None:
    """Fill ``result.pareto`` by the epsilon-constraint method (see the module docstring).

    ``relax`` (one value per target, normalised units) loosens target constraints: ``RELAXED`` drops
    a target. Without it the front starts at ``result.best``; with it, at the cheapest path that
    meets the remaining targets (found by its own DE + SLSQP search).
    """
    spec = problem.spec.pareto
    assert spec is not None  # noqa: S101 - internal invariant, checked by the caller
    sign = -1.0 if spec.sense == "max" else 1.0
    r = np.zeros(len(problem.scale())) if relax is None else np.asarray(relax, dtype=float)
    method = problem.spec.method

    def ok(sol: Solution) -> bool:
        return bool(np.all(sol.g <= r + FEAS_TOL))

    def con(X: FloatArray) -> FloatArray:
        X = np.asarray(X)
        g = problem.outcomes(X.T if X.ndim == 2 else X).g - r
        return g.T if X.ndim == 2 else g[0]

    if relax is None:
        cheapest = result.best
    else:
        def cost(X: FloatArray) -> FloatArray:
            return problem.outcomes(np.asarray(X).T).cost

        x0 = _de(problem, cost, con, method, seed, None, progress, "Pareto cheapest",
                 maxiter=max(1, method.maxiter // 2))
        cheapest = _solution(problem, x0)
        if method.polish:
            xc, _ = _slsqp(problem, x0, "cost", relax=r)
            cand = _solution(problem, xc)
            if ok(cand) and (cand.cost <= cheapest.cost or not ok(cheapest)):
                cheapest = cand

    def func(X: FloatArray) -> FloatArray:
        return sign * problem.outcomes(np.asarray(X).T).secondary

    x = _de(problem, func, con, method, seed, None, progress, "Pareto end",
            maxiter=max(1, method.maxiter // 2))
    if method.polish:
        xp, _ = _slsqp(problem, x, "secondary", relax=r)
        cand = _solution(problem, xp)
        x = xp if ok(cand) and sign * cand.secondary <= sign * _solution(problem, x).secondary else x
    lowest = _solution(problem, x)
    if not ok(lowest) or sign * lowest.secondary > sign * cheapest.secondary:
        lowest = cheapest
    # a cost-minimal point at the lowest secondary level
    xl, _ = _slsqp(problem, lowest.x, "cost", cap=sign * lowest.secondary * (1 + 1e-9) + 1e-12, relax=r)
    cand = _solution(problem, xl)
    if ok(cand) and sign * cand.secondary <= sign * lowest.secondary + 1e-6 * abs(lowest.secondary):
        lowest = cand
    levels = np.linspace(sign * cheapest.secondary, sign * lowest.secondary, spec.points)[1:-1]
    front = [cheapest]
    xw = cheapest.x
    for k, eps in enumerate(levels, 1):
        xk, _ = _slsqp(problem, xw, "cost", cap=float(eps), relax=r)
        s = _solution(problem, xk)
        if ok(s) and sign * s.secondary <= eps + 1e-6 * max(abs(eps), 1.0):
            front.append(s)
            xw = xk
        if progress:
            progress(f"Pareto point {k}/{len(levels)}: cap {sign * eps:.6g} -> cost {s.cost:.6g}")
    front.append(lowest)
    front.sort(key=lambda s: s.cost)
    result.pareto = front
    c = np.array([s.cost for s in front])
    e = np.array([sign * s.secondary for s in front])
    cn = (c - c.min()) / (np.ptp(c) or 1.0)
    en = (e - e.min()) / (np.ptp(e) or 1.0)
    # distance from the line joining the two ends (cheapest: cn=0, en=1; lowest: cn=1, en=0)
    d = np.abs(cn + en - 1.0) / math.sqrt(2.0)
    result.pareto_roles = {"cheapest": 0, "lowest": len(front) - 1, "knee": int(np.argmax(d))}


# --------------------------------------------------------------------------------------------------
# Reporting helpers
# --------------------------------------------------------------------------------------------------


def stderr_progress(msg: str) -> None:
    """Default progress printer (stderr, flushed)."""
    print(msg, file=sys.stderr, flush=True)


def lever_paths(problem: OptimisationProblem, x: FloatArray) -> dict[str, Any]:
    """Scenario-file paths of one decision vector: ``{lever: {"knots": {year: value}}}`` or a number.

    Sampled on the integration grid (linear interpolation, held outside) they reproduce exactly the
    inputs the optimiser evaluated.
    """
    out: dict[str, Any] = {}
    for name, bp in problem.breakpoints(np.asarray(x, dtype=float)).items():
        if isinstance(bp, float):
            out[name] = bp
        else:
            xs, ys = bp
            out[name] = {"knots": {float(a): float(b) for a, b in zip(xs, ys, strict=True)}}
    return out


def report_dict(problem: OptimisationProblem, result: OptimiseResult) -> dict[str, Any]:
    """The optimisation report as plain JSON-able data."""
    best = result.best
    scale = problem.scale()
    ds = problem.evaluate(best.x[None, :])
    values = problem._target_values(ds)[0]  # noqa: SLF001 - same module
    robust = problem.robust_summary(best.x) if problem.robust else None
    targets = []
    for j, t in enumerate(problem.target_set.targets):
        row: dict[str, Any] = {
            "id": t.id, "metric": t.metric, "year": t.year, "sense": t.sense,
            "threshold": t.threshold, "units": t.units, "label": t.label,
            "value": float(values[j]), "met": bool(best.g[j] <= best.tol),
            "gap": max(0.0, float(best.g[j] * scale[j])),
            "binding": t.id in result.binding,
            "marginal_cost": result.marginal_cost.get(t.id),
        }
        if robust is not None:
            r = robust["targets"][j]
            # met = chance constraint; value/nominal_met = the nominal future `run` reproduces
            row.update(met=r["met"], nominal_met=bool(t.holds(values[j])), p_met=r["p_met"],
                       futures_met=r["futures_met"], gap=max(0.0, r["gap_at_p"]),
                       gap_at_p=r["gap_at_p"], gap_quantiles=r["gap_quantiles"])
        targets.append(row)
    o = problem.spec.objective
    decisions = [{"decision": lab, "value": float(v), "lower": float(lo), "upper": float(hi),
                  "at_bound": next((side for l2, side in result.at_bounds if l2 == lab), None)}
                 for lab, v, lo, hi in zip(result.labels, best.x, result.lower, result.upper, strict=True)]
    out: dict[str, Any] = {
        "status": "feasible" if result.feasible else "infeasible",
        "target_set": problem.target_set.name,
        "objective": {"metric": o.metric, "kind": o.kind, "discount_rate": o.discount_rate,
                      "base_year": o.base_year if o.base_year is not None else problem.spec.start,
                      "window": list(o.window or (problem.spec.start, int(problem.grid.final))),
                      "value": best.cost, "units": "MEUR" if o.metric.startswith("public_cost") else ""},
        "targets": targets,
        "unmet_targets": [t["id"] for t in targets if not t["met"]],
        # infeasible: unmet targets that no path within the bounds meets even when sought alone
        "out_of_reach_alone": [i for i, g in result.alone.items() if g > best.tol],
        "reachable_alone": [i for i, g in result.alone.items() if g <= best.tol],
        "worst_normalised_violation": best.worst,
        "decisions": decisions,
        "levers_at_bounds": [{"decision": lab, "bound": side} for lab, side in result.at_bounds],
        "lever_paths": lever_paths(problem, best.x),
        "seed": result.seed,
        "evaluations": result.n_evals, "engine_calls": result.n_calls,
        "engine": getattr(problem.engine, "name", type(problem.engine).__name__),
        "evaluation_seconds": result.eval_seconds, "wall_seconds": result.wall_seconds,
        "evaluations_per_second": result.n_evals / result.eval_seconds if result.eval_seconds else None,
        "messages": list(result.messages),
        "history": result.history,
    }
    if robust is not None:
        out["robust"] = {k: v for k, v in robust.items() if k != "targets"}
        out["robust"]["statement"] = (
            f"P(met) evaluated over {robust['members']} futures ({robust['sampler']}, seed "
            f"{robust['seed']}) drawn once and held fixed; each target must be met in at least "
            f"{robust['k']} of them (p = {robust['p']:g}). Cost and lever paths are those of the "
            "nominal future, which `run` reproduces.")
    if result.pareto and problem.spec.pareto is not None:
        p = problem.spec.pareto
        out["pareto"] = {
            "metric": p.metric, "aggregate": p.aggregate, "window": list(p.window), "sense": p.sense,
            "roles": dict(result.pareto_roles),
            "points": [{"cost": s.cost, "secondary": s.secondary,
                        "decisions": dict(zip(result.labels, map(float, s.x), strict=True))}
                       for s in result.pareto],
        }
    return out


def report_markdown(rep: Mapping[str, Any], scenario: str = "") -> str:
    """Human-readable report (markdown) from :func:`report_dict` output."""
    o = rep["objective"]
    lines = [f"# Optimisation report{(': ' + scenario) if scenario else ''}", ""]
    rb = rep.get("robust")
    chance = (f" with probability at least {rb['p']:g} over {rb['members']} sampled futures (seed "
              f"{rb['seed']})" if rb else "")
    if rep["status"] == "feasible":
        lines += [f"**Feasible.** Least {o['kind'].upper()} of `{o['metric']}` that meets every target "
                  f"of `{rep['target_set']}`{chance}: **{o['value']:,.1f} {o['units']}** (discount rate "
                  f"{o['discount_rate']:.2%}, base year {o['base_year']}, years {o['window'][0]}–"
                  f"{o['window'][1]}).", ""]
    else:
        def ids(xs: Sequence[str]) -> str:
            return ", ".join("`" + t + "`" for t in xs) or "none"

        alone = ""
        if rep.get("out_of_reach_alone") is not None and rep["unmet_targets"]:
            alone = (f" Sought on its own, each of these is still out of reach: "
                     f"{ids(rep['out_of_reach_alone'])}; reachable alone but not together with the "
                     f"others: {ids(rep['reachable_alone'])}.")
        lines += [f"**Infeasible.** No lever paths within the bounds meet every target of "
                  f"`{rep['target_set']}`{chance}. Target(s) not met at the closest approach: "
                  f"{ids(rep['unmet_targets'])}.{alone} The closest approach "
                  f"(smallest worst violation, {rep['worst_normalised_violation']:.3g} of the "
                  f"target's scale) is shown below; cost at that point {o['value']:,.1f} {o['units']}.",
                  "", "Widen the bounds of levers that sit at a bound below, or accept that the "
                  "target is out of reach with these instruments.", ""]
    if rb:
        lines += ["## Robustness", "", rb["statement"], "",
                  "| target | P(met) | required | futures met | gap at p | signed gap 5 / 50 / 95 % |"
                  " met in nominal future |", "|---|---|---|---|---|---|---|"]
        for t in rep["targets"]:
            q = t["gap_quantiles"]
            lines.append(f"| {t['id']} | {t['p_met']:.3f} | {rb['p']:g} | {t['futures_met']}/"
                         f"{rb['members']} | {t['gap_at_p']:.4g} {t['units']} | {q['0.05']:.4g} / "
                         f"{q['0.5']:.4g} / {q['0.95']:.4g} | {'yes' if t['nominal_met'] else 'no'} |")
        cf = rb["cost_over_futures"]
        lines += ["", f"P(every target met) = {rb['p_all_met']:.3f}. Gap = shortfall in the metric's "
                  "units (negative: met with that margin); gap at p = the k-th smallest, the "
                  "relaxation at which P(met) would reach p. Objective in the nominal future "
                  f"{rb['cost_nominal']:,.1f} {o['units']}; over the futures mean {cf['mean']:,.1f}, "
                  f"5–95 % {cf['0.05']:,.1f}–{cf['0.95']:,.1f}.", "",
                  f"Uncertainties ({len(rb['uncertainties'])}): " + "; ".join(rb["uncertainties"][:12])
                  + ("; … (all in report.json)" if len(rb["uncertainties"]) > 12 else ""), ""]
    lines += ["## Targets", "", "| target | condition | value | met | gap | binding | marginal cost |",
              "|---|---|---|---|---|---|---|"]
    for t in rep["targets"]:
        mc = t["marginal_cost"]
        mc_txt = f"{mc:,.4g} {o['units']} per {t['units']}" if mc is not None else "–"
        lines.append(f"| {t['id']} | {t['metric']} {t['sense']} {t['threshold']:g} {t['units']} in "
                     f"{t['year']} | {t['value']:.4g} | {'yes' if t['met'] else '**no**'} | "
                     f"{t['gap']:.4g} | {'yes' if t['binding'] else ''} | {mc_txt} |")
    lines += ["", "Marginal cost = increase of the objective per unit the binding target is tightened "
              "(SLSQP KKT multiplier; for fractions, divide by 100 for one percentage point)."
              + (" Not computed for chance constraints (differential evolution only). Value = the "
                 "nominal future; met = P(met) >= p; gap = the gap at p." if rb else ""), "",
              "## Decisions", "", "| decision | value | bounds | at bound |", "|---|---|---|---|"]
    for d in rep["decisions"]:
        lines.append(f"| {d['decision']} | {d['value']:.6g} | [{d['lower']:g}, {d['upper']:g}] | "
                     f"{d['at_bound'] or ''} |")
    if "pareto" in rep:
        p = rep["pareto"]
        lines += ["", f"## Trade-off: objective vs {p['aggregate']} of `{p['metric']}` "
                  f"{p['window'][0]}–{p['window'][1]}", "", "| point | objective | second metric |",
                  "|---|---|---|"]
        roles = {v: k for k, v in p["roles"].items()}
        for i, pt in enumerate(p["points"]):
            lines.append(f"| {i}{' (' + roles[i] + ')' if i in roles else ''} | {pt['cost']:,.1f} | "
                         f"{pt['secondary']:.5g} |")
    lines += ["", "## Run", "", f"seed {rep['seed']}, engine {rep['engine']}, {rep['evaluations']} model "
              f"evaluations in {rep['engine_calls']} engine calls, {rep['wall_seconds']:.1f} s wall."]
    lines += [f"- {m}" for m in rep["messages"]]
    return "\n".join(lines) + "\n"


def plot_convergence(result: OptimiseResult) -> Any:
    """Figure: best objective and its worst normalised violation per DE generation."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot(111)
    gens = [h["generation"] for h in result.history]
    ax.plot(gens, [h["best"] for h in result.history], marker="o", ms=3, label="best objective")
    ax.set_xlabel("DE generation")
    ax.set_ylabel("objective (MEUR)")
    ax2 = ax.twinx()
    ax2.plot(gens, [max(h["worst_violation"], 0.0) for h in result.history], color="tab:red",
             ls="--", label="worst violation (normalised)")
    ax2.set_ylabel("worst target violation (normalised, 0 = met)")
    ax.set_title("Convergence of the least-cost search", loc="left")
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles, [str(h.get_label()) for h in handles], loc="upper center",
              bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def plot_pareto(result: OptimiseResult, spec: ParetoSpec) -> Any:
    """Figure: the trade-off front with its cheapest, lowest and knee points named."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 5))
    ax = fig.add_subplot(111)
    c = [s.cost for s in result.pareto]
    e = [s.secondary for s in result.pareto]
    ax.plot(e, c, marker="o", color="tab:blue")
    for role, i in result.pareto_roles.items():
        ax.annotate(role, (e[i], c[i]), textcoords="offset points", xytext=(6, 6))
        ax.plot([e[i]], [c[i]], marker="s", color="tab:orange")
    ax.set_xlabel(f"{spec.aggregate} of {spec.metric}, {spec.window[0]}–{spec.window[1]}")
    ax.set_ylabel("objective (MEUR)")
    import textwrap

    met = ("all targets met" if not result.pareto_dropped
           else "out-of-reach targets left out: " + ", ".join(result.pareto_dropped))
    ax.set_title("\n".join([f"Trade-off: public cost vs {spec.metric}", *textwrap.wrap(f"({met})", 80)]),
                 loc="left", fontsize=9)
    fig.tight_layout()
    return fig


def _register_block() -> None:
    """Make ``optimise:`` a valid top-level block of scenario files."""
    try:
        from sdmission.schema import scenario as schema
    except ImportError:
        return
    if "optimise" not in schema.registered_blocks():
        schema.register_block("optimise", OptimiseSpec)


_register_block()
