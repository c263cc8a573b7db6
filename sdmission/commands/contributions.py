"""``python -m sdmission contributions SCENARIO``: what each instrument of a mix contributes.

Decomposes the scenario minus its reference (``baseline``) over the instruments that differ —
Shapley (``2^k`` members in one batch-engine call) or leave-one-out — for GHG (2030, 2050,
cumulative), circularity and public cost, with the interaction term and each instrument's
cost-effectiveness (EUR/t CO2e). See :mod:`sdmission.analysis.contributions`.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import pandas as pd
import xarray as xr

from sdmission.commands._options import add_engine, add_scenarios_dir, command_line, settings_of
from sdmission.errors import InputError, Problem
from sdmission.model.catalogue import Catalogue
from sdmission.settings import language_suffix
from sdmission.study.case import Case, prepare

HELP = "contribution of each instrument of a scenario (Shapley or leave-one-out), wedge figure"
EPILOG = """examples:
  python -m sdmission contributions mission-mix
  python -m sdmission contributions mission-mix --method loo --lang nl
  python -m sdmission contributions invest-nl --reference levy-neutralised --format svg

output: results/contributions/<scenario>/contributions.csv (one row per instrument, then
interaction and total), contributions.nc (the decomposition over time) and wedge.<format> (Dutch: wedge_nl.<format>)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario name or .yaml path")
    parser.add_argument("--reference", default="baseline", metavar="SCENARIO",
                        help="what the contributions are measured against (default baseline)")
    parser.add_argument("--method", choices=("shapley", "loo"), default="shapley",
                        help="shapley (2^k runs, default) or loo (leave-one-out, k+2 runs)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default results/contributions/<scenario>)")
    add_scenarios_dir(parser)
    add_engine(parser, "batch")
    parser.add_argument("--lang", choices=("en", "nl"), default="en", help="figure language")
    parser.add_argument("--format", choices=("png", "svg", "pdf"), default="png",
                        help="figure format (default png)")


def _defaults(a: Case, b: Case) -> dict[str, xr.DataArray]:
    """The model's default of every input only one of the cases gives."""
    from sdmission.scenario.history import model_default

    grid = a.catalogue.time_grid(a.final_time)
    out: dict[str, xr.DataArray] = {}
    for name in set(a.inputs) ^ set(b.inputs):
        da = model_default(a.catalogue[name], a.model_path, grid)
        if da is None:
            raise InputError([Problem(f"'{name}' is set in one scenario only and its model default "
                                      "is not a number or time lookup; set it in both", key=name)])
        out[name] = da
    return out


#: What each part of a decomposed outcome is (the suffix of its variable name).
PARTS: dict[str, str] = {
    "contribution": "contribution of each instrument",
    "solo": "effect of each instrument on its own",
    "interaction": "interaction of the instruments",
    "reference": "reference scenario",
    "scenario": "scenario",
    "total": "scenario minus reference",
}


def labelled(ds: xr.Dataset, catalogue: Catalogue) -> xr.Dataset:
    """Units (pint, Vensim spelling kept) and a ``long_name`` on every ``<outcome>_<part>`` variable
    of a decomposition, from the model's own entry for ``<outcome>``."""
    from sdmission.study.results import pint_units, readable

    ds = ds.copy()
    for name in ds.data_vars:
        outcome, _, part = str(name).rpartition("_")
        var = catalogue.get(outcome)
        if var is None or part not in PARTS:
            raise InputError([Problem(f"unexpected variable '{name}' in the decomposition",
                                      key=str(name))])
        ds[name].attrs = {"units": pint_units(var.units), "units_vensim": var.units or "Dmnl",
                          "long_name": f"{readable(var.real_name)}: {PARTS[part]}"}
    return ds


def _fmt(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.4g}"


def run(args: argparse.Namespace) -> int:
    from sdmission.analysis import contributions as C
    from sdmission.model.translate import model_hash
    from sdmission.report.contributions import wedge_figure
    from sdmission.report.save import save_figure
    from sdmission.study.results import conform, provenance, write_netcdf

    settings = settings_of(args)
    scn_case, ref_case = prepare([args.scenario, args.reference], engine=args.engine,
                                 settings=settings)
    if scn_case.model_path != ref_case.model_path:
        raise InputError([Problem("the scenario and its reference use different models",
                                  key="--reference")])
    t0 = time.perf_counter()
    dec = C.contributions(scn_case.engine, scn_case.inputs, ref_case.inputs, method=args.method,
                          final_time=scn_case.final_time, defaults=_defaults(scn_case, ref_case))
    seconds = time.perf_counter() - t0
    start = scn_case.scenario.policy_start
    rows = C.summary(dec, start=start)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "instrument"
    out = args.out or settings.output_dir("contributions") / scn_case.name
    out.mkdir(parents=True, exist_ok=True)
    from sdmission.study.compare import write_csv

    write_csv(table.reset_index(), out / "contributions.csv")
    ds = conform(labelled(dec.ds, scn_case.catalogue), catalogue=None,
                 title=f"contributions of the instruments of '{scn_case.name}'",
                 attrs={**{k: str(v) for k, v in dec.ds.attrs.items()},
                        **provenance(model_path=scn_case.model_path,
                                     model_sha256=model_hash(scn_case.model_path),
                                     engine=scn_case.engine.name,
                                     command=command_line("contributions"),
                                     extra={"scenario": scn_case.name, "reference": ref_case.name,
                                            "policy_start": f"{start:g}"})})
    write_netcdf(ds, out / "contributions.nc")
    fig = wedge_figure(dec, scenario=scn_case.name, reference=ref_case.name, lang=args.lang,
                       start=start)
    figure = save_figure(fig, out / f"wedge{language_suffix(args.lang)}.{args.format}")
    print(f"contributions of '{scn_case.name}' against '{ref_case.name}' ({dec.method}, "
          f"{dec.members} runs in one engine call, {seconds:.1f} s); from {start:g}:")
    units = " / ".join(f"{c} [{u}]" for c, u in C.SUMMARY_COLUMNS.items())
    print(f"  columns: {units}")
    print(table.to_string(float_format=_fmt))
    print("  Shapley values add up to the total; 'interaction' is what the mix does beyond its "
          "instruments one at a time (shared out in the Shapley values)" if dec.method == "shapley"
          else "  leave-one-out: the instruments plus 'interaction' add up to the total")
    print(f"wrote {out / 'contributions.csv'}, {out / 'contributions.nc'} and {figure}")
    return 0
