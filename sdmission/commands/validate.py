"""``python -m sdmission validate FILE…``: check scenario files; exit 0 when all are valid, else 1.

The checks are those of :func:`sdmission.study.case.prepare` (schema, ``extends``, names, kinds,
units and limits against the model), file by file, and that no lever's own path changes a year
before ``policy_start`` (unless ``counterfactual_history: true``): each valid file is listed, every problem of
every file is reported; no engine is built. Inputs whose meaning the model narrowed
(:data:`sdmission.scenario.check.NARROWED`) are reported as warnings on stderr (exit 0).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sdmission.errors import InputError, Problem
from sdmission.model.catalogue import Catalogue
from sdmission.scenario.check import warnings
from sdmission.study.case import check_file

HELP = "check scenario files against the schema and their model (exit 0 valid, 1 problems)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="scenario .yaml files")
    parser.add_argument("--no-model", action="store_true",
                        help="check the schema and 'extends' only, not names and limits")


def run(args: argparse.Namespace) -> int:
    problems: list[Problem] = []
    catalogues: dict[Path, Catalogue] = {}
    for f in args.files:
        scn, found = check_file(f, catalogues, model=not args.no_model, history=True, blocks=True)
        problems += found
        for w in warnings(scn) if scn is not None else []:
            print(f"warning: {w}", file=sys.stderr)
        if scn is not None and not found:
            print(f"ok: {f} (scenario '{scn.name}', chain {scn.chain_text()}, "
                  f"{len(scn.levers)} levers, {len(scn.assumptions)} assumptions)")
    if problems:
        raise InputError(problems)
    return 0
