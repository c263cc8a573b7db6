"""``python -m sdmission calibrate``: the model's historical fit (MAPE, Theil statistics)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sdmission.settings import discover

HELP = "print the project model's fit to observed history (MAPE, Theil statistics); --fit re-estimates"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", type=Path, default=None,
                        help="Vensim model (default: models/sdmission.mdl in the project folder)")
    parser.add_argument("--fit", action="store_true", help="re-estimate the [calibrated] parameters (least squares)")
    parser.add_argument("--max-evaluations", type=int, default=80, help="model runs the fit may use")


def run(args: argparse.Namespace) -> int:
    model: Path = args.model or discover().default_model
    from sdmission.analysis.calibrate import evaluate, fit

    cal = fit(model, args.max_evaluations) if args.fit else evaluate(model)
    if cal.parameters:
        print("calibrated parameters:")
        for k, v in cal.parameters.items():
            print(f"  {k} = {v:g}")
    print(cal.table())
    for var in cal.fits:
        obs, sim = cal.observed[var], cal.simulated[var]
        print(f"\n{var}:  year  observed  simulated")
        for y in obs.index:
            print(f"{'':>{len(var) + 2}}{y}  {obs[y]:8.3f}  {sim[y]:9.3f}")
    return 0
