"""Figure inputs: results as ``{scenario: Dataset}``, required variables, observed history."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final, cast

import numpy as np
import pandas as pd
import xarray as xr

from sdmission.constants import (
    MEMBER,
    SCENARIO,
    TIME,
)
from sdmission.errors import InputError, Problem
from sdmission.study.economics import public_cost_total

Runs = xr.Dataset | Mapping[str, xr.Dataset] | Sequence[xr.Dataset]


# --------------------------------------------------------------------------------------------------
# Observed history (copied from shared/data/observed with its source column)
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Observed:
    """An observed yearly series: ``years`` (int, (n,)), ``values`` (float, (n,)) in ``unit``."""

    name: str
    years: np.ndarray
    values: np.ndarray
    unit: str
    source: str


@functools.cache
def observed(name: str) -> Observed:
    """Read ``sdmission/data/observed/<name>.csv`` (columns year, value, unit, source[, note])."""
    path = resources.files("sdmission") / "data" / "observed" / f"{name}.csv"
    with resources.as_file(path) as file:
        if not file.is_file():
            raise FileNotFoundError(f"observed series '{name}' is not shipped ({file})")
        frame = pd.read_csv(file)
    return Observed(
        name=name,
        years=frame["year"].to_numpy(dtype=int),
        values=frame["value"].to_numpy(dtype=float),
        unit=str(frame["unit"].iloc[0]),
        source=str(frame["source"].iloc[0]),
    )


OBSERVED_NATIONAL: Final = "nl_ghg_total_klimaatwet_scope_mt"
OBSERVED_INDUSTRY: Final = "nl_ghg_industry_klimaatsector_mt"
OBSERVED_CMU: Final = "nl_circular_material_use_rate_pct"


# --------------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------------

def as_runs(data: Runs) -> dict[str, xr.Dataset]:
    """Normalise results to ``{scenario name: Dataset}`` (order kept).

    A single Dataset is named by its ``scenario`` coordinate or attr (``"scenario"`` if neither);
    a Dataset with a ``scenario`` dim is split along it; a list of Datasets is named the same way.
    """
    if isinstance(data, xr.Dataset):
        if SCENARIO in data.dims:
            return {str(s): data.sel({SCENARIO: s}) for s in data[SCENARIO].values}
        return {_scenario_name(data): data}
    if isinstance(data, Sequence) and not isinstance(data, str):
        out_list: dict[str, xr.Dataset] = {}
        for i, ds in enumerate(data):
            if not isinstance(ds, xr.Dataset):
                raise InputError([Problem(f"results[{i}] is a {type(ds).__name__}, not an "
                                          "xarray.Dataset", key="results")])
            name = _scenario_name(ds)
            if name in out_list:
                raise InputError([Problem(f"scenario '{name}' is given twice", key="results")])
            out_list[name] = ds
        if out_list:
            return out_list
    if not isinstance(data, Mapping) or not data:
        raise InputError([Problem("figures need at least one result Dataset", key="results")])
    out: dict[str, xr.Dataset] = {}
    for name, ds in cast(Mapping[str, Any], data).items():
        if not isinstance(ds, xr.Dataset):
            raise InputError([Problem(f"results '{name}' is a {type(ds).__name__}, not an "
                                      "xarray.Dataset", key="results")])
        out[str(name)] = ds
    return out


def _scenario_name(ds: xr.Dataset) -> str:
    if SCENARIO in ds.coords and ds[SCENARIO].ndim == 0:
        return str(ds[SCENARIO].item())
    return str(ds.attrs.get(SCENARIO, SCENARIO))


def require(runs: Mapping[str, xr.Dataset], variables: Sequence[str], figure: str) -> None:
    """Raise :class:`InputError` naming every variable a figure needs that a run lacks."""
    problems = []
    for name, ds in runs.items():
        missing = [v for v in variables if v not in ds.data_vars]
        if missing:
            problems.append(Problem(
                f"figure '{figure}' needs variable(s) {', '.join(missing)}, which results "
                f"'{name}' do not contain", key=name))
        elif TIME not in ds.dims:
            problems.append(Problem(f"results '{name}' have no '{TIME}' dim", key=name))
    if problems:
        raise InputError(problems)


def years(da: xr.DataArray) -> np.ndarray:
    return np.asarray(da[TIME].values, dtype=float)


def n_members(ds: xr.Dataset) -> int:
    return int(ds.sizes[MEMBER]) if MEMBER in ds.dims else 1


def data_min(runs: Mapping[str, xr.Dataset], var: str, scale: float = 1.0) -> float:
    return float(min(float(ds[var].min()) for ds in runs.values())) * scale


def mean_members(ds: xr.Dataset) -> xr.Dataset:
    return ds.mean(MEMBER, keep_attrs=True) if MEMBER in ds.dims else ds


def single(data: Runs, figure: str) -> tuple[str, xr.Dataset]:
    runs = as_runs(data)
    if len(runs) != 1:
        raise InputError([Problem(f"figure '{figure}' draws one scenario; got {len(runs)} "
                                  f"({', '.join(runs)})", key="results")])
    return next(iter(runs.items()))


with_total_cost = public_cost_total  # one definition: sdmission.study.economics
