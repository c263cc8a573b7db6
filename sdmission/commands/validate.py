"""``python -m sdmission validate FILE…``: check scenario files; exit 0 when all are valid, else 1."""

from __future__ import annotations

import argparse
from pathlib import Path

from sdmission.errors import InputError, Problem, SdmissionError
from sdmission.model.catalogue import Catalogue, load_catalogue
from sdmission.scenario.check import check_scenario
from sdmission.scenario.load import load_scenario

HELP = "check scenario files against the schema and their model (exit 0 valid, 1 problems)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="scenario .yaml files")
    parser.add_argument("--no-model", action="store_true",
                        help="check the schema and 'extends' only, not names and limits")


def run(args: argparse.Namespace) -> int:
    problems: list[Problem] = []
    catalogues: dict[Path, Catalogue] = {}
    for f in args.files:
        try:
            scn = load_scenario(f)
        except InputError as exc:
            problems += exc.problems
            continue
        found: list[Problem] = []
        if not args.no_model:
            try:
                if scn.model_path not in catalogues:
                    catalogues[scn.model_path] = load_catalogue(scn.model_path)
            except SdmissionError as exc:
                found.append(Problem(f"cannot read the model: {exc}", scn.file, None, "model"))
            else:
                found = check_scenario(scn, catalogues[scn.model_path])
        problems += found
        if not found:
            print(f"ok: {f} (scenario '{scn.name}', chain {scn.chain_text()}, "
                  f"{len(scn.levers)} levers, {len(scn.assumptions)} assumptions)")
    if problems:
        raise InputError(problems)
    return 0
