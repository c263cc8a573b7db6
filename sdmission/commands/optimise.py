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
import sys
from pathlib import Path
from typing import Any

import numpy as np

from sdmission.analysis.optimise import core as opt
from sdmission.errors import InputError, Problem
from sdmission.io import atomic_write, atomic_write_text
from sdmission.study.targets import get_target_set

HELP = "find least-cost lever paths that meet a target set (exit 2 when infeasible)"
EXIT_FEASIBLE = 0
EXIT_INFEASIBLE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", metavar="SCENARIO",
                        help="scenario name (in the scenarios folder) or path; needs an optimise: block")
    parser.add_argument("--targets", default=None, metavar="SET",
                        help="target set (default: the block's, else the scenario's, else 'design')")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the block's)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: results/optimise/<scenario>)")
    parser.add_argument("--engine", choices=("pysd", "batch"), default=None,
                        help="simulation engine: batch (default; vectorised, checked against PySD) or pysd")
    parser.add_argument("--scenarios-dir", type=Path, default=None,
                        help="folder of named scenarios (default: ./scenarios)")
    parser.add_argument("--no-pareto", action="store_true", help="skip the trade-off front")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def _write_text(path: Path, text: str) -> None:
    atomic_write_text(path, text)


def _save_fig(fig: Any, path: Path) -> None:
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))


def prepare(scenario_path: Path, targets: str | None, engine: str | None
            ) -> tuple[Any, opt.OptimisationProblem]:
    """Load the scenario, its ``optimise:`` block and the model; build the problem.

    ``engine=None``: ``batch`` (the vectorised engine; the population is one engine call).
    """
    from sdmission.commands.run import load_engine
    from sdmission.scenario.check import check_scenario, scenario_inputs
    from sdmission.scenario.load import load_scenario
    from sdmission.schema import scenario as schema

    scn = load_scenario(scenario_path)
    spec = scn.blocks.get("optimise")
    if not isinstance(spec, opt.OptimiseSpec):
        raise InputError([Problem("the scenario has no 'optimise:' block; add one with start, "
                                  "levers (knots, bounds) and objective (discount_rate)",
                                  file=scn.file, key="optimise")])
    eng, catalogue = load_engine(scn.model_path, engine or "batch")
    problems = list(check_scenario(scn, catalogue))
    futures = None
    if spec.robust is not None:
        try:
            futures = _futures(scn, spec.robust)
        except InputError as exc:
            problems += exc.problems
    for name in spec.levers:
        var = catalogue.get(name)
        file, line = scn.where("optimise")
        if var is None or var.kind != "lever":
            levers = [v.py_name for v in catalogue.values() if v.kind == "lever"]
            from sdmission.messages import suggest

            problems.append(Problem(f"'{name}' is not a lever of the model; allowed: "
                                    f"{', '.join(levers)}{suggest(name, levers)}",
                                    file=file, line=line, key=f"optimise.levers.{name}"))
        elif var.dims:
            problems.append(Problem(f"lever '{name}' is subscripted by {var.dims}; the optimiser "
                                    "searches scalar levers only", file=file, line=line,
                                    key=f"optimise.levers.{name}"))
        else:
            for lo, hi in spec.levers[name].pairs():
                if not (var.within_limits(lo) and var.within_limits(hi)):
                    problems.append(Problem(f"bounds [{lo:g}, {hi:g}] leave the model's limits "
                                            f"{var.limits_text()} {var.units}", file=file, line=line,
                                            key=f"optimise.levers.{name}.bounds"))
    if problems:
        raise InputError(problems)
    grid_t = catalogue.time_grid(scn.final_time)
    tm = catalogue.time
    grid = opt.Grid(tm["initial_time"], float(grid_t[-1]), tm["time_step"], tm.get("saveper", 1.0))
    fixed = scenario_inputs(scn, catalogue)
    base: dict[str, np.ndarray] = {}
    for name in spec.levers:
        fixed.pop(name, None)
        path = scn.levers.get(name)
        if path is not None:
            base[name] = schema.sample(path, grid.times)  # type: ignore[arg-type]
        else:
            base[name] = np.interp(grid.times, *opt.model_default_path(scn.model_path, name))
    tset = get_target_set(targets or spec.targets or scn.targets)
    return scn, opt.OptimisationProblem(eng, grid, spec, tset, base, fixed, futures)


def _futures(scn: Any, robust: opt.RobustSpec) -> opt.Futures:
    """The robust search's futures: the scenario's uncertainties (default: all), sampled once."""
    from sdmission.analysis.uncertainty import BLOCK_KEY, UncertaintiesBlock, load_parameter_table, resolve
    from sdmission.scenario.load import project_table_csv

    block = scn.blocks.get(BLOCK_KEY) or UncertaintiesBlock.model_validate({"defaults": "all"})
    link = next((lk for lk in scn.chain if BLOCK_KEY in lk.blocks), scn.chain[0])
    space = resolve(block, load_parameter_table(scn.model_path, project_table_csv(scn.model_path)),
                    source=link.path,
                    line_of=link.doc.line)
    return opt.draw_futures(robust, space)


def written_scenario(scn: Any, problem: opt.OptimisationProblem, x: np.ndarray, out_file: Path,
                     command: str) -> str:
    """YAML text of a self-contained scenario with the optimised lever paths."""
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


def run(args: argparse.Namespace) -> int:
    from sdmission.commands.run import default_scenarios_dir, resolve_scenarios

    (path,) = resolve_scenarios([args.scenario], args.scenarios_dir or default_scenarios_dir())
    scn, problem = prepare(path, args.targets, args.engine)
    progress = None if args.quiet else opt.stderr_progress
    result = opt.solve(problem, seed=args.seed, progress=progress, pareto=not args.no_pareto)
    out = args.out or Path("results") / "optimise" / scn.name
    out.mkdir(parents=True, exist_ok=True)
    command = "python -m sdmission " + " ".join(sys.argv[1:]) if sys.argv[1:] else "optimise"
    rep = opt.report_dict(problem, result)
    scen_file = out / f"{scn.name}-optimised.yaml"
    rep["scenario_file"] = str(scen_file)
    _write_text(scen_file, written_scenario(scn, problem, result.best.x, scen_file, command))
    _write_text(out / "report.json", json.dumps(rep, indent=2, allow_nan=True))
    _write_text(out / "report.md", opt.report_markdown(rep, scn.name))
    _save_fig(opt.plot_convergence(result), out / "convergence.png")
    if result.pareto and problem.spec.pareto is not None:
        _save_fig(opt.plot_pareto(result, problem.spec.pareto), out / "pareto.png")
    print(opt.report_markdown(rep, scn.name))
    print(f"wrote {scen_file}, {out / 'report.md'}, {out / 'report.json'} and plots in {out}")
    return EXIT_FEASIBLE if result.feasible else EXIT_INFEASIBLE
