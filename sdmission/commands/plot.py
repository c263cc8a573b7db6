"""``python -m sdmission plot``: report figures (PNG 300 dpi + SVG, PDF on request) from results.

Reads ``results/<scenario>.nc`` files (default: every ``results/*.nc``) and writes every report
figure with :func:`sdmission.report.save_all` (atomically, the one dpi policy of
:mod:`sdmission.report.save`) to ``--out`` (default ``results/figures``). Dutch figures get a
``_nl`` suffix so both languages can share a folder.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import xarray as xr

from sdmission.errors import InputError, Problem
from sdmission.report import save_all
from sdmission.report.save import FORMATS, parse_formats
from sdmission.report.style import SCENARIO_COLORS

HELP = "draw the report figures (PNG + SVG/PDF, English or Dutch) from results/*.nc"
DEFAULT_RESULTS: Final = Path("results")
DEFAULT_OUT: Final = DEFAULT_RESULTS / "figures"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", nargs="*", type=Path, metavar="RESULTS.nc",
                        help="result files (default: every results/*.nc)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder for the figures (default: %(default)s)")
    parser.add_argument("--lang", default="en", choices=("en", "nl"),
                        help="label language (default: %(default)s)")
    parser.add_argument("--format", default="png,svg", dest="formats",
                        help=f"comma-separated formats among {', '.join(FORMATS)} "
                             "(default: %(default)s)")
    parser.add_argument("--targets", default=None, metavar="SET",
                        help="target set to mark (default: the registry's default set)")


def run(args: argparse.Namespace) -> int:
    formats = parse_formats(args.formats)
    paths = list(args.results) or default_results()
    datasets = load_results(paths)
    written = save_all(datasets, args.out, lang=args.lang, formats=formats, targets=args.targets)
    for path in written:
        print(path)
    print(f"{len(written)} figure file(s) written to {args.out}")
    return 0


def default_results(folder: Path = DEFAULT_RESULTS) -> list[Path]:
    """Every ``*.nc`` in ``folder`` (shipped scenarios first, baseline leading; then by name);
    none is an error that says what to run first."""
    shipped = list(SCENARIO_COLORS)  # shipped scenarios first, in their documented order
    found = sorted(folder.glob("*.nc"), key=lambda p: (
        shipped.index(p.stem) if p.stem in shipped else len(shipped), p.stem))
    if not found:
        raise InputError([Problem("no result files (*.nc) found; run `python -m sdmission run` "
                                  "first or name the files", file=folder)])
    return found


def load_results(paths: Sequence[Path]) -> dict[str, xr.Dataset]:
    """``{scenario: Dataset}`` from netCDF files (scenario = the file's ``scenario`` coord or attr,
    else its stem). Missing or unreadable files are all reported at once."""
    problems: list[Problem] = []
    out: dict[str, xr.Dataset] = {}
    for path in paths:
        if not path.is_file():
            problems.append(Problem("result file not found", file=path))
            continue
        try:
            ds = xr.load_dataset(path)
        except (OSError, ValueError) as exc:
            problems.append(Problem(f"not a readable netCDF result file: {exc}", file=path))
            continue
        name = path.stem
        if "scenario" in ds.coords and ds["scenario"].ndim == 0:
            name = str(ds["scenario"].item())
        elif "scenario" in ds.attrs:
            name = str(ds.attrs["scenario"])
        if name in out:
            problems.append(Problem(f"scenario '{name}' is given twice", file=path))
            continue
        out[name] = ds
    if problems:
        raise InputError(problems)
    return out
