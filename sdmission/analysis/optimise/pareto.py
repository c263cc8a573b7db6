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
from dataclasses import dataclass

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
from sdmission.schema.optimise import MethodSpec


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
    search = _Front(problem, r, sign, problem.spec.method, seed, progress)
    # 1. The two ends: least cost, and least second metric (then least cost at that level).
    cheapest = result.best if relax is None else search.cheapest()
    lowest = search.lowest(cheapest)
    # 2. The points between: least cost with the second metric capped at evenly spaced levels.
    front = [cheapest, *search.between(cheapest, lowest, spec.points), lowest]
    front.sort(key=lambda s: s.cost)
    result.pareto = front
    result.pareto_roles = _roles(front, sign)


@dataclass(frozen=True)
class _Front:
    """The searches of one front: target constraints loosened by ``relax``; ``sign`` -1 when more
    of the second metric is better."""

    problem: OptimisationProblem
    relax: FloatArray
    sign: float
    method: MethodSpec
    seed: int
    progress: Progress | None

    def ok(self, sol: Solution) -> bool:
        """Meets the (loosened) targets."""
        return bool(np.all(sol.g <= self.relax + FEAS_TOL))

    def con(self, X: FloatArray) -> FloatArray:
        """DE constraint: loosened violations of a population (columns) or one vector."""
        X = np.asarray(X)
        g = self.problem.outcomes(X.T if X.ndim == 2 else X).g - self.relax
        return g.T if X.ndim == 2 else g[0]

    def cheapest(self) -> Solution:
        """The cheapest path that meets the loosened targets (DE, then the SLSQP polish)."""
        problem, method = self.problem, self.method

        def cost(X: FloatArray) -> FloatArray:
            return problem.outcomes(np.asarray(X).T).cost

        x0 = de(problem, cost, self.con, method, self.seed, None, self.progress, "Pareto cheapest",
                maxiter=max(1, method.maxiter // 2))
        cheapest = solution_at(problem, x0)
        if method.polish:
            xc, _ = slsqp(problem, x0, "cost", relax=self.relax)
            cand = solution_at(problem, xc)
            if self.ok(cand) and (cand.cost <= cheapest.cost or not self.ok(cheapest)):
                cheapest = cand
        return cheapest

    def lowest(self, cheapest: Solution) -> Solution:
        """The other end: least second metric (DE, polish), then the cheapest path at that level;
        ``cheapest`` when nothing better meets the targets."""
        problem, method, sign, r = self.problem, self.method, self.sign, self.relax

        def func(X: FloatArray) -> FloatArray:
            return sign * problem.outcomes(np.asarray(X).T).secondary

        x = de(problem, func, self.con, method, self.seed, None, self.progress, "Pareto end",
               maxiter=max(1, method.maxiter // 2))
        if method.polish:
            xp, _ = slsqp(problem, x, "secondary", relax=r)
            cand = solution_at(problem, xp)
            x = xp if self.ok(cand) and sign * cand.secondary <= sign * solution_at(problem, x).secondary else x
        lowest = solution_at(problem, x)
        if not self.ok(lowest) or sign * lowest.secondary > sign * cheapest.secondary:
            lowest = cheapest
        # a cost-minimal point at the lowest secondary level
        xl, _ = slsqp(problem, lowest.x, "cost", cap=sign * lowest.secondary * (1 + 1e-9) + 1e-12, relax=r)
        cand = solution_at(problem, xl)
        if self.ok(cand) and sign * cand.secondary <= sign * lowest.secondary + 1e-6 * abs(lowest.secondary):
            lowest = cand
        return lowest

    def between(self, cheapest: Solution, lowest: Solution, points: int) -> list[Solution]:
        """Least cost with the second metric capped at ``points - 2`` evenly spaced levels between
        the ends, each solve warm-started from the last point kept."""
        sign = self.sign
        levels = np.linspace(sign * cheapest.secondary, sign * lowest.secondary, points)[1:-1]
        front: list[Solution] = []
        xw = cheapest.x
        for k, eps in enumerate(levels, 1):
            xk, _ = slsqp(self.problem, xw, "cost", cap=float(eps), relax=self.relax)
            s = solution_at(self.problem, xk)
            if self.ok(s) and sign * s.secondary <= eps + 1e-6 * max(abs(eps), 1.0):
                front.append(s)
                xw = xk
            if self.progress:
                self.progress(f"Pareto point {k}/{len(levels)}: cap {sign * eps:.6g} -> cost {s.cost:.6g}")
        return front


def _roles(front: list[Solution], sign: float) -> dict[str, int]:
    """Indices of the cheapest and lowest ends and of the knee: the point farthest from the line
    joining the ends in normalised coordinates."""
    c = np.array([s.cost for s in front])
    e = np.array([sign * s.secondary for s in front])
    cn = (c - c.min()) / (np.ptp(c) or 1.0)
    en = (e - e.min()) / (np.ptp(e) or 1.0)
    # distance from the line joining the two ends (cheapest: cn=0, en=1; lowest: cn=1, en=0)
    d = np.abs(cn + en - 1.0) / math.sqrt(2.0)
    return {"cheapest": 0, "lowest": len(front) - 1, "knee": int(np.argmax(d))}
