"""``python -m sdmission ensemble SCENARIO… --members N``: sampled futures × scenarios, P(target met).

Writes into ``--out`` (default ``results/ensembles``), with ``NAME`` from ``--name`` (default ``ensemble``):

- ``NAME.nc``: outputs with dims ``(scenario, member, time, …)`` and the inputs beside them
  (``input_value (scenario, member, uncertainty)``, ``input_quantile (member, uncertainty)``);
- ``NAME.chunks/``: one file per finished chunk (an interrupted run resumes from them);
- ``NAME_pmet.csv``: P(met) per scenario and target; ``NAME_ranking.csv``: scenarios ranked;
- ``NAME_fans.png``: fan charts (5/25/50/75/95 %) of the headline outputs against the targets.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sdmission.commands._options import ChunkBar, add_ensemble_arguments, command_line, settings_of
from sdmission.constants import HEADLINE_OUTPUTS, MEMBER, SCENARIO, TIME
from sdmission.errors import InputError, Problem
from sdmission.model.catalogue import Catalogue
from sdmission.report.options import add_figure_arguments
from sdmission.study.case import prepare

if TYPE_CHECKING:
    import xarray as xr

    from sdmission.study.targets import TargetSet

HELP = "run scenarios over sampled futures: P(target met), fan charts, ranking (Dask optional)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_ensemble_arguments(parser)
    parser.add_argument("--members", type=int, default=100, metavar="N",
                        help="number of sampled futures (default 100)")
    parser.add_argument("--sampler", choices=("lhs", "sobol", "mc"), default="lhs",
                        help="lhs (default), sobol (scrambled) or mc")
    parser.add_argument("--name", default="ensemble", help="base name of the output files")
    parser.add_argument("--no-plots", action="store_true", help="skip the fan charts")
    add_figure_arguments(parser)


def return_vars(catalogue: Catalogue, target_metrics: Sequence[str]) -> list[str]:
    """Headline outputs the model has, plus ``public_cost_total`` and the target metrics."""
    wanted = [*HEADLINE_OUTPUTS, "public_cost_total", *target_metrics]
    return [v for v in dict.fromkeys(wanted) if v in catalogue]


def run(args: argparse.Namespace) -> int:
    from sdmission import limits
    from sdmission.analysis import ensemble as E
    from sdmission.analysis.uncertainty import sample
    from sdmission.io import atomic_write_csv
    from sdmission.model.translate import model_hash
    from sdmission.study.results import conform, provenance, write_netcdf

    if args.members < 1:
        raise InputError([Problem(f"--members must be at least 1 (given {args.members})",
                                  key="--members")])
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", args.name) or ".." in args.name:
        raise InputError([Problem(f"--name must be a plain file name (letters, digits, '_', '-', "
                                  f"'.'; no folders), given {args.name!r}", key="--name")])
    settings = settings_of(args)
    out = args.out or settings.output_dir("ensemble")
    # 1. Scenarios, spaces, targets: every problem before anything runs.
    cases = prepare(args.scenarios, engine=args.engine, targets=args.targets, settings=settings,
                    uncertainties=True)
    models = {c.model_path for c in cases}
    if len(models) > 1:
        raise InputError([Problem("the scenarios of one ensemble must use one model (given "
                                  + ", ".join(sorted(map(str, models))) + ")", key="model")])
    scenarios = [E.EnsembleScenario.from_case(c) for c in cases]
    mdl, cat, engine = cases[0].model_path, cases[0].catalogue, cases[0].engine.name
    metrics = list(dict.fromkeys(m for s in scenarios for m in s.target_set.metrics))
    rvars = return_vars(cat, metrics)
    limits.require(limits.check_ensemble(
        len(scenarios), args.members, len(rvars), len(cat.time_grid(cases[0].final_time)),
        max(len(s.space) for s in scenarios)))
    # 2. Futures (common random numbers across scenarios) and the runs.
    samples = sample({s.name: s.space for s in scenarios}, args.members, args.sampler, args.seed)
    print(f"ensemble '{args.name}': {len(scenarios)} scenario(s) x {args.members} members, "
          f"{samples.sizes['uncertainty']} uncertainties, engine {engine}, "
          f"{'scheduler ' + args.scheduler if args.scheduler else 'in-process'}", file=sys.stderr)
    stats = E.RunStats()
    bar = ChunkBar(args, len(scenarios) * -(-args.members // args.chunk_size), f"ensemble '{args.name}'")
    raw = E.run_ensemble(scenarios, samples, return_vars=rvars, engine=engine,
                         chunk_size=args.chunk_size, chunk_dir=out / f"{args.name}.chunks",
                         scheduler=args.scheduler, on_chunk=bar, stats=stats)
    bar.close()
    attrs = provenance(model_path=mdl, model_sha256=model_hash(mdl), engine=engine,
                       command=command_line("ensemble"),
                       extra={"seed": str(args.seed), "sampler": args.sampler,
                              "members": str(args.members), "chunk_size": str(args.chunk_size),
                              "distributions": str(samples.attrs["distributions"]),
                              "scenario_texts": "\n".join(f"# --- {s.name}\n{s.text}"
                                                          for s in scenarios)})
    ds = E.label(raw, cat, samples, attrs)
    ds = ds.assign_coords(target_set=(SCENARIO, [s.target_set.name for s in scenarios]))
    ds = conform(ds, catalogue=cat, title=f"sdmission ensemble '{args.name}'", attrs=attrs)
    written = [write_netcdf(ds, out / f"{args.name}.nc")]
    # 3. P(met), ranking, fan charts.
    checks = E.target_checks(ds, {s.name: s.target_set for s in scenarios})
    pmet = E.pmet_table(checks)
    rank = E.ranking(checks)
    written += [atomic_write_csv(pmet, out / f"{args.name}_pmet.csv"),
                atomic_write_csv(rank, out / f"{args.name}_ranking.csv")]
    if not args.no_plots:
        written.append(_fan_chart(ds, rvars, scenarios[0].target_set, args, out))
    print(format_pmet(pmet, rank))
    _warn_nonfinite(pmet)
    print(f"chunks: {stats.computed} computed, {stats.loaded} reused; "
          f"{stats.members_run} member runs in {stats.seconds:.1f} s")
    for p in written:
        print(f"wrote {p}")
    return 0


def _fan_chart(ds: xr.Dataset, rvars: Sequence[str], target_set: TargetSet, args: argparse.Namespace,
               out: Path) -> Path:
    from sdmission.report.save import save_figure
    from sdmission.report.uncertainty import fan_chart, fan_title

    fans = [v for v in rvars if set(ds[v].dims) == {SCENARIO, MEMBER, TIME}]
    fig = fan_chart(ds, fans, target_set=target_set, lang=args.lang,
                    title=fan_title(ds, args.lang) if args.title else None)
    return save_figure(fig, out / f"{args.name}_fans.png")


def _warn_nonfinite(pmet: list[dict[str, Any]]) -> None:
    for r in pmet:
        if r["target"] == "all" and r["nonfinite"]:
            print(f"warning: scenario '{r['scenario']}': {r['nonfinite']} of {r['members']} members "
                  "have non-finite target metrics (counted as not met; see NAME_pmet.csv "
                  "column nonfinite and the inputs of those members in NAME.nc)", file=sys.stderr)


def format_pmet(pmet: list[dict[str, Any]], rank: list[dict[str, Any]]) -> str:
    """Plain-text P(met) table (targets × scenarios) and ranking."""
    scen = [r["scenario"] for r in rank]
    targets = list(dict.fromkeys(r["target"] for r in pmet))
    p = {(r["scenario"], r["target"]): r["p_met"] for r in pmet}
    w = max(12, *(len(s) for s in scen))
    lines = ["P(target met):", "  " + "target".ljust(20) + "".join(s.rjust(w + 2) for s in scen)]
    for t in targets:
        cells = "".join((f"{100 * p[(s, t)]:.0f} %" if (s, t) in p else "-").rjust(w + 2)
                        for s in scen)
        lines.append("  " + t.ljust(20) + cells)
    lines.append("ranking (P(every target met), then mean P(met)):")
    for r in rank:
        lines.append(f"  {r['rank']}. {r['scenario']}: {100 * r['p_all_met']:.0f} % all met, "
                     f"mean {100 * r['mean_p_met']:.0f} %")
    return "\n".join(lines)
