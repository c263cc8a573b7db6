"""Least-cost lever paths that meet a target set, or the closest approach when none does.

The optimiser sees the model only through ``engine.run`` (one call per population) and an
objective with a sense; it is kept apart from the model, the scenario files and the figures.

=====================  =========================================================================
module                 what it holds
=====================  =========================================================================
``problem``            :class:`Grid`, :class:`LeverPlan`, :class:`Futures`, :class:`Outcome`,
                       :class:`OptimisationProblem` (decisions <-> paths, objective, constraints)
``build``              :func:`build_problem` and :func:`scenario_futures`: from a loaded scenario
``search``             the DE and SLSQP searches, :class:`Solution`, :class:`OptimiseResult`
``solve``              :func:`solve`: DE, polish, phase I, targets reachable alone
``pareto``             :func:`pareto_front`: the epsilon-constraint trade-off front
``report``             :func:`report_dict`, :func:`report_markdown`, :func:`lever_paths`
``grid``               time grid and default lever paths read from the ``.mdl`` text
=====================  =========================================================================

The ``optimise:`` block's schema lives in :mod:`sdmission.schema.optimise`; the figures
(convergence, Pareto front) in :mod:`sdmission.report.optimise`.
"""

from __future__ import annotations

from sdmission.analysis.optimise.build import build_problem, scenario_futures
from sdmission.analysis.optimise.pareto import pareto_front
from sdmission.analysis.optimise.problem import (
    FloatArray,
    Futures,
    Grid,
    LeverPlan,
    OptimisationProblem,
    Outcome,
    Progress,
    draw_futures,
)
from sdmission.analysis.optimise.report import lever_paths, report_dict, report_markdown, stderr_progress
from sdmission.analysis.optimise.search import (
    BINDING_TOL,
    BOUND_TOL,
    FEAS_TOL,
    RELAXED,
    OptimiseResult,
    Solution,
)
from sdmission.analysis.optimise.solve import solve
from sdmission.model.source import default_path as model_default_path
from sdmission.model.source import read_grid
from sdmission.schema.optimise import (
    LeverSearch,
    MethodSpec,
    ObjectiveSpec,
    OptimiseSpec,
    ParetoSpec,
    RobustSpec,
)

__all__ = [
    "BINDING_TOL", "BOUND_TOL", "FEAS_TOL", "RELAXED", "FloatArray", "Futures", "Grid", "LeverPlan",
    "LeverSearch", "MethodSpec", "ObjectiveSpec", "OptimisationProblem", "OptimiseResult",
    "OptimiseSpec", "Outcome", "ParetoSpec", "Progress", "RobustSpec", "Solution", "build_problem",
    "draw_futures", "lever_paths", "model_default_path", "pareto_front", "read_grid",
    "report_dict", "report_markdown", "scenario_futures", "solve", "stderr_progress",
]
