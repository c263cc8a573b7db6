"""From a loaded scenario to its optimisation problem: the one construction every caller uses.

``python -m sdmission optimise`` validates the scenario and its ``optimise:`` block, then calls
:func:`scenario_futures` (robust blocks) and :func:`build_problem`; tests and benchmarks call the
same two functions.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from sdmission.analysis.optimise.problem import FloatArray, Futures, Grid, OptimisationProblem, draw_futures
from sdmission.model.catalogue import Catalogue
from sdmission.model.engines.protocol import Engine
from sdmission.model.source import default_path
from sdmission.scenario.check import scenario_inputs
from sdmission.scenario.load import Scenario
from sdmission.schema import scenario as schema
from sdmission.schema.optimise import OptimiseSpec, RobustSpec
from sdmission.study.targets import TargetSet


def scenario_futures(scn: Scenario, robust: RobustSpec) -> Futures:
    """The robust search's futures: the scenario's uncertainties (default: all), sampled once."""
    from sdmission.study.case import uncertainty_space

    return draw_futures(robust, uncertainty_space(scn))


def build_problem(scn: Scenario, spec: OptimiseSpec, catalogue: Catalogue, engine: Engine,
                  target_set: TargetSet, futures: Futures | None = None) -> OptimisationProblem:
    """The problem of a scenario whose ``optimise:`` block ``spec`` has been checked.

    The grid is the model's integration grid up to the scenario's final time; every searched
    lever's base path is the scenario's (else the model's default); the scenario's other levers and
    assumptions are held fixed. Runs the base case once (the targets' normalisation).
    """
    grid_t = catalogue.time_grid(scn.final_time)
    tm = catalogue.time
    grid = Grid(tm["initial_time"], float(grid_t[-1]), tm["time_step"], tm.get("saveper", 1.0))
    fixed = scenario_inputs(scn, catalogue)
    base: dict[str, FloatArray] = {}
    for name in spec.levers:
        fixed.pop(name, None)
        path = scn.levers.get(name)
        if path is not None:
            # searched levers are scalar (checked by the caller), so their path is a single path
            base[name] = schema.sample(cast(schema.SinglePath, path), grid.times)
        else:
            base[name] = np.interp(grid.times, *default_path(scn.model_path, name, key=f"optimise.levers.{name}"))
    return OptimisationProblem(engine, grid, spec, target_set, base, fixed, futures)
