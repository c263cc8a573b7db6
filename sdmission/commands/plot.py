"""``python -m sdmission plot``: report figures (PNG 300 dpi + SVG, PDF on request) from results.

Reads the files ``run`` writes, ``results/runs/<scenario>.nc`` (default: every one of them), and
writes every report figure with :func:`sdmission.report.save_all` (atomically, the one dpi policy of
:mod:`sdmission.report.save`) to ``--out``, by default ``results/figures/`` in English and
``results/figures/nl/`` in Dutch (:meth:`sdmission.settings.Settings.figures_dir`), so a report
author takes every file of the Dutch folder as it is. Dutch files also end in ``_nl``, so both
languages can share a folder given with ``--out``. An ``ensemble`` file
(``results/ensembles/<name>.nc``) named on the command line gives its fan charts, in the same folder.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import xarray as xr

from sdmission.commands._options import settings_of
from sdmission.errors import InputError, Problem
from sdmission.report import save_all
from sdmission.report.figures import REPORT_TARGETS
from sdmission.report.save import FORMATS, parse_formats
from sdmission.report.style import SCENARIO_COLORS

HELP = "draw the report figures (PNG + SVG/PDF, English or Dutch) from results/runs/*.nc"
EPILOG = """examples:
  python -m sdmission plot
  python -m sdmission plot results/runs/baseline.nc results/runs/mission-mix.nc --lang nl --format png,pdf
  python -m sdmission plot results/ensembles/ensemble.nc --format png --lang nl

reads: results/runs/*.nc (what `run` writes) unless files are named; an ensemble file
(results/ensembles/<name>.nc) gives fan charts. writes: results/figures/, Dutch figures (--lang nl)
into results/figures/nl/ (their files end in _nl); --out FOLDER is used as given."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", nargs="*", type=Path, metavar="RESULTS.nc",
                        help="result files of run or ensemble (default: every results/runs/*.nc)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the figures (default: results/figures/ in the project "
                             "folder, with --lang nl results/figures/nl/)")
    parser.add_argument("--lang", default="en", choices=("en", "nl"),
                        help="label language (default: %(default)s)")
    parser.add_argument("--format", default="png,svg", dest="formats",
                        help=f"comma-separated formats among {', '.join(FORMATS)} "
                             "(default: %(default)s)")
    parser.add_argument("--targets", default=None, metavar="SET",
                        help="target set(s) to mark, several joined by '+' (default: "
                             f"{REPORT_TARGETS})")
    parser.add_argument("--title", action=argparse.BooleanOptionalAction, default=False,
                        help="titles on the figures (default: --no-title; report authors write "
                             "their own captions)")


def run(args: argparse.Namespace) -> int:
    formats = parse_formats(args.formats)
    settings = settings_of(args)
    args.out = args.out or settings.figures_dir(args.lang)
    paths = list(args.results) or default_results(settings.output_dir("run"))
    ensembles = [p for p in paths if _is_ensemble(p)]
    written = [f for p in ensembles
               for f in _fan_charts(p, args.out, formats, args.targets, args.lang, args.title)]
    runs = [p for p in paths if p not in ensembles]
    if runs:
        datasets = load_results(runs)
        written += save_all(datasets, args.out, lang=args.lang, formats=formats,
                            targets=args.targets, title=args.title)
    for path in written:
        print(path)
    print(f"{len(written)} figure file(s) written to {args.out}")
    return 0


def _is_ensemble(path: Path) -> bool:
    """An ``ensemble`` result (dims scenario and member) rather than one run per file."""
    if not path.is_file():
        return False
    try:
        with xr.open_dataset(path) as ds:
            return "member" in ds.dims and "scenario" in ds.dims
    except (OSError, ValueError):
        return False


def _fan_charts(path: Path, out: Path, formats: Sequence[str], targets: str | None,
                lang: str = "en", title: bool = False) -> list[Path]:
    """Fan charts of an ensemble file (every ``(scenario, member, time)`` variable)."""
    from sdmission.report.save import save_formats
    from sdmission.report.uncertainty import fan_chart, fan_title
    from sdmission.study.targets import DEFAULT_SET, get_target_set

    ds = xr.load_dataset(path)
    fans = [str(v) for v in ds.data_vars if set(ds[v].dims) == {"scenario", "member", "time"}]
    if not fans:
        raise InputError([Problem("an ensemble file without (scenario, member, time) variables",
                                  file=path)])
    fig = fan_chart(ds, fans, target_set=get_target_set(targets or DEFAULT_SET), lang=lang,
                    title=fan_title(ds, lang) if title else None)
    return save_formats(fig, out, f"{path.stem}_fans{'_nl' if lang == 'nl' else ''}", formats)


def default_results(folder: Path) -> list[Path]:
    """Every ``*.nc`` in ``folder`` (``results/runs``; shipped scenarios first, baseline leading;
    then by name); none is an error that says what to run first."""
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
        if "ST" in ds.data_vars:
            problems.append(Problem("a sensitivity result (Sobol' indices): `sensitivity` draws "
                                    "its figure (<scenario>_sobol.png beside it)", file=path))
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
