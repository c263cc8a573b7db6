"""``python -m sdmission optimise SCENARIO``: least-cost lever paths that meet a target set.

Writes to ``--out`` (default ``results/optimise/<scenario>``): ``<scenario>-optimised.yaml`` (a
self-contained scenario that ``python -m sdmission run`` reproduces), ``report.md``, ``report.json``,
``convergence.png`` and ``pareto.png``. Exit codes: 0 feasible, 2 infeasible, 1 input error,
3 unexpected error.

With ``robust:`` in the block the futures come from the scenario's ``uncertainties:`` block (every
uncertain parameter of the model's table when it has none), drawn once with the block's sampler and
seed; the engine defaults to ``batch`` (a robust problem runs S candidates x (N + 1) futures per
generation in one call).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from sdmission.commands._options import add_engine, add_out, add_scenarios_dir, command_line, settings_of
from sdmission.errors import InputError, Problem
from sdmission.io import atomic_write_text
from sdmission.messages import did_you_mean
from sdmission.model.catalogue import Catalogue
from sdmission.report.options import add_figure_arguments
from sdmission.scenario.load import Scenario
from sdmission.study.case import Case, prepare

if TYPE_CHECKING:
    from sdmission.analysis import optimise as opt

HELP = "find least-cost lever paths that meet a target set (exit 2 when infeasible)"
EXIT_FEASIBLE = 0
EXIT_INFEASIBLE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", metavar="SCENARIO",
                        help="scenario name (in the scenarios folder) or path; needs an optimise: block")
    parser.add_argument("--targets", default=None, metavar="SET",
                        help="target set (default: the block's, else the scenario's, else 'design')")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the block's)")
    add_out(parser, "results/optimise/<scenario>")
    add_engine(parser, "batch")
    add_scenarios_dir(parser)
    parser.add_argument("--no-pareto", action="store_true", help="skip the trade-off front")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    add_figure_arguments(parser)


def _spec(scn: Scenario) -> opt.OptimiseSpec | None:
    from sdmission.analysis import optimise as opt

    spec = scn.blocks.get("optimise")
    return spec if isinstance(spec, opt.OptimiseSpec) else None


def target_rule(targets: str | None) -> Callable[[Scenario], str]:
    """``--targets``, else the block's ``targets``, else the scenario's own."""
    def rule(scn: Scenario) -> str:
        spec = _spec(scn)
        return targets or (spec.targets if spec is not None else None) or scn.targets

    return rule


def _lever_problems(scn: Scenario, catalogue: Catalogue, spec: opt.OptimiseSpec) -> list[Problem]:
    """Each searched lever must be a scalar lever of the model, its bounds within its limits."""
    problems: list[Problem] = []
    file, line = scn.where("optimise")
    for name in spec.levers:
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
        try:
            opt_futures(scn, spec)
        except InputError as exc:
            problems += exc.problems
        problems += _robust_size(scn, catalogue, spec)
    return problems + _lever_problems(scn, catalogue, spec) + _horizon_problems(scn, catalogue, spec)


def _horizon_problems(scn: Scenario, catalogue: Catalogue, spec: opt.OptimiseSpec) -> list[Problem]:
    """Start, knots and windows must lie within the run's years (else the objective is always 0)."""
    if not catalogue.time:
        return []
    t0 = catalogue.time["initial_time"]
    t1 = catalogue.time["final_time"] if scn.final_time is None else scn.final_time
    file, line = scn.where("optimise")
    allowed = f"allowed: years {t0:g} to {t1:g}"
    problems: list[Problem] = []
    if not t0 <= spec.start < t1:
        problems.append(Problem(f"start {spec.start} is outside the run ({allowed})", file, line,
                                "optimise.start"))
    for name, lev in spec.levers.items():
        late = [k for k in lev.knots or () if not t0 <= k <= t1]
        if late:
            problems.append(Problem(f"knots {late} are outside the run ({allowed})", file, line,
                                    f"optimise.levers.{name}.knots"))
    windows = (("optimise.objective.window", spec.objective.window),
               ("optimise.pareto.window", spec.pareto.window if spec.pareto else None))
    for key, window in windows:
        if window is not None and (window[1] < t0 or window[0] > t1):
            problems.append(Problem(f"window [{window[0]}, {window[1]}] holds no year of the run "
                                    f"({allowed})", file, line, key))
    return problems


def _robust_size(scn: Scenario, catalogue: Catalogue, spec: opt.OptimiseSpec) -> list[Problem]:
    """Memory of one robust generation (:func:`sdmission.limits.check_robust`), before any run."""
    from sdmission import limits

    if spec.robust is None or not catalogue.time:
        return []
    tm = catalogue.time
    t1 = tm["final_time"] if scn.final_time is None else scn.final_time
    times = limits.n_steps(tm["initial_time"], t1, tm["time_step"]) + 1
    if not times <= limits.MAX_STEPS:
        return []  # the horizon check reports it
    decisions = sum(max(1, len(lev.knots or ())) for lev in spec.levers.values())
    return limits.check_robust(spec.method.popsize, decisions, spec.robust.members, int(times),
                               len(catalogue), file=scn.file)


