"""``python -m sdmission sensitivity SCENARIO [--members N]``: Sobol' indices of the target metrics.

``--members`` is Saltelli's base sample N (a power of two); the model runs ``N × (D + 2)`` times for
D uncertainties. Writes ``<out>/<scenario>_sobol.nc`` (dims metric × uncertainty),
``<scenario>_sobol.csv`` (ranked), ``<scenario>_sobol.png`` (ranked bars) and prints a summary.
"""

from __future__ import annotations

import argparse
import sys

from sdmission.commands._options import ChunkBar, add_ensemble_arguments, command_line, settings_of
from sdmission.report.options import add_figure_arguments
from sdmission.study.case import prepare

HELP = "global sensitivity: Sobol' first/total-order indices of GHG 2030/2050 and circular 2040"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_ensemble_arguments(parser, many=False)
    parser.add_argument("--members", type=int, default=64, metavar="N",
                        help="Saltelli base sample N, a power of two (runs = N x (D + 2); default 64)")
    add_figure_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from sdmission.analysis import ensemble as E
    from sdmission.analysis import sensitivity as S
    from sdmission.io import atomic_write_csv
    from sdmission.model.translate import model_hash
    from sdmission.report.save import save_figure
    from sdmission.report.uncertainty import sobol_bars, sobol_title
    from sdmission.study.results import conform, provenance, write_netcdf

    settings = settings_of(args)
    out = args.out or settings.output_dir("sensitivity")
    (case,) = prepare(args.scenarios, engine=args.engine, targets=args.targets, settings=settings,
                      uncertainties=True)
    scn = E.EnsembleScenario.from_case(case)
    metrics = S.DEFAULT_METRICS
    design = S.design(scn.space, args.members, seed=args.seed)
    engine = case.engine.name
    n = design.sizes["member"]
    print(f"sensitivity '{scn.name}': {len(scn.space)} uncertainties, base N={args.members}, "
          f"{n} runs, engine {engine}", file=sys.stderr)
    name = f"{scn.name}_sobol"
    stats = E.RunStats()
    bar = ChunkBar(args, -(-n // args.chunk_size), "sensitivity runs")
    raw = E.run_ensemble([scn], design, return_vars=sorted({m.variable for m in metrics}),
                         engine=engine, chunk_size=args.chunk_size,
                         chunk_dir=out / f"{name}.chunks", scheduler=args.scheduler,
                         stats=stats, on_chunk=bar)
    bar.close()
    y = S.metric_values(raw.isel(scenario=0), metrics)
    idx = S.sobol_indices(scn.space, y, metrics, seed=args.seed)
    idx = conform(idx, catalogue=None, title=f"Sobol' indices, scenario '{scn.name}'", attrs={
        **{k: str(v) for k, v in idx.attrs.items()},
        **provenance(model_path=scn.mdl_path, model_sha256=model_hash(scn.mdl_path),
                     engine=engine, command=command_line("sensitivity"),
                     extra={"scenario": scn.name, "seed": str(args.seed),
                            "base_sample": str(args.members), "runs": str(n)})})
    fig = sobol_bars(idx, lang=args.lang, scenario=scn.name,
                     title=sobol_title(scn.name, args.members, n, args.lang) if args.title else None)
    written = [write_netcdf(idx, out / f"{name}.nc"),
               atomic_write_csv(S.indices_table(idx), out / f"{name}.csv"),
               save_figure(fig, out / f"{name}.png")]
    print(S.summary(idx))
    print(f"{stats.members_run} runs in {stats.seconds:.1f} s ({stats.loaded} chunks reused)")
    for p in written:
        print(f"wrote {p}")
    return 0
