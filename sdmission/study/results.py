"""Result Datasets: units, names and provenance on every variable; atomic netCDF and CSV files.

A scenario's result file ``results/<scenario>.nc`` holds one ``xarray.Dataset`` with dims ``time``
plus the model's subscripts (and ``member`` when more than one member ran), a scalar ``scenario``
coordinate, ``units``/``long_name``/``description``/``kind`` on every variable and flat provenance
attrs. ``results/<scenario>_headline.csv`` holds the headline outputs per year.
"""

from __future__ import annotations

import datetime as _dt
import shlex
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmission import __version__
from sdmission.constants import HEADLINE_OUTPUTS, INSTRUMENT, MEMBER, SCENARIO, TIME
from sdmission.errors import ModelError
from sdmission.io import atomic_write, library_write_error
from sdmission.model.catalogue import Catalogue

HEADLINE_EXTRA = ("public_cost_total",)
"""Headline columns written when the model has them (after :data:`HEADLINE_OUTPUTS`)."""


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def provenance(
    *,
    model_path: Path | str,
    model_sha256: str,
    engine: str,
    command: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Flat provenance attrs: versions, model file and hash, engine, command line, UTC time."""
    attrs = {
        "sdmission_version": __version__,
        "pysd_version": _version("pysd"),
        "numpy_version": np.__version__,
        "xarray_version": xr.__version__,
        "python_version": sys.version.split()[0],
        "model_path": str(model_path),
        "model_sha256": model_sha256,
        "engine": engine,
        "command": command if command is not None else shlex.join(sys.argv),
        "created_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    attrs.update(extra or {})
    return attrs


def build_dataset(
    raw: xr.Dataset,
    catalogue: Catalogue,
    *,
    scenario: str,
    attrs: Mapping[str, str] | None = None,
) -> xr.Dataset:
    """Label an engine's output: units and names from the catalogue, provenance in attrs.

    Parameters
    ----------
    raw
        Engine output with dims ``(member, time, <subscripts…>)``.
    catalogue
        The model's variable table (units, real names, comments, kinds).
    scenario
        Scenario name; becomes a scalar ``scenario`` coordinate and the ``scenario`` attr.
    attrs
        Provenance attrs (see :func:`provenance`); all values must be text.

    Returns
    -------
    xr.Dataset
        Dims ``(time, <subscripts…>)`` — ``member`` is dropped when it has length 1.
    """
    ds = raw
    if MEMBER in ds.dims and ds.sizes[MEMBER] == 1:
        ds = ds.isel({MEMBER: 0}, drop=True)
    ds = ds.assign_coords({SCENARIO: scenario})
    for name in ds.data_vars:
        var = catalogue.get(str(name))
        if var is None:
            raise ModelError(f"result variable '{name}' is not in the model's catalogue")
        ds[name].attrs = {
            "units": var.units or "1",
            "long_name": var.real_name,
            "description": var.comment,
            "kind": var.kind,
        }
    ds[TIME].attrs = {"units": "year", "long_name": "time"}
    ds[SCENARIO].attrs = {"long_name": "scenario"}
    ds.attrs = {"title": f"sdmission scenario '{scenario}'", "scenario": scenario, **(attrs or {})}
    bad = {k: type(v).__name__ for k, v in ds.attrs.items() if not isinstance(v, str)}
    if bad:
        raise TypeError(f"provenance attrs must be text; got {bad}")
    return ds


def headline_frame(ds: xr.Dataset) -> pd.DataFrame:
    """Tidy table of the headline outputs: ``year`` then one column per output.

    ``public_cost[instrument]`` becomes ``public_cost_<instrument>`` columns (MEUR/Year).
    Requires a single-member Dataset.
    """
    missing = [n for n in HEADLINE_OUTPUTS if n not in ds]
    if missing:
        raise ModelError(f"the model lacks headline outputs {missing}")
    if MEMBER in ds.dims:
        raise ValueError("headline CSVs are written for single-member results")
    years = np.asarray(ds[TIME].values, dtype=float)
    year_col: Any = years.astype(int) if np.allclose(years, np.round(years)) else years
    table: dict[str, Any] = {"year": year_col}
    for name in (*HEADLINE_OUTPUTS, *[n for n in HEADLINE_EXTRA if n in ds]):
        da = ds[name]
        if da.dims == (TIME,):
            table[name] = da.values + 0.0  # + 0.0 turns -0.0 into 0.0
        elif set(da.dims) == {TIME, INSTRUMENT}:
            for inst in da[INSTRUMENT].values:
                table[f"{name}_{inst}"] = da.sel({INSTRUMENT: inst}).transpose(TIME).values + 0.0
        else:
            raise ModelError(f"headline output '{name}' has unexpected dims {da.dims}")
    return pd.DataFrame(table)


def write_netcdf(ds: xr.Dataset, path: Path | str) -> Path:
    """Write ``ds`` to netCDF atomically (temp file + ``os.replace``); a full disk is named as such."""
    def write(tmp: Path) -> None:
        try:
            ds.to_netcdf(tmp)
        except RuntimeError as exc:  # netCDF says 'HDF error' where the disk is full
            raise library_write_error(tmp.parent, float(ds.nbytes), exc) from exc

    return atomic_write(path, write)


def write_headline_csv(ds: xr.Dataset, path: Path | str) -> Path:
    """Write :func:`headline_frame` of ``ds`` to CSV atomically."""
    frame = headline_frame(ds)
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.6g"))


def read_netcdf(path: Path | str) -> xr.Dataset:
    """Load a result file fully into memory (the file is closed on return)."""
    with xr.open_dataset(path) as ds:
        return ds.load()


def write_scenario_results(ds: xr.Dataset, out_dir: Path | str) -> tuple[Path, Path]:
    """Write ``<out>/<scenario>.nc`` and ``<out>/<scenario>_headline.csv``; return both paths."""
    name = str(ds.attrs["scenario"])
    out = Path(out_dir)
    frame = headline_frame(ds)  # fails before anything is written if outputs are missing
    nc = write_netcdf(ds, out / f"{name}.nc")
    csv = atomic_write(
        out / f"{name}_headline.csv", lambda tmp: frame.to_csv(tmp, index=False, float_format="%.6g")
    )
    return nc, csv
