"""``python -m sdmission scenarios``: the scenarios of the scenarios folder and what each sets."""

from __future__ import annotations

import argparse
import textwrap

from sdmission.commands._options import add_scenarios_dir, settings_of
from sdmission.errors import InputError
from sdmission.scenario.load import SUFFIXES, Scenario, load_scenario

HELP = "list the scenarios: description, extends chain, policy start, levers each file sets"
EPILOG = """examples:
  python -m sdmission scenarios
  python -m sdmission scenarios --scenarios-dir my/scenarios
  python -m sdmission scenarios mission-mix"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="SCENARIO", help="only these (default: all)")
    add_scenarios_dir(parser)


def own_keys(scn: Scenario, section: str) -> list[str]:
    """Keys of ``section`` the scenario's own file sets (not inherited)."""
    leaf = scn.file.resolve()
    return [k for (s, k), (f, _) in scn.origins.items() if s == section and f.resolve() == leaf]


def run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    folder = settings.scenarios_dir
    paths = sorted(p for p in folder.glob("*") if p.suffix in SUFFIXES) if folder.is_dir() else []
    if args.names:
        from sdmission.study.case import resolve_scenarios

        paths = resolve_scenarios(args.names, folder)
    problems = []
    print(f"{len(paths)} scenario files in {folder}:")
    for path in paths:
        try:
            scn = load_scenario(path)
        except InputError as exc:
            problems += exc.problems
            print(f"\n{path.stem}: does not load (see below)")
            continue
        flags = " (abstract)" if scn.abstract else ""
        history = ("counterfactual history" if scn.counterfactual_history else
                   f"history of {scn.history_path.stem}" if scn.history_path else "own history")
        print(f"\n{scn.name}{flags}  [{scn.chain_text()}; levers from {scn.policy_start:g}, "
              f"{history}]")
        for line in textwrap.wrap(" ".join(scn.description.split()), 96):
            print(f"  {line}")
        levers, assumptions = own_keys(scn, "levers"), own_keys(scn, "assumptions")
        if levers:
            print(f"  sets levers: {', '.join(levers)}")
        if assumptions:
            print(f"  sets assumptions: {', '.join(assumptions)}")
    if problems:
        raise InputError(problems)
    return 0
