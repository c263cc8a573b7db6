"""``python -m sdmission units MODEL.mdl``: dimensional check of every equation."""

from __future__ import annotations

import argparse
from pathlib import Path

from sdmission.settings import discover

HELP = "check the units of every equation of a Vensim model; list each mismatch (exit 1 if any)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", type=Path, default=None,
                        help="Vensim model (default: models/sdmission.mdl in the project folder)")
    parser.add_argument("--lenient-literals", action="store_true",
                        help="let a numeric literal factor carry any unit (products with literals go unchecked)")


def run(args: argparse.Namespace) -> int:
    model: Path = args.model or discover().default_model
    from sdmission.model.units import check_units, iter_report

    problems = check_units(model, lenient_literals=args.lenient_literals)
    for line in iter_report(problems, model):
        print(line)
    if problems:
        print(f"{len(problems)} units problem{'s' if len(problems) != 1 else ''} in {model}")
        return 1
    print(f"units consistent: {model}")
    return 0
