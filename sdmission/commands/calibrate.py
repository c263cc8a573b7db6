"""``python -m sdmission calibrate``: the model's historical fit (MAPE, Theil statistics), in and out of sample."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from sdmission.settings import discover

HELP = ("print the project model's fit to observed history (MAPE, Theil statistics); --fit re-estimates; "
        "--fit-window A B --holdout C D fits on A-B and tests on C-D")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", type=Path, default=None,
                        help="Vensim model (default: models/sdmission.mdl in the project folder)")
    parser.add_argument("--fit", action="store_true", help="re-estimate the [calibrated] parameters (least squares)")
    parser.add_argument("--fit-window", nargs=2, type=int, metavar=("A", "B"), default=None,
                        help="fit on the years A-B only (implies --fit; default 2015-2023)")
    parser.add_argument("--holdout", nargs=2, type=int, metavar=("C", "D"), default=None,
                        help="report out-of-sample statistics on C-D (after the fit window)")
    parser.add_argument("--fit-series", nargs="+", default=None, metavar="NAME",
                        help="series in the fit objective (default: those marked fit in calibration_series.csv)")
    parser.add_argument("--prior-weight", type=float, default=1.0,
                        help="weight of the prior (each range read as a 95 %% normal interval); 0 = plain least squares")
    parser.add_argument("--max-evaluations", type=int, default=80, help="model evaluations the fit may use")
    parser.add_argument("--engine", choices=("batch", "pysd"), default="batch", help="simulation engine")
    parser.add_argument("--markdown", action="store_true", help="also print the fit table as Markdown")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for calibration.csv and parameters.csv (default: results/calibration)")


def run(args: argparse.Namespace) -> int:
    from sdmission.analysis.calibrate import (
        CALIBRATION_YEARS,
        OBSERVATION_ERROR,
        evaluate,
        fit,
        holdout_rmse,
        projection_checks,
    )
    from sdmission.errors import InputError, Problem
    from sdmission.io import atomic_write_csv

    settings = discover()
    model: Path = args.model or settings.default_model
    if args.holdout and not args.fit_window:
        raise InputError([Problem("needs --fit-window A B (the years the parameters are fitted on)", key="--holdout")])
    window: tuple[int, int] = (args.fit_window[0], args.fit_window[1]) if args.fit_window else CALIBRATION_YEARS
    holdout: tuple[int, int] | None = (args.holdout[0], args.holdout[1]) if args.holdout else None
    if args.fit or args.fit_window:
        cal = fit(model, args.max_evaluations, fit_window=window, holdout=holdout,
                  fit_series=args.fit_series, engine=args.engine, prior_weight=args.prior_weight)
    else:
        cal = evaluate(model, engine=args.engine)
    for note in cal.notes:
        print(f"note: {note}")
    if cal.estimates:
        print(f"calibrated parameters (fitted on {window[0]}-{window[1]}):")
        print(cal.parameter_table())
        at_bound = [e for e in cal.estimates if e.at_bound]
        for e in at_bound:
            print(f"  warning: {e.name} = {e.value:g} sits at its {e.at_bound} bound [{e.low:g}, {e.high:g}]")
    print(cal.table())
    if args.markdown:
        print()
        print(cal.markdown())
    for var in cal.observed:
        obs, sim = cal.observed[var], cal.simulated[var]
        print(f"\n{var}:  year  observed  simulated")
        for y in obs.index:
            print(f"{'':>{len(var) + 2}}{y}  {obs[y]:8.3f}  {sim[y]:9.3f}")
    # Projections against published ranges. Tolerance: the out-of-sample error (holdout RMSE) of the
    # endogenous part, industry GHG, when there is a holdout; else the inventories' observation error.
    rmse = holdout_rmse(cal, "industry_ghg")
    scenario = settings.scenarios_dir / "baseline.yaml"
    checks = projection_checks(model, cal.parameters, scenario=scenario if scenario.exists() else None,
                               engine=args.engine)
    for i, c in enumerate(checks):
        if rmse is not None and holdout:
            tol, basis = rmse, f"holdout RMSE of industry_ghg {holdout[0]}-{holdout[1]}"
        else:
            tol, basis = OBSERVATION_ERROR * c.model, f"inventory observation error {OBSERVATION_ERROR:.0%}"
        checks[i] = dataclasses.replace(c, tolerance=tol, tolerance_basis=basis)
    if checks:
        src = scenario.name if scenario.exists() else "the model's own defaults"
        print(f"\nprojections against published ranges ({src}):")
        for c in checks:
            tol_s = (f"; tolerance {c.tolerance:.1f} ({c.tolerance_basis}): "
                   f"{'within' if c.within_tolerance else 'outside'}") if c.tolerance is not None else ""
            print(f"  {c.name}: {c.variable} {c.year} = {c.model:.1f}, range {c.low:g}-{c.high:g}, "
                  f"distance {c.distance:+.1f}{tol_s}")
    out = args.out or settings.results_dir / "calibration"
    atomic_write_csv(cal.rows(), out / "calibration.csv")
    written = [out / "calibration.csv"]
    if cal.estimates:
        atomic_write_csv(cal.parameter_rows(), out / "parameters.csv")
        written.append(out / "parameters.csv")
    if checks:
        atomic_write_csv([c.row() for c in checks], out / "projections.csv")
        written.append(out / "projections.csv")
    print("\nwrote " + ", ".join(str(p) for p in written))
    return 0
