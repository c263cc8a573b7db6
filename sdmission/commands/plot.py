"""``python -m sdmission plot``: report figures (PNG 300 dpi + SVG, PDF on request) from results.

Reads ``results/<scenario>.nc`` files (default: every ``results/*.nc``), draws every figure of
:func:`sdmission.report.figures.all_figures` and writes them atomically to ``--out`` (default
``results/figures``). Dutch figures get a ``_nl`` suffix so both languages can share a folder.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import xarray as xr
from matplotlib.figure import Figure

from sdmission.errors import InputError, Problem
from sdmission.io import atomic_write

HELP = "draw the report figures (PNG + SVG/PDF, English or Dutch) from results/*.nc"
DEFAULT_RESULTS: Final = Path("results")
DEFAULT_OUT: Final = DEFAULT_RESULTS / "figures"
FORMATS: Final = ("png", "svg", "pdf")
PNG_DPI: Final = 300


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


def parse_formats(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"png,svg"`` (or a sequence) → ``("png", "svg")``; unknown formats raise InputError."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = tuple(dict.fromkeys(i.strip().lower().lstrip(".") for i in items if i.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise InputError([Problem(f"unknown figure format(s) {', '.join(bad) or '(none given)'}; "
                                  f"allowed: {', '.join(FORMATS)}", key="--format")])
    return out


def default_results(folder: Path = DEFAULT_RESULTS) -> list[Path]:
    """Every ``*.nc`` in ``folder`` (shipped scenarios first, baseline leading; then by name);
    none is an error that says what to run first."""
    from sdmission.report.figures import SCENARIO_COLORS

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


def save_figure(fig: Figure, out_dir: Path, stem: str, formats: Sequence[str]) -> list[Path]:
    """Write ``fig`` as ``out_dir/stem.<fmt>`` for each format, each via a temp file + os.replace."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = out_dir / f"{stem}.{fmt}"
        # Fixed metadata: the same results give the same SVG/PDF bytes.
        metadata = {"Date": None} if fmt in ("svg", "pdf") else None
        atomic_write(target, lambda tmp: fig.savefig(tmp, format=fmt, dpi=PNG_DPI, metadata=metadata))  # noqa: B023
        written.append(target)
    return written


def save_all(
    datasets: xr.Dataset | Mapping[str, xr.Dataset] | Sequence[xr.Dataset],
    out_dir: Path | str,
    lang: str = "en",
    formats: Sequence[str] = ("png", "svg"),
    targets: object = None,
) -> list[Path]:
    """Draw and write every report figure; the entry point of ``plot`` and ``run --plots``.

    Parameters
    ----------
    datasets
        ``{scenario: result Dataset}``, or a list of result Datasets named by their ``scenario``
        coordinate (dims ``time`` [, ``member``] + subscripts).
    out_dir
        Folder for the files (created if missing).
    lang
        ``"en"`` or ``"nl"`` (Dutch file names end in ``_nl``).
    formats
        Any of ``png`` (300 dpi), ``svg``, ``pdf``.
    targets
        A :class:`~sdmission.study.targets.TargetSet`, a set name, or ``None`` for the registry's
        default set.

    Returns
    -------
    list of Path
        The files written, figure by figure.
    """
    from sdmission.report import figures as plots
    from sdmission.report import labels
    from sdmission.study.targets import DEFAULT_SET, TargetSet, get_target_set

    labels.check_lang(lang)
    fmts = parse_formats(formats)
    if targets is None:
        target_set = get_target_set(DEFAULT_SET)
    elif isinstance(targets, str):
        target_set = get_target_set(targets)
    elif isinstance(targets, TargetSet):
        target_set = targets
    else:
        raise InputError([Problem(f"targets must be a TargetSet or a set name, not "
                                  f"{type(targets).__name__}", key="targets")])
    out = Path(out_dir)
    suffix = "" if lang == "en" else f"_{lang}"
    written: list[Path] = []
    for stem, fig in plots.all_figures(datasets, target_set, lang=lang):
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)  # scenario names end up in file names
        written += save_figure(fig, out, safe + suffix, fmts)
    return written
