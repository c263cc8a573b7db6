"""Least-cost lever paths that meet a target set, or the closest approach when none does.

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
4. **Pareto front**: see :mod:`sdmission.analysis.optimise.pareto`.

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
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable

import numpy as np

from sdmission.analysis.optimise.pareto import pareto_for
from sdmission.analysis.optimise.problem import FloatArray, OptimisationProblem, Progress
from sdmission.analysis.optimise.search import (
    BINDING_TOL,
    BOUND_TOL,
    FEAS_TOL,
    OptimiseResult,
    Solution,
    better,
    de,
    slsqp,
    snap_to_bounds,
    solution_at,
)
from sdmission.schema.optimise import MethodSpec


def solve(problem: OptimisationProblem, *, seed: int | None = None, progress: Progress | None = None,
          pareto: bool = True) -> OptimiseResult:
    """Minimise the objective subject to the targets (see the module docstring for the method)."""
    t_start = _time.perf_counter()
    method = problem.spec.method
    seed = method.seed if seed is None else int(seed)
    history: list[dict[str, float]] = []
    # Robust problems: DE only (see the module docstring); gradients of chance constraints are
    # not meaningful, so no SLSQP polish, no KKT marginal costs, no Pareto front.
    polish = method.polish and not problem.robust
    messages = _robust_messages(problem, pareto)
    # 1-2. Least cost subject to the targets: DE, then the SLSQP polish.
    best, multipliers, fscale = _least_cost(problem, method, seed, history, progress, polish)
    feasible = best.feasible
    alone: dict[str, float] = {}
    if not feasible:
        # 3. Phase I: the closest approach, and which unmet targets are reachable on their own.
        best, feasible = _phase_one(problem, best, method, seed, progress, polish, messages)
    if not feasible:
        alone = _alone(problem, best, method, seed, progress)
    binding, marginal = _binding(problem, best, multipliers, fscale) if feasible else ([], {})
    result = OptimiseResult(
        feasible=feasible, best=best, labels=list(problem.labels), lower=problem.lower.copy(),
        upper=problem.upper.copy(), history=history, marginal_cost=marginal, binding=binding,
        at_bounds=_at_bounds(problem, best.x), seed=seed, n_evals=0, n_calls=0, eval_seconds=0.0,
        wall_seconds=0.0, messages=messages, alone=alone)
    # 4. The trade-off front (not for chance constraints).
    if pareto and problem.spec.pareto is not None and not problem.robust:
        pareto_for(problem, result, seed=seed, progress=progress)
    result.n_evals, result.n_calls = problem.n_evals, problem.n_calls
    result.eval_seconds = problem.eval_seconds
    result.wall_seconds = _time.perf_counter() - t_start
    return result


def _robust_messages(problem: OptimisationProblem, pareto: bool) -> list[str]:
    """What a robust search does and skips (nothing for a one-future problem)."""
    fut = problem.futures
    if fut is None:
        return []
    messages = [
        f"robust: each target must be met in at least {fut.k} of {fut.n} futures "
        f"(P(met) >= {fut.p:g}); futures drawn once by {fut.samples.attrs['sampler']} "
        f"with seed {fut.samples.attrs['seed']} and held fixed",
        "robust: differential evolution only - no SLSQP polish and no marginal costs "
        "(chance constraints are step functions of the levers in P(met), kinked in "
        "the gap quantile, so gradients and KKT multipliers are not meaningful)"]
    if pareto and problem.spec.pareto is not None:
        messages.append("robust: Pareto front skipped (its points are SLSQP solves)")
    return messages


def _least_cost(problem: OptimisationProblem, method: MethodSpec, seed: int,
                history: list[dict[str, float]], progress: Progress | None, polish: bool
                ) -> tuple[Solution, FloatArray | None, float]:
    """DE on the cost with the targets as constraints, then the SLSQP polish.

    Returns the better solution, and the polish's KKT multipliers with their objective scale when
    the polished point was kept (else ``None`` and 1).
    """

    def func(X: FloatArray) -> FloatArray:
        return problem.outcomes(np.asarray(X).T).cost

    def con(X: FloatArray) -> FloatArray:
        X = np.asarray(X)
        g = problem.outcomes(X.T if X.ndim == 2 else X).g
        return g.T if X.ndim == 2 else g[0]

    x = de(problem, func, con, method, seed, history, progress, "DE")
    best = solution_at(problem, x)
    if problem.robust:
        best = snap_to_bounds(problem, best)
    if not polish:
        return best, None, 1.0
    xp, res = slsqp(problem, x, "cost")
    cand = solution_at(problem, xp)
    if progress:
        progress(f"polish: objective {cand.cost:.6g}  worst violation {cand.worst:+.3g} "
                 f"({res.message})")
    if better(cand, best) is not cand:
        return best, None, 1.0
    mult = getattr(res, "multipliers", None)
    return cand, None if mult is None else np.asarray(mult, dtype=float), float(res.fscale)


def _phase_one(problem: OptimisationProblem, best: Solution, method: MethodSpec, seed: int,
               progress: Progress | None, polish: bool, messages: list[str]) -> tuple[Solution, bool]:
    """Minimise the worst normalised violation from an infeasible ``best``.

    Returns the new best and whether it is feasible (decided before the lexicographic second
    stage, which keeps the out-of-reach targets at the smallest worst violation).
    """
    messages.append("no path within the bounds met every target; minimising the worst violation")
    if progress:
        progress(messages[-1])

    def worst(X: FloatArray) -> FloatArray:
        return problem.outcomes(np.asarray(X).T).g.max(axis=1)

    x1 = de(problem, worst, None, method, seed, None, progress, "phase-I")
    cand = solution_at(problem, x1)
    if problem.robust:
        cand = snap_to_bounds(problem, cand, phase1=True)
    if polish:
        xp, _ = slsqp(problem, x1, "phase1")
        c2 = solution_at(problem, xp)
        cand = c2 if c2.worst <= cand.worst else cand
    best = better(cand, best)
    feasible = best.feasible
    if not feasible and polish:
        best = _cheapest_closest(problem, best)
    if feasible:
        messages.append("phase I found a feasible point the cost search missed; cost not minimised "
                        "from it; rerun with more generations")
    return best, feasible


def _cheapest_closest(problem: OptimisationProblem, best: Solution) -> Solution:
    """Lexicographic second stage: keep the out-of-reach targets at the smallest worst
    violation, require every other target, and take the cheapest such path."""
    tstar = best.worst
    relax = np.where(best.g >= tstar - 1e-6 * max(1.0, abs(tstar)), tstar * (1 + 1e-9), 0.0)
    xr_, _ = slsqp(problem, best.x, "cost", relax=relax)
    c3 = solution_at(problem, xr_)
    if c3.worst <= tstar * (1 + 1e-6) + FEAS_TOL and np.all(c3.g <= relax + FEAS_TOL):
        return c3
    return best


def _alone(problem: OptimisationProblem, best: Solution, method: MethodSpec, seed: int,
           progress: Progress | None) -> dict[str, float]:
    """Which unmet targets could be met on their own? One short DE per target on its own
    violation tells "out of reach with these instruments" apart from "not together"."""
    alone: dict[str, float] = {}
    for j, t in enumerate(problem.target_set.targets):
        if best.g[j] <= best.tol:
            continue
        xj = de(problem, _violation_of(problem, j), None, method, seed, None, progress,
                f"alone {t.id}", maxiter=max(3, method.maxiter // 4))
        alone[t.id] = float(min(solution_at(problem, xj).g[j], best.g[j]))
    return alone


def _violation_of(problem: OptimisationProblem, j: int) -> Callable[[FloatArray], FloatArray]:
    """DE objective: target j's normalised violation of each population member."""

    def violation(X: FloatArray) -> FloatArray:
        return problem.outcomes(np.asarray(X).T).g[:, j]

    return violation


