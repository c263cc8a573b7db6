"""Result Datasets for the figure tests, made by running tests/data/models/plot_demo.mdl in PySD.

No tests here: the plot tests (unit and integration) import :func:`demo_runs`. The demo model has
the project model's output names, subscripts and units, so the figures meet real PySD output.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sdmission.constants import MEMBER, SCENARIO, TIME
from sdmission.model.translate import load

DEMO_MDL = Path(__file__).resolve().parents[1] / "data" / "models" / "plot_demo.mdl"
OUTPUTS = (
    "industry_ghg", "national_ghg", "ghg_reduction_vs_1990", "industry_ghg_reduction_vs_1990",
    "circular_share", "public_cost", "public_cost_total", "route_emissions", "capacity",
    "readiness", "innovation_function", "legitimacy", "levy_revenue", "captured_co2",
    "private_investment",
)
#: Demo scenarios: name -> policy strength (0 = no mission policy, 1 = full mission mix).
SCENARIOS = {"baseline": 0.0, "mission-mix": 1.0}


def to_dataset(frame: pd.DataFrame, doc: pd.DataFrame, scenario: str) -> xr.Dataset:
    """PySD output (``flatten_output=False``) → a result Dataset with units and long names."""
    times = frame.index.to_numpy(dtype=float)
    info = doc.set_index("Py Name")
    out = {}
    for col in frame.columns:
        cells = list(frame[col])
        if isinstance(cells[0], xr.DataArray):
            da = xr.concat(cells, dim=TIME).assign_coords({TIME: times})
        else:
            da = xr.DataArray(np.asarray(cells, dtype=float), dims=TIME, coords={TIME: times})
        da.attrs = {"units": str(info.loc[col, "Units"]),
                    "long_name": str(info.loc[col, "Real Name"])}
        out[col] = da
    ds = xr.Dataset(out).assign_coords({SCENARIO: scenario})
    ds.attrs[SCENARIO] = scenario
    return ds


@functools.cache
def _runs() -> dict[str, xr.Dataset]:
    model = load(DEMO_MDL)
    out = {}
    for name, strength in SCENARIOS.items():
        with warnings.catch_warnings():
            # PySD 3.14 uses pandas APIs that pandas 3.1 deprecates (inplace=); not ours to fix.
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            frame = model.run(params={"policy_strength": strength},
                              return_columns=list(OUTPUTS), flatten_output=False)
        out[name] = to_dataset(frame, model.doc, name)
    return out


def demo_runs() -> dict[str, xr.Dataset]:
    """``{scenario: Dataset}`` for the demo scenarios (one PySD run each, cached per session)."""
    return {k: v.copy() for k, v in _runs().items()}


def demo_ensemble(n: int = 20, seed: int = 1) -> xr.Dataset:
    """The mission-mix run as a ``member`` ensemble: each member scaled by a factor in [0.8, 1.2]."""
    ds = _runs()["mission-mix"]
    factors = xr.DataArray(np.random.default_rng(seed).uniform(0.8, 1.2, n), dims=MEMBER,
                           coords={MEMBER: np.arange(n)})
    scaled = ds.copy()
    for var in ds.data_vars:
        scaled[var] = (ds[var] * factors).clip(max=1.0) if ds[var].attrs["units"] == "Dmnl" \
            else ds[var] * factors
        scaled[var].attrs = ds[var].attrs
    return scaled.transpose(MEMBER, TIME, ...)
