"""``python -m sdmission levers``: every lever (or assumption) of the model, from its variable table.

One row per variable: name, units, limits, default (a number, or the lookup's first and last
points), which scenarios set it, and the model's description.
"""

from __future__ import annotations

import argparse
import csv
import sys
import textwrap
from pathlib import Path

import numpy as np

from sdmission.commands._options import add_scenarios_dir, settings_of
from sdmission.errors import InputError, Problem
from sdmission.messages import did_you_mean, fmt, show
from sdmission.model import source
from sdmission.model.catalogue import Catalogue, Kind, Variable, load_catalogue
from sdmission.scenario.history import model_default
from sdmission.scenario.load import SUFFIXES, Scenario, load_scenario

HELP = "list the model's levers (or --assumptions): units, limits, default, who sets them"
EPILOG = """examples:
  python -m sdmission levers
  python -m sdmission levers --assumptions
  python -m sdmission levers co2_levy_tariff invest_nl_equity
  python -m sdmission levers --csv > levers.csv"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these (default: all)")
    parser.add_argument("--model", type=Path, default=None,
                        help="Vensim model (default: models/sdmission.mdl in the project folder)")
    parser.add_argument("--assumptions", action="store_true",
                        help="list the exogenous assumptions instead of the levers")
    parser.add_argument("--csv", action="store_true", help="print CSV instead of a text table")
    add_scenarios_dir(parser)


def default_text(var: Variable, model: Path) -> str:
    """The model's default of ``var`` as short text."""
    if not var.dims:
        try:
            xs, ys = source.default_path(model, var.py_name)
        except InputError:
            return "(equation)"
        if len(xs) == 1:
            return f"{ys[0]:g}"
        return f"lookup {xs[0]:g}: {ys[0]:g} … {xs[-1]:g}: {ys[-1]:g}"
    da = model_default(var, model, np.zeros(1))
    if da is None:
        return "(equation)"
    return ", ".join(f"{v:g}" for v in np.asarray(da.values).ravel())


def scenarios_setting(folder: Path) -> dict[str, list[str]]:
    """Variable -> names of the scenario files (in ``folder``) that set it themselves."""
    out: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.suffix not in SUFFIXES:
            continue
        try:
            scn: Scenario = load_scenario(path)
        except InputError:
            continue
        for (_section, key), (file, _line) in scn.origins.items():
            if file == scn.file.resolve() or file == scn.file:
                out.setdefault(key, []).append(scn.name)
    return out


def _rows(catalogue: Catalogue, model: Path, kind: Kind, names: list[str], folder: Path
          ) -> list[dict[str, str]]:
    setters = scenarios_setting(folder)
    variables = [v for v in catalogue.of_kind(kind) if not names or v.py_name in names]
    return [{
        "name": v.py_name,
        "units": v.units,
        "limits": v.limits_text(),
        "dims": ",".join(v.dims),
        "default": default_text(v, model),
        "set_by": " ".join(setters.get(v.py_name, [])),
        "description": " ".join(v.comment.split()),
    } for v in variables]


def run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    model: Path = args.model or settings.default_model
    catalogue = load_catalogue(model)
    kind: Kind = "assumption" if args.assumptions else "lever"
    pool = [v.py_name for v in catalogue.of_kind(kind)]
    unknown = [n for n in args.names if n not in pool]
    if unknown:
        raise InputError([Problem(fmt(f"unknown {kind}", given=show(n), allowed=pool,
                                      suggestion=did_you_mean(n, pool)), key="NAME")
                          for n in unknown])
    rows = _rows(catalogue, model, kind, list(args.names), settings.scenarios_dir)
    if args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["name"])
        writer.writeheader()
        writer.writerows(rows)
        return 0
    print(f"{len(rows)} {kind}s of {model}:")
    for r in rows:
        dims = f"[{r['dims']}]" if r["dims"] else ""
        print(f"\n{r['name']}{dims}  ({r['units'] or '-'}, limits {r['limits']})")
        print(f"  default: {r['default']}")
        print(f"  set by:  {r['set_by'] or '-'}")
        for line in textwrap.wrap(r["description"], 96):
            print(f"  {line}")
    return 0
