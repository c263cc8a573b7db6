"""``python -m sdmission ensemble SCENARIO… --members N``: sampled futures × scenarios, P(target met).

Writes into ``--out`` (default ``results``), with ``NAME`` from ``--name`` (default ``ensemble``):

- ``NAME.nc``: outputs with dims ``(scenario, member, time, …)`` and the inputs beside them
  (``input_value (scenario, member, uncertainty)``, ``input_quantile (member, uncertainty)``);
- ``NAME.chunks/``: one file per finished chunk (an interrupted run resumes from them);
- ``NAME_pmet.csv``: P(met) per scenario and target; ``NAME_ranking.csv``: scenarios ranked;
- ``NAME_fans.png``: fan charts (5/25/50/75/95 %) of the headline outputs against the targets.
"""

from __future__ import annotations

import argparse
import csv
import io
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sdmission.constants import HEADLINE_OUTPUTS, MEMBER, SCENARIO, TIME
from sdmission.errors import InputError, Problem

HELP = "run scenarios over sampled futures: P(target met), fan charts, ranking (Dask optional)"


def add_scenario_arguments(parser: argparse.ArgumentParser, *, many: bool = True) -> None:
    """Arguments shared by ensemble and sensitivity."""
    parser.add_argument("scenarios", nargs="+" if many else 1, metavar="SCENARIO",
                        help="scenario name (in the scenarios folder) or path to a .yaml file")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, default=Path("results"),
                        help="output folder (default: results)")
    parser.add_argument("--scenarios-dir", type=Path, default=None,
                        help="folder of named scenarios (default: ./scenarios)")
    parser.add_argument("--engine", choices=("auto", "batch", "pysd"), default="auto",
                        help="auto (default): the batch engine when installed, else pysd")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="Dask scheduler address (tcp://host:8786); default: in-process")
    parser.add_argument("--chunk-size", type=int, default=50, metavar="K",
                        help="members per chunk: one engine call, one saved file (default 50)")
    parser.add_argument("--targets", default=None, metavar="SET",
                        help="target set (default: each scenario's own)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_scenario_arguments(parser)
    parser.add_argument("--members", type=int, default=100, metavar="N",
                        help="number of sampled futures (default 100)")
    parser.add_argument("--sampler", choices=("lhs", "sobol", "mc"), default="lhs",
                        help="lhs (default), sobol (scrambled) or mc")
    parser.add_argument("--name", default="ensemble", help="base name of the output files")
    parser.add_argument("--no-plots", action="store_true", help="skip the fan charts")


def scenario_files(args: argparse.Namespace) -> list[Path]:
    """Scenario files from names or paths (as ``run`` resolves them)."""
    from sdmission.commands.run import default_scenarios_dir, resolve_scenarios

    return resolve_scenarios(list(args.scenarios), args.scenarios_dir or default_scenarios_dir())


def return_vars(catalogue: Any, target_metrics: Sequence[str]) -> list[str]:
    """Headline outputs the model has, plus ``public_cost_total`` and the target metrics."""
    wanted = [*HEADLINE_OUTPUTS, "public_cost_total", *target_metrics]
    return [v for v in dict.fromkeys(wanted) if v in catalogue]


def write_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    """Write rows (same keys) to CSV atomically."""
    from sdmission.io import atomic_write

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    return atomic_write(path, lambda tmp: tmp.write_text(buf.getvalue(), encoding="utf-8"))


def save_figure(fig: Any, path: Path) -> Path:
    """Save a matplotlib Figure atomically (format from the suffix)."""
    from sdmission.io import atomic_write

    return atomic_write(path, lambda tmp: fig.savefig(tmp, format=path.suffix.lstrip("."), dpi=130))


def _progress(status: str, scenario: str, index: int, n: int) -> None:
    print(f"  {scenario}: chunk {index + 1}/{n} {status}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from sdmission.analysis import ensemble as E
    from sdmission.analysis.uncertainty import sample
    from sdmission.model.catalogue import load_catalogue
    from sdmission.model.translate import model_hash
    from sdmission.study.results import provenance, write_netcdf

    if args.members < 1:
        raise InputError([Problem(f"--members must be at least 1 (given {args.members})",
                                  key="--members")])
    # 1. Scenarios, spaces, targets: every problem before anything runs.
    scenarios = E.load_ensemble_scenarios(scenario_files(args), targets=args.targets)
    models = {s.mdl_path for s in scenarios}
    if len(models) > 1:
        raise InputError([Problem("the scenarios of one ensemble must use one model (given "
                                  + ", ".join(sorted(map(str, models))) + ")", key="model")])
    mdl = scenarios[0].mdl_path
    cat = load_catalogue(mdl)
    metrics = list(dict.fromkeys(m for s in scenarios for m in s.target_set.metrics))
    rvars = return_vars(cat, metrics)
    # 2. Futures (common random numbers across scenarios) and the runs.
    samples = sample({s.name: s.space for s in scenarios}, args.members, args.sampler, args.seed)
    engine = E.resolve_engine_name(args.engine)
    print(f"ensemble '{args.name}': {len(scenarios)} scenario(s) x {args.members} members, "
          f"{samples.sizes['uncertainty']} uncertainties, engine {engine}, "
          f"{'scheduler ' + args.scheduler if args.scheduler else 'in-process'}", file=sys.stderr)
    stats = E.RunStats()
    raw = E.run_ensemble(scenarios, samples, return_vars=rvars, engine=engine,
                         chunk_size=args.chunk_size, chunk_dir=args.out / f"{args.name}.chunks",
                         scheduler=args.scheduler, on_chunk=_progress, stats=stats)
    command = "python -m sdmission " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "ensemble"
    attrs = provenance(model_path=mdl, model_sha256=model_hash(mdl), engine=engine, command=command,
                       extra={"seed": str(args.seed), "sampler": args.sampler,
                              "members": str(args.members), "chunk_size": str(args.chunk_size),
                              "distributions": str(samples.attrs["distributions"]),
                              "scenario_texts": "\n".join(f"# --- {s.name}\n{s.text}"
                                                          for s in scenarios)})
    ds = E.label(raw, cat, samples, attrs)
    ds = ds.assign_coords(target_set=(SCENARIO, [s.target_set.name for s in scenarios]))
    nc = write_netcdf(ds, args.out / f"{args.name}.nc")
    # 3. P(met), ranking, fan charts.
    checks = E.target_checks(ds, {s.name: s.target_set for s in scenarios})
    pmet = E.pmet_table(checks)
    rank = E.ranking(checks)
    p1 = write_csv(pmet, args.out / f"{args.name}_pmet.csv")
    p2 = write_csv(rank, args.out / f"{args.name}_ranking.csv")
    written = [nc, p1, p2]
    if not args.no_plots:
        from sdmission.report.uncertainty import fan_chart

        fans = [v for v in rvars if set(ds[v].dims) == {SCENARIO, MEMBER, TIME}]
        fig = fan_chart(ds, fans, target_set=scenarios[0].target_set,
                        title=f"{args.name}: {args.members} futures ({args.sampler}, seed "
                              f"{args.seed})")
        written.append(save_figure(fig, args.out / f"{args.name}_fans.png"))
    print(format_pmet(pmet, rank))
    for r in pmet:
        if r["target"] == "all" and r["nonfinite"]:
            print(f"warning: scenario '{r['scenario']}': {r['nonfinite']} of {r['members']} members "
                  "have non-finite target metrics (counted as not met; see NAME_pmet.csv "
                  "column nonfinite and the inputs of those members in NAME.nc)", file=sys.stderr)
    print(f"chunks: {stats.computed} computed, {stats.loaded} reused; "
          f"{stats.members_run} member runs in {stats.seconds:.1f} s")
    for p in written:
        print(f"wrote {p}")
    return 0


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
