"""The two searches the solver is built from, and what they return.

* :func:`de`: vectorised differential evolution (``vectorized=True``, ``updating='deferred'``): a
  whole population is ONE engine call; targets as a ``NonlinearConstraint`` ``g <= 0`` (scipy
  applies Lampinen's feasibility rules, so no penalty weight is needed).
* :func:`slsqp`: SLSQP from a point, with forward-difference gradients whose ``N + 1`` runs go to the
  engine as one batch (:func:`fd`); modes ``cost``, ``secondary`` and ``phase1`` (epigraph form of
  ``min max_j g_j``).
* :class:`Solution` (one decision vector with its outcome), :func:`better` (feasibility first, then
  cost), :func:`snap_to_bounds` and :class:`OptimiseResult` (everything the report needs).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import NonlinearConstraint, differential_evolution, minimize

from sdmission.analysis.optimise.problem import FloatArray, OptimisationProblem, Outcome, Progress
from sdmission.schema.optimise import MethodSpec

BINDING_TOL = 1e-4  # normalised slack below which a met target counts as binding
BOUND_TOL = 1e-6  # fraction of the bound range within which a decision sits 'at' a bound
RELAXED = 1e9  # a relax value that drops a target from the constraints (Pareto when infeasible)
FEAS_TOL = 1e-7  # normalised violation accepted as met (well inside targets.MET_RTOL scaled)


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


def de(problem: OptimisationProblem, func: Callable[[FloatArray], FloatArray],
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


def fd(problem: OptimisationProblem, x: FloatArray) -> tuple[Outcome, FloatArray, FloatArray, FloatArray]:
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


def slsqp(problem: OptimisationProblem, x0: FloatArray, mode: str, cap: float | None = None,
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
                          "jac": lambda z: np.hstack([-fd(problem, z[:-1])[2], np.ones((len(problem.scale()), 1))])}],
            options={"maxiter": maxiter, "ftol": 1e-12})
        return np.clip(res.x[:-1], problem.lower, problem.upper), res
    fscale = max(abs(float(out0.cost[0] if mode == "cost" else out0.secondary[0])), 1e-9)

    def f(x: FloatArray) -> float:
        o = problem.outcomes(x)
        v = o.cost[0] if mode == "cost" else sign * o.secondary[0]
        return float(v / fscale)

    def jf(x: FloatArray) -> FloatArray:
        _, dc, _, ds = fd(problem, x)
        return (dc if mode == "cost" else sign * ds) / fscale

    r = np.zeros(len(problem.scale())) if relax is None else relax
    cons: list[dict[str, Any]] = [{"type": "ineq", "fun": lambda x: r - problem.outcomes(x).g[0],
                                   "jac": lambda x: -fd(problem, x)[2]}]
    if cap is not None:
        sscale = max(abs(cap), 1e-9)
        cons.append({"type": "ineq", "fun": lambda x: (cap - sign * problem.outcomes(x).secondary[0]) / sscale,
                     "jac": lambda x: -sign * fd(problem, x)[3] / sscale})
    res = minimize(f, x0, jac=jf, method="SLSQP", bounds=bounds, constraints=cons,
                   options={"maxiter": maxiter, "ftol": 1e-12})
    res.fscale = fscale
    return np.clip(res.x, problem.lower, problem.upper), res


def solution_at(problem: OptimisationProblem, x: FloatArray) -> Solution:
    o = problem.outcomes(x)
    return Solution(np.asarray(x, dtype=float).copy(), float(o.cost[0]), o.g[0].copy(),
                    float(o.secondary[0]), 0.0 if problem.robust else FEAS_TOL)


def snap_to_bounds(problem: OptimisationProblem, sol: Solution, *, phase1: bool = False,
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
        cand = solution_at(problem, r)
        best = (cand if cand.worst < best.worst else best) if phase1 else better(best, cand)
    return best


def better(a: Solution, b: Solution) -> Solution:
    """Feasibility first, then cost; among infeasible, the smaller worst violation."""
    if a.feasible and b.feasible:
        return a if a.cost <= b.cost else b
    if a.feasible != b.feasible:
        return a if a.feasible else b
    return a if a.worst <= b.worst else b