def _binding(problem: OptimisationProblem, best: Solution, multipliers: FloatArray | None,
             fscale: float) -> tuple[list[str], dict[str, float]]:
    """Binding targets of a feasible solution and their marginal cost (objective units per metric
    unit, from the polish's KKT multipliers)."""
    scale = problem.scale()
    binding: list[str] = []
    marginal: dict[str, float] = {}
    for j, t in enumerate(problem.target_set.targets):
        if best.g[j] >= -BINDING_TOL:
            binding.append(t.id)
            if multipliers is not None and multipliers.size >= len(scale):
                # d cost / d g_j = lambda_j * fscale; g_j = shortfall/scale -> per metric unit
                marginal[t.id] = float(multipliers[j] * fscale / scale[j])
    return binding, marginal


def _at_bounds(problem: OptimisationProblem, x: FloatArray) -> list[tuple[str, str]]:
    """``(decision label, 'lower'|'upper')`` for every decision at a bound."""
    span = problem.upper - problem.lower
    at = [(lab, "lower") for lab, v, lo, s in zip(problem.labels, x, problem.lower, span, strict=True)
          if v - lo <= BOUND_TOL * s]
    at += [(lab, "upper") for lab, v, hi, s in zip(problem.labels, x, problem.upper, span, strict=True)
           if hi - v <= BOUND_TOL * s]
    return at