def optimisation_problem(case: Case) -> opt.OptimisationProblem:
    """The optimisation problem of a prepared case with an ``optimise:`` block.

    The searched levers start from the scenario's paths (the model's default where it sets none);
    every other lever and assumption stays fixed. With ``robust:`` the futures are the scenario's
    uncertainties (every uncertain parameter of the table when it has none), drawn once.
    """
    from sdmission.analysis import optimise as opt

    scn = case.scenario
    problems = check_optimise(scn, case.catalogue)
    if problems:
        raise InputError(problems)
    spec = _block(scn)
    futures = opt_futures(scn, spec)
    return opt.build_problem(scn, spec, case.catalogue, case.engine, case.target_set, futures)


def written_scenario(scn: Scenario, problem: opt.OptimisationProblem, x: np.ndarray, out_file: Path,
                     command: str) -> str:
    """YAML text of a self-contained scenario with the optimised lever paths."""
    from sdmission.analysis import optimise as opt
    from sdmission.scenario.load import dump_yaml

    data = scn.merged_dict()
    data.pop("optimise", None)
    data["name"] = out_file.stem
    data["description"] = (f"Least-cost lever paths found by `{command}` for target set "
                           f"'{problem.target_set.name}' (from scenario '{scn.name}'). "
                           + (scn.description or ""))
    data["model"] = os.path.relpath(scn.model_path, out_file.parent.resolve())
    data["targets"] = problem.target_set.name
    data["levers"] = {**data.get("levers", {}), **opt.lever_paths(problem, x)}
    header = (f"# Written by {command}\n# Re-run: python -m sdmission run {out_file}\n")
    fut = problem.futures
    if fut is not None:
        header += (f"# Robust: P(met) >= {fut.p:g} for every target over {fut.n} futures "
                   f"({fut.samples.attrs['sampler']}, seed {fut.samples.attrs['seed']}); this file is "
                   "the nominal future (uncertain parameters at the model's values).\n")
    return header + dump_yaml(data)


class GenerationBar:
    """Progress of the optimiser as one tqdm bar per search (total: ``maxiter`` generations, with
    rate and ETA) instead of one line per generation; other messages are printed above it."""

    _GEN = re.compile(r"^(.*?)\s*gen\s+(\d+):\s*(.*)$")

    def __init__(self, maxiter: int) -> None:
        self.maxiter = maxiter
        self.bar: tqdm[None] | None = None
        self.what: str | None = None

    def __call__(self, msg: str) -> None:
        m = self._GEN.match(msg)
        if m is None:
            self.close()
            tqdm.write(msg, file=sys.stderr)
            return
        what, gen, rest = m.group(1) or "search", int(m.group(2)), m.group(3)
        if self.bar is None or what != self.what:
            self.close()
            self.bar = tqdm(total=self.maxiter, desc=what, unit="gen", file=sys.stderr,
                            dynamic_ncols=True)
            self.what = what
        self.bar.update(max(0, min(gen, self.maxiter) - self.bar.n))
        self.bar.set_postfix_str(rest, refresh=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.bar, self.what = None, None


def run(args: argparse.Namespace) -> int:
    from sdmission.analysis import optimise as opt
    from sdmission.report.optimise import figure_title, plot_convergence, plot_pareto
    from sdmission.report.save import save_figure

    settings = settings_of(args)
    (case,) = prepare([args.scenario], engine=args.engine, targets=target_rule(args.targets),
                      settings=settings, checks=check_optimise)
    scn, problem = case.scenario, optimisation_problem(case)
    bar = None if args.quiet else GenerationBar(problem.spec.method.maxiter)
    result = opt.solve(problem, seed=args.seed, progress=bar, pareto=not args.no_pareto)
    if bar is not None:
        bar.close()
    out = args.out or settings.results_dir / "optimise" / scn.name
    out.mkdir(parents=True, exist_ok=True)
    command = command_line("optimise") or "optimise"
    rep = opt.report_dict(problem, result)
    scen_file = out / f"{scn.name}-optimised.yaml"
    rep["scenario_file"] = str(scen_file)
    atomic_write_text(scen_file, written_scenario(scn, problem, result.best.x, scen_file, command))
    atomic_write_text(out / "report.json", json.dumps(rep, indent=2, allow_nan=True))
    atomic_write_text(out / "report.md", opt.report_markdown(rep, scn.name))
    save_figure(plot_convergence(result, lang=args.lang, scenario=scn.name, title=figure_title(
        "convergence", scn.name, args.lang) if args.title else None), out / "convergence.png")
    if result.pareto and problem.spec.pareto is not None:
        save_figure(plot_pareto(result, problem.spec.pareto, lang=args.lang, scenario=scn.name,
                                title=figure_title("pareto", scn.name, args.lang) if args.title
                                else None), out / "pareto.png")
    print(opt.report_markdown(rep, scn.name))
    print(f"wrote {scen_file}, {out / 'report.md'}, {out / 'report.json'} and plots in {out}")
    return EXIT_FEASIBLE if result.feasible else EXIT_INFEASIBLE
