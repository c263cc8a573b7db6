"""``python -m sdmission units MODEL.mdl``: dimensional check of every equation."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "check the units of every equation of a Vensim model; list each mismatch (exit 1 if any)"
DEFAULT_MODEL = Path("models/sdmission.mdl")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", type=Path, default=DEFAULT_MODEL, help="Vensim model (default: %(default)s)")
    parser.add_argument("--lenient-literals", action="store_true",
                        help="let a numeric literal factor carry any unit (products with literals go unchecked)")


def run(args: argparse.Namespace) -> int:
    from sdmission.model.units import check_units, iter_report

    problems = check_units(args.model, lenient_literals=args.lenient_literals)
    for line in iter_report(problems, args.model):
        print(line)
    if problems:
        print(f"{len(problems)} units problem{'s' if len(problems) != 1 else ''} in {args.model}")
        return 1
    print(f"units consistent: {args.model}")
    return 0
