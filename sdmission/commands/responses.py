"""``python -m sdmission responses``: single-instrument responses against published estimates.

Runs every experiment of the estimates file (one instrument changed from the ``baseline`` from its
policy start, same history) as members of one batch-engine call, computes each row's response
metric and writes ``responses.csv`` and ``responses.md`` (model value, published range, ratio,
verdict, sign, reason). See :mod:`sdmission.analysis.responses`.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from sdmission.commands._options import add_engine, add_scenarios_dir, settings_of

HELP = "model responses to single instruments against published estimates (PBL, CPB, evaluations)"
EPILOG = """examples:
  python -m sdmission responses
  python -m sdmission responses --out results/responses --lang nl
  python -m sdmission responses --estimates models/data/policy_responses.csv

output: <out>/responses.csv (one row per published estimate: model value, published low/central/
high, accepted interval, ratio, verdict, sign, source, reason, full citation) and responses.md (the
same as a Markdown table, for models/README.md)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--estimates", type=Path, default=None, metavar="CSV",
                        help="published estimates (default models/data/policy_responses.csv)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default results/responses)")
    parser.add_argument("--lang", choices=("en", "nl"), default="en",
                        help="language of the Markdown table")
    add_scenarios_dir(parser)
    add_engine(parser, "batch")


def run(args: argparse.Namespace) -> int:
    from sdmission.analysis import responses as R
    from sdmission.io import atomic_write_csv, atomic_write_text
    from sdmission.scenario.history import model_default
    from sdmission.study.case import prepare

    estimates = R.read_estimates(args.estimates or R.ESTIMATES_FILE)
    settings = settings_of(args)
    cases = prepare(["baseline", *R.scenarios_needed(estimates)], engine=args.engine,
                    settings=settings)
    base = cases[0]
    catalogue = base.catalogue
    grid = catalogue.time_grid(base.final_time)
    names = set(catalogue)

    def default(name: str):  # type: ignore[no-untyped-def]
        return model_default(catalogue[name], base.model_path, grid) if name in names else None

    t0 = time.perf_counter()
    res = R.run_responses(base.engine, dict(base.inputs),
                          {c.name: dict(c.inputs) for c in cases[1:]}, estimates, grid=grid,
                          start=base.scenario.policy_start, available=names.__contains__,
                          defaults=default, final_time=base.final_time)
    seconds = time.perf_counter() - t0
    out = args.out or settings.results_dir / "responses"
    out.mkdir(parents=True, exist_ok=True)
    csv_path = atomic_write_csv(res.rows, out / "responses.csv")
    md_path = atomic_write_text(out / "responses.md", R.markdown_table(res.rows, args.lang))
    print(f"baseline and {len(res.experiments) - 1} single-instrument runs in one engine call "
          f"({seconds:.1f} s), policy start {base.scenario.policy_start:g}:")
    for r in res.rows:
        model = float(r["model"])  # type: ignore[arg-type]
        shown = "-" if math.isnan(model) else f"{model:.3g}"
        print(f"  {r['id']:28s} {shown:>8s} {r['unit']:32s} {r['verdict']:12s} {r['sign']}")
    print(f"wrote {csv_path} and {md_path}")
    return 0
