"""``python -m sdmission simulate MODEL.mdl [--engine pysd|batch] [--set NAME=VALUE …] [--out FILE.nc]``.

Runs any Vensim model with its own defaults (plus ``--set`` changes to constants) and writes every
variable to netCDF (default ``results/simulate/<model>.nc``) with the result conventions of
:func:`sdmission.study.results.conform`: pint units (the Vensim spelling in ``units_vensim``), a
readable ``long_name``, integer years, ``Conventions`` and provenance.
"""

from __future__ import annotations

import argparse
import difflib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from sdmission.commands._options import add_engine, command_line, settings_of
from sdmission.errors import InputError, ModelError, Problem
from sdmission.model import translate
from sdmission.study.results import conform, provenance, write_netcdf

HELP = "simulate one Vensim model with its defaults (and --set changes) and write a netCDF file"
_CONTROL = frozenset({"time", "initial_time", "final_time", "time_step", "saveper"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="Vensim .mdl file")
    add_engine(parser, "batch")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                        help="change a model constant (python or Vensim name); repeatable")
    parser.add_argument("--final-time", type=float, default=None, metavar="T",
                        help="override FINAL TIME")
    parser.add_argument("--out", type=Path, default=None,
                        help="output netCDF file (default: results/simulate/<model>.nc in the "
                             "project folder)")


def _doc(model_path: Path) -> list[dict[str, Any]]:
    """PySD's variable table as records (Real Name, Py Name, Units, Type, …)."""
    doc = translate.load(model_path).doc
    return [dict(r) for r in doc.to_dict("records")]


def parse_sets(sets: Sequence[str], doc: list[dict[str, Any]]) -> dict[str, float]:
    """``NAME=VALUE`` strings → ``{py_name: value}``; every problem is reported at once.

    NAME must be a model constant (PySD type ``Constant``), given by python or Vensim name; VALUE a
    finite float.
    """
    constants = {str(r["Py Name"]): r for r in doc if r.get("Type") == "Constant"}
    by_real = {str(r["Real Name"]).lower(): py for py, r in constants.items()}
    everything = {str(r["Py Name"]) for r in doc} | {str(r["Real Name"]) for r in doc}
    out: dict[str, float] = {}
    problems: list[Problem] = []
    for item in sets:
        key = f"--set {item}"
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            problems.append(Problem("expected NAME=VALUE", key=key))
            continue
        py = name if name in constants else by_real.get(name.lower())
        if py is None:
            if name in everything or name.lower() in {n.lower() for n in everything}:
                problems.append(Problem(f"'{name}' is not a constant of the model; only constants can be set",
                                        key=key))
            else:
                close = difflib.get_close_matches(name, list(constants) + [str(constants[c]["Real Name"])
                                                                           for c in constants], n=3)
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                problems.append(Problem(f"'{name}' is not a model constant{hint}", key=key))
            continue
        try:
            value = float(raw)
        except ValueError:
            problems.append(Problem(f"value '{raw.strip()}' is not a number", key=key))
            continue
        if not math.isfinite(value):
            problems.append(Problem(f"value '{raw.strip()}' is not a finite number", key=key))
            continue
        out[py] = value
    if problems:
        raise InputError(problems)
    return out


def simulate(model_path: Path, engine: str, sets: dict[str, float], final_time: float | None,
             doc: list[dict[str, Any]]) -> xr.Dataset:
    """Run the model and label the result (:func:`sdmission.study.results.conform`: units,
    long_name, integer years, provenance)."""
    from sdmission.model.catalogue import load_catalogue
    from sdmission.model.engines.factory import load_engine

    eng = load_engine(model_path, engine)
    inputs = {name: xr.DataArray(value) for name, value in sets.items()}
    # The same variables from both engines: everything but control variables and lookup tables.
    names = [str(r["Py Name"]) for r in doc
             if str(r["Py Name"]) not in _CONTROL and r.get("Type") != "Lookup"]
    ds = eng.run(inputs, return_vars=names, final_time=final_time)
    if "member" in ds.dims and ds.sizes["member"] == 1:
        ds = ds.isel(member=0, drop=True)
    attrs = provenance(model_path=model_path, model_sha256=translate.model_hash(model_path),
                       engine=eng.name, command=command_line("simulate"),
                       extra={"settings": "; ".join(f"{k}={v!r}" for k, v in sets.items()),
                              "final_time": "" if final_time is None else repr(final_time)})
    return conform(ds, catalogue=load_catalogue(model_path),
                   title=f"sdmission simulate '{model_path.name}'", attrs=attrs)


def _check_size(model_path: Path, final_time: float | None) -> None:
    """Horizon and memory limits (:mod:`sdmission.limits`) before the model is translated or run."""
    from sdmission import limits
    from sdmission.model import source

    model = source.read(model_path)
    grid = model.grid()
    t1 = grid.final if final_time is None else final_time
    if not math.isfinite(t1) or t1 <= grid.initial:
        raise InputError([Problem(f"final time {t1:g} must be a number after INITIAL TIME "
                                  f"{grid.initial:g}", key="--final-time")])
    limits.require(limits.check_horizon(grid.initial, t1, grid.step, key="--final-time"))
    times = limits.n_steps(grid.initial, t1, grid.step) + 1
    limits.require(limits.check_memory(
        f"{len(model.variables)} variables x {times:.0f} times", len(model.variables) * times,
        key="--final-time", reduce="choose an earlier --final-time"))


def run(args: argparse.Namespace) -> int:
    model_path: Path = args.model
    if not model_path.is_file():
        raise ModelError(f"model file not found: {model_path}")
    out: Path = args.out or settings_of(args).output_dir("simulate") / f"{model_path.stem}.nc"
    if out.suffix != ".nc":
        raise InputError([Problem(f"output must be a .nc file, got '{out}'", key="--out")])
    _check_size(model_path, args.final_time)
    doc = _doc(model_path)
    sets = parse_sets(args.sets, doc)
    ds = simulate(model_path, args.engine, sets, args.final_time, doc)
    write_netcdf(ds, out)
    print(f"wrote {out} ({len(ds.data_vars)} variables, {ds.sizes['time']} times, "
          f"engine {ds.attrs['engine']})")
    return 0
