"""``python -m sdmission run [SCENARIO …]``: simulate scenarios, write results, print target checks."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import xarray as xr
from tqdm import tqdm

from sdmission.commands._options import (
    add_engine,
    add_out,
    add_scenarios_dir,
    command_line,
    progress_bar,
    settings_of,
)
from sdmission.errors import SdmissionError
from sdmission.settings import language_folder
from sdmission.study.case import prepare
from sdmission.study.compare import is_percent, shown, targets_frame, write_csv
from sdmission.study.results import write_scenario_results
from sdmission.study.run import simulate_case
from sdmission.study.targets import TargetCheck, TargetSet, check

HELP = "run scenarios: write results/runs/<scenario>.nc, a headline CSV and the target table (CSV)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO",
        help="scenario name (in the scenarios folder) or path to a .yaml file; "
             "default: every scenario that is not abstract",
    )
    add_out(parser)
    add_scenarios_dir(parser)
    add_engine(parser, "batch")
    parser.add_argument("--targets", default=None, metavar="SET",
                        help="target set to check (default: each scenario's own, else 'design')")
    parser.add_argument("--plots", action="store_true", help="also write the report figures")
    parser.add_argument("--lang", choices=("en", "nl"), default="en",
                        help="figure language for --plots (default: %(default)s); Dutch figures go "
                             "into the nl/ sub-folder of the figures folder")


def format_target_table(scenario: str, checks: list[TargetCheck]) -> str:
    """Plain-text table of target checks for one scenario (fractions in %, as in the CSV)."""
    header = ("target", "year", "threshold", "value", "status", "first met", "gap")
    rows = [header]
    for c in checks:
        t = c.target
        rows.append((
            t.label or t.id,
            str(t.year),
            f"{t.sense} {shown(t, t.threshold):.4g} {'%' if is_percent(t) else t.units}",
            f"{shown(t, c.value):.4g}",
            "met" if c.met else "NOT MET",
            str(c.first_year_met) if c.first_year_met is not None else "-",
            f"{shown(t, c.gap):.3g}",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [f"targets for scenario '{scenario}':"]
    for i, r in enumerate(rows):
        lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))
        if i == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _target_report(ds: xr.Dataset, tset: TargetSet, out: Path) -> str:
    """The target table (also written as ``<out>/<scenario>_targets.csv``); targets after the
    run's last year are listed as not evaluated."""
    last = float(ds["time"].max())
    inside = tuple(t for t in tset.targets if t.year <= last)
    outside = [t for t in tset.targets if t.year > last]
    name = str(ds.attrs.get("scenario", ""))
    checks = check(ds, dataclasses.replace(tset, targets=inside)) if inside else []
    if checks:
        write_csv(targets_frame({name: checks}), out / f"{name}_targets.csv")
    text = (format_target_table(name, checks)
            if inside else f"targets for scenario '{name}': none within the simulated years")
    if outside:
        text += "\n  not evaluated (after the run's final time {:g}): {}".format(
            last, ", ".join(t.label or t.id for t in outside))
    return text


def _save_figures(datasets: list[xr.Dataset], out: Path, lang: str) -> None:
    """``--plots``: the report figures (:func:`sdmission.report.figures.save_all`)."""
    try:
        from sdmission.report import figures
    except ImportError as exc:
        raise SdmissionError(f"--plots: sdmission.report.figures is not available ({exc})") from exc
    written = figures.save_all(datasets, out, lang)
    if written:
        print(f"figures: {len(list(written))} files in {out}")


def run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    out = args.out or settings.output_dir("run")
    # 1. Every scenario loaded and checked against its model before anything runs.
    cases = prepare(args.scenarios, engine=args.engine, targets=args.targets, settings=settings)
    # 2. Simulate, write, check targets.
    command = command_line(None)
    datasets: list[xr.Dataset] = []
    bar = progress_bar(args, cases, desc="scenarios", unit="scenario")
    for case in bar:
        bar.set_postfix_str(case.name)
        ds = simulate_case(case, command=command)
        nc, csv = write_scenario_results(ds, out)
        datasets.append(ds)
        tqdm.write(f"{case.name}: wrote {nc} and {csv}", file=sys.stdout)
        tqdm.write(_target_report(ds, case.target_set, out), file=sys.stdout)
    # 3. Figures.
    if args.plots:
        # where `plot` writes them: results/figures (Dutch: results/figures/nl) by default, else
        # <out>/figures (Dutch: <out>/figures/nl)
        figures = (settings.figures_dir(args.lang) if args.out is None
                   else language_folder(out / "figures", args.lang))
        _save_figures(datasets, figures, args.lang)
    return 0
