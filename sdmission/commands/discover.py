"""``python -m sdmission discover ENSEMBLE.nc``: PRIM boxes of the futures where a target fails.

Reads an ensemble file written by ``ensemble`` (outputs and inputs), checks each scenario against
its target set and, for every target that fails in some but not all futures, finds the PRIM box
(see :mod:`sdmission.analysis.discovery`). Writes ``<out>/<stem>_prim_<scenario>_<target>.png`` and
``<out>/<stem>_discovery.txt`` (``--out`` default ``results/discovery``) and prints the
plain-language summaries.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sdmission.commands._options import progress_bar, settings_of
from sdmission.errors import InputError, Problem
from sdmission.report.options import add_figure_arguments

if TYPE_CHECKING:
    import xarray as xr

    from sdmission.study.targets import TargetSet

HELP = "scenario discovery: PRIM boxes of the futures in which a target fails"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ensemble", type=Path, metavar="ENSEMBLE.nc",
                        help="a file written by 'python -m sdmission ensemble'")
    parser.add_argument("--scenario", action="append", default=None,
                        help="scenario(s) to analyse (default: all)")
    parser.add_argument("--target", action="append", default=None,
                        help="target id(s) to analyse (default: all of the scenario's set)")
    parser.add_argument("--alpha", type=float, default=0.05, help="peeling share (default 0.05)")
    parser.add_argument("--min-mass", type=float, default=0.05,
                        help="smallest box, as a share of all futures (default 0.05)")
    parser.add_argument("--min-coverage", type=float, default=0.5,
                        help="coverage the chosen box must keep (default 0.5)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: results/discovery/ in the project folder)")
    add_figure_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from sdmission.analysis import discovery as D
    from sdmission.io import atomic_write_text
    from sdmission.messages import did_you_mean, fmt, show
    from sdmission.report.save import save_figure
    from sdmission.report.uncertainty import prim_plot, prim_title
    from sdmission.study.results import read_netcdf
    from sdmission.study.targets import check_all, get_target_set

    if not args.ensemble.is_file():
        raise InputError([Problem("ensemble file not found", args.ensemble)])
    ds = read_netcdf(args.ensemble)
    if "input_value" not in ds or "scenario" not in ds.dims or "target_set" not in ds.coords:
        raise InputError([Problem("not an ensemble file (no input_value, scenario dim or "
                                  "target_set coord); write one with 'python -m sdmission "
                                  "ensemble'", args.ensemble)])
    names = [str(s) for s in ds["scenario"].values]
    problems = [Problem(fmt("unknown scenario", given=show(s), allowed=names,
                            suggestion=did_you_mean(s, names)), args.ensemble, key="--scenario")
                for s in (args.scenario or []) if s not in names]
    if problems:
        raise InputError(problems)
    out = args.out or settings_of(args).output_dir("discover")
    stem = args.ensemble.stem
    texts: list[str] = []
    written: list[Path] = []
    jobs: list[tuple[str, str, TargetSet, xr.Dataset]] = []
    for s in args.scenario or names:
        sub = ds.sel(scenario=s)
        tset = get_target_set(str(sub["target_set"].values))
        checks = check_all(sub, tset)
        ids = [t.id for t in tset.targets]
        for t in args.target or ids:
            if t not in ids:
                raise InputError([Problem(fmt(f"unknown target for set '{tset.name}'", given=show(t),
                                              allowed=ids, suggestion=did_you_mean(t, ids)),
                                          key="--target")])
            jobs.append((s, t, tset, checks))
    for s, t, tset, checks in progress_bar(args, jobs, desc="PRIM", unit="target"):
        target = tset.get(t)
        x, missed, labels = D.ensemble_xy(ds, checks, s, t)
        if not missed.any():
            texts.append(f"In scenario '{s}' the target '{t}' ({target.label}) is met in "
                         f"every one of {missed.size} futures.")
            continue
        res = D.prim(x, missed, labels, alpha=args.alpha, min_mass=args.min_mass,
                     min_coverage=args.min_coverage)
        texts.append(D.describe(res, target, scenario=s))
        if res.box.restricted:
            fig = prim_plot(res, lang=args.lang, target=target, scenario=s,
                            title=prim_title(s, target, args.lang) if args.title else None)
            written.append(save_figure(fig, out / f"{stem}_prim_{s}_{t}.png"))
    body = "\n\n".join(texts) + "\n"
    written.append(atomic_write_text(out / f"{stem}_discovery.txt", body))
    print(body)
    for p in written:
        print(f"wrote {p}")
    return 0
