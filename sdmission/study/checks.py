"""Checks of a scenario's analysis blocks against its model, before any work (issue #13).

``check_optimise`` is what ``optimise`` runs through ``prepare(checks=…)`` and what ``validate``
runs on every file with an ``optimise:`` block: searched levers and bounds within the model's
limits, start, knots and windows within the run, the robust futures, and the size of a robust
search (memory of one generation and time of the whole search, :func:`sdmission.limits.check_robust`).
Every problem is returned at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sdmission.errors import InputError, Problem
from sdmission.messages import did_you_mean
from sdmission.model.catalogue import Catalogue
from sdmission.scenario.load import Scenario

if TYPE_CHECKING:
    from sdmission.analysis import optimise as opt

__all__ = ["check_optimise", "opt_futures"]


def _spec(scn: Scenario) -> opt.OptimiseSpec | None:
    from sdmission.analysis import optimise as opt

    spec = scn.blocks.get("optimise")
    return spec if isinstance(spec, opt.OptimiseSpec) else None


def _lever_problems(scn: Scenario, catalogue: Catalogue, spec: opt.OptimiseSpec) -> list[Problem]:
    """Each searched lever must be a scalar lever of the model, its bounds within its limits."""
    problems: list[Problem] = []
    for name in spec.levers:
        file, line = scn.where("optimise", "levers", name)
        var = catalogue.get(name)
        key = f"optimise.levers.{name}"
        if var is None or var.kind != "lever":
            levers = [v.py_name for v in catalogue.values() if v.kind == "lever"]
            close = did_you_mean(name, levers)
            hint = f" (did you mean '{close}'?)" if close else ""
            problems.append(Problem(f"'{name}' is not a lever of the model; allowed: "
                                    f"{', '.join(levers)}{hint}",
                                    file=file, line=line, key=key))
        elif var.dims:
            problems.append(Problem(f"lever '{name}' is subscripted by {var.dims}; the optimiser "
                                    "searches scalar levers only", file=file, line=line, key=key))
        else:
            problems += [Problem(f"bounds [{lo:g}, {hi:g}] leave the model's limits "
                                 f"{var.limits_text()} {var.units}", file=file, line=line,
                                 key=f"{key}.bounds")
                         for lo, hi in spec.levers[name].pairs()
                         if not (var.within_limits(lo) and var.within_limits(hi))]
    return problems


def _block(scn: Scenario) -> opt.OptimiseSpec:
    spec = _spec(scn)
    if spec is None:
        raise InputError([Problem("the scenario has no 'optimise:' block; add one with start, "
                                  "levers (knots, bounds) and objective (discount_rate)",
                                  file=scn.file, key="optimise")])
    return spec


def opt_futures(scn: Scenario, spec: opt.OptimiseSpec) -> opt.Futures | None:
    """The robust search's futures (None without ``robust:``): the scenario's uncertainties, drawn once."""
    from sdmission.analysis import optimise as opt

    return None if spec.robust is None else opt.scenario_futures(scn, spec.robust)


def check_optimise(scn: Scenario, catalogue: Catalogue) -> list[Problem]:
    """Problems of the ``optimise:`` block against the model (for ``prepare(checks=…)``)."""
    try:
        spec = _block(scn)
    except InputError as exc:
        return list(exc.problems)
    problems: list[Problem] = []
    if spec.robust is not None:
        problems += _robust_size(scn, catalogue, spec)  # before drawing any future
        try:
            opt_futures(scn, spec)
        except InputError as exc:
            problems += exc.problems
    return problems + _lever_problems(scn, catalogue, spec) + _horizon_problems(scn, catalogue, spec)


def _horizon_problems(scn: Scenario, catalogue: Catalogue, spec: opt.OptimiseSpec) -> list[Problem]:
    """Start, knots and windows must lie within the run's years (else the objective is always 0)."""
    if not catalogue.time:
        return []
    t0 = catalogue.time["initial_time"]
    t1 = catalogue.time["final_time"] if scn.final_time is None else scn.final_time
    allowed = f"allowed: years {t0:g} to {t1:g}"
    problems: list[Problem] = []
    if not t0 <= spec.start < t1:
        problems.append(Problem(f"start {spec.start} is outside the run ({allowed})",
                                *scn.where("optimise", "start"), "optimise.start"))
    for name, lev in spec.levers.items():
        late = [k for k in lev.knots or () if not t0 <= k <= t1]
        if late:
            problems.append(Problem(f"knots {late} are outside the run ({allowed})",
                                    *scn.where("optimise", "levers", name, "knots"),
                                    f"optimise.levers.{name}.knots"))
    windows = ((("objective", "window"), spec.objective.window),
               (("pareto", "window"), spec.pareto.window if spec.pareto else None))
    for keys, window in windows:
        if window is not None and (window[1] < t0 or window[0] > t1):
            problems.append(Problem(f"window [{window[0]}, {window[1]}] holds no year of the run "
                                    f"({allowed})", *scn.where("optimise", *keys),
                                    "optimise." + ".".join(keys)))
    return problems


def _robust_size(scn: Scenario, catalogue: Catalogue, spec: opt.OptimiseSpec) -> list[Problem]:
    """Memory of one robust generation and time of the search (:func:`sdmission.limits.check_robust`)."""
    from sdmission import limits

    if spec.robust is None or not catalogue.time:
        return []
    tm = catalogue.time
    t1 = tm["final_time"] if scn.final_time is None else scn.final_time
    times = limits.n_steps(tm["initial_time"], t1, tm["time_step"]) + 1
    if not times <= limits.MAX_STEPS:
        return []  # the horizon check reports it
    decisions = sum(max(1, len(lev.knots or ())) for lev in spec.levers.values())
    file, line = scn.where("optimise", "robust", "members")
    # every generation evaluates the population; SciPy's DE runs maxiter generations after the first
    return limits.check_robust(spec.method.popsize, decisions, spec.robust.members, int(times),
                               len(catalogue), spec.method.maxiter + 1, file=file, line=line)
