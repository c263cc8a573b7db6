"""The trade-off front: cost against a second metric, subject to the targets.

Epsilon-constraint method on the solver's machinery (cost vs a second metric, default cumulative
industry GHG 2020-2050): the two ends are the least-cost solution and the least-emission solution
(both subject to the targets); the points between minimise cost with the second metric capped at
evenly spaced levels, each warm-started from its neighbour. Why not pymoo/NSGA-II: it needs 10^4+
model runs for a front the epsilon-constraint method gets in a few hundred, it treats the targets as
soft, and it adds a dependency. The knee is the point farthest from the line joining the ends in
normalised coordinates.
"""

from __future__ import annotations

import math

import numpy as np

from sdmission.analysis.optimise.problem import FloatArray, OptimisationProblem, Progress
from sdmission.analysis.optimise.search import (
    FEAS_TOL,
    RELAXED,
    OptimiseResult,
    Solution,
    de,
    slsqp,
    solution_at,
)


def pareto_for(problem: OptimisationProblem, result: OptimiseResult, *, seed: int,
               progress: Progress | None = None) -> None:
    """Fill ``result.pareto`` for a solved problem (which must have a ``pareto:`` block).

    Feasible: the front starts at ``result.best``. Infeasible: no path meets every target, so the
    trade-off is drawn without the out-of-reach targets (the reachable ones stay constraints), so an
    analyst still sees what money buys; ``result.pareto_dropped`` names the targets left out.
    """
    if result.feasible:
        pareto_front(problem, result, seed=seed, progress=progress)
        return
    out_of_reach = result.best.g > FEAS_TOL
    relax = np.where(out_of_reach, RELAXED, 0.0)
    dropped = [t.id for t, o in zip(problem.target_set.targets, out_of_reach, strict=True) if o]
    result.pareto_dropped = dropped
    result.messages.append("Pareto front drawn without the out-of-reach target(s) " + ", ".join(dropped))
    pareto_front(problem, result, seed=seed, progress=progress, relax=relax)


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

        x0 = de(problem, cost, con, method, seed, None, progress, "Pareto cheapest",
                 maxiter=max(1, method.maxiter // 2))
        cheapest = solution_at(problem, x0)
        if method.polish:
            xc, _ = slsqp(problem, x0, "cost", relax=r)
            cand = solution_at(problem, xc)
            if ok(cand) and (cand.cost <= cheapest.cost or not ok(cheapest)):
                cheapest = cand

    def func(X: FloatArray) -> FloatArray:
        return sign * problem.outcomes(np.asarray(X).T).secondary

    x = de(problem, func, con, method, seed, None, progress, "Pareto end",
            maxiter=max(1, method.maxiter // 2))
    if method.polish:
        xp, _ = slsqp(problem, x, "secondary", relax=r)
        cand = solution_at(problem, xp)
        x = xp if ok(cand) and sign * cand.secondary <= sign * solution_at(problem, x).secondary else x
    lowest = solution_at(problem, x)
    if not ok(lowest) or sign * lowest.secondary > sign * cheapest.secondary:
        lowest = cheapest
    # a cost-minimal point at the lowest secondary level
    xl, _ = slsqp(problem, lowest.x, "cost", cap=sign * lowest.secondary * (1 + 1e-9) + 1e-12, relax=r)
    cand = solution_at(problem, xl)
    if ok(cand) and sign * cand.secondary <= sign * lowest.secondary + 1e-6 * abs(lowest.secondary):
        lowest = cand
    levels = np.linspace(sign * cheapest.secondary, sign * lowest.secondary, spec.points)[1:-1]
    front = [cheapest]
    xw = cheapest.x
    for k, eps in enumerate(levels, 1):
        xk, _ = slsqp(problem, xw, "cost", cap=float(eps), relax=r)
        s = solution_at(problem, xk)
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

