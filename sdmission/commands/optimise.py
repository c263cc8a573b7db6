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

from sdmission.commands._options import (
    add_engine,
    add_out,
    add_scenarios_dir,
    command_line,
    progress_bar,
    settings_of,
)
from sdmission.errors import InputError
from sdmission.io import atomic_write_text
from sdmission.report.options import add_figure_arguments
from sdmission.scenario.load import Scenario
from sdmission.study.case import Case, prepare
from sdmission.study.checks import _block, _spec, check_optimise, opt_futures

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
    add_figure_arguments(parser)


def target_rule(targets: str | None) -> Callable[[Scenario], str]:
    """``--targets``, else the block's ``targets``, else the scenario's own."""
    def rule(scn: Scenario) -> str:
        spec = _spec(scn)
        return targets or (spec.targets if spec is not None else None) or scn.targets

    return rule


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

    def __init__(self, args: argparse.Namespace, maxiter: int) -> None:
        self.args = args
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
            self.bar = progress_bar(self.args, total=self.maxiter, desc=what, unit="gen")
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
    bar = None if args.quiet else GenerationBar(args, problem.spec.method.maxiter)
    result = opt.solve(problem, seed=args.seed, progress=bar, pareto=not args.no_pareto)
    if bar is not None:
        bar.close()
    out = args.out or settings.output_dir("optimise") / scn.name
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
                                else None, targets=problem.target_set), out / "pareto.png")
    print(opt.report_markdown(rep, scn.name))
    print(f"wrote {scen_file}, {out / 'report.md'}, {out / 'report.json'} and plots in {out}")
    return EXIT_FEASIBLE if result.feasible else EXIT_INFEASIBLE
