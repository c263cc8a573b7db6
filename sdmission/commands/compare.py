"""``python -m sdmission compare A B …``: run scenarios and compare them with the first.

Writes ``results/compare/<A>_vs_<B>…/comparison.xlsx`` (sheets headline, targets, deltas,
provenance) and one CSV per sheet; prints the targets side by side (fractions in %, the year each
is first met and the gap). See :mod:`sdmission.study.compare`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sdmission.commands._options import (
    add_engine,
    add_scenarios_dir,
    command_line,
    progress_bar,
    settings_of,
)
from sdmission.errors import InputError, Problem
from sdmission.study.case import prepare
from sdmission.study.compare import DIALECTS, comparison, format_targets, write_comparison
from sdmission.study.run import simulate_case

HELP = "compare scenarios with the first: targets side by side, headline deltas, comparison.xlsx"
EPILOG = """examples:
  python -m sdmission compare baseline mission-mix
  python -m sdmission compare baseline invest-nl procurement --lang nl --dialect nl
  python -m sdmission compare baseline scenarios/my-case.yaml --out results/compare/my-case

output: results/compare/<A>_vs_<B>…/comparison.xlsx (sheets headline, targets, deltas,
provenance) and comparison_<sheet>.csv; --dialect nl writes the CSVs with ';' and a decimal comma
(Excel with Dutch settings)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                        help="scenario names or .yaml paths; the first is the reference")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: results/compare/<A>_vs_<B>…)")
    add_scenarios_dir(parser)
    add_engine(parser, "batch")
    parser.add_argument("--targets", default=None, metavar="SET",
                        help="target set for every scenario (default: each scenario's own)")
    parser.add_argument("--lang", choices=("en", "nl"), default="en",
                        help="language of the table headers and target names")
    parser.add_argument("--dialect", choices=DIALECTS, default="en",
                        help="CSV dialect: en (',' and '.') or nl (';' and ',')")


def run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if len(args.scenarios) < 2:
        raise InputError([Problem("compare needs at least two scenarios (the first is the "
                                  f"reference); given {len(args.scenarios)}", key="SCENARIO")])
    cases = prepare(args.scenarios, engine=args.engine, targets=args.targets, settings=settings)
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise InputError([Problem(f"a scenario is given twice: {names}", key="SCENARIO")])
    command = command_line(None)
    datasets = [simulate_case(c, command=command)
                for c in progress_bar(args, cases, desc="scenarios", unit="scenario")]
    try:
        comp = comparison(datasets, [c.target_set for c in cases], args.lang)
    except ValueError as exc:
        raise InputError([Problem(str(exc), key="--targets")]) from None
    out = args.out or settings.output_dir("compare") / "_vs_".join(names)
    written = write_comparison(comp, out, args.dialect)
    print(format_targets(comp, args.lang))
    print(f"wrote {written[0]} and {len(written) - 1} CSV files in {out}")
    return 0
