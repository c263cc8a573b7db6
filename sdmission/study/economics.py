"""Economics of a run: the one net present value and the public-cost totals.

Definitions
-----------
whole years
    Save-grid times within ``1e-6`` of a whole year (times are floats such as ``2030.0``); a flow
    per year (e.g. MEUR/Year) is counted once per whole year, as a year-start rate x 1 year.
NPV
    ``sum over whole years t in [first, last] of flow_t / (1 + rate) ** (t - base_year)``, in the
    flow's unit times one year (MEUR for MEUR/Year). ``rate = 0`` gives the plain sum.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from sdmission.constants import INSTRUMENT, TIME
from sdmission.errors import InputError, Problem

#: Dutch standard real discount rate (Werkgroep discontovoet 2020), per year.
DISCOUNT_RATE: Final = 0.0225
#: Default first year of an NPV and the year it is discounted to.
NPV_START: Final = 2025
#: Distance from a whole year within which a save-grid time counts as that year.
YEAR_ATOL: Final = 1e-6


def whole_years(da: xr.DataArray, first: float | None = None,
                last: float | None = None) -> xr.DataArray:
    """``da`` at the whole years of its ``time`` dim within ``[first, last]`` (None: open end)."""
    t = np.asarray(da[TIME].values, dtype=float)
    keep = np.abs(t - np.round(t)) < YEAR_ATOL
    if first is not None:
        keep &= t >= first - YEAR_ATOL
    if last is not None:
        keep &= t <= last + YEAR_ATOL
    return da.isel({TIME: np.flatnonzero(keep)})


def discount_factors(years: NDArray[np.float64], rate: float,
                     base_year: float) -> NDArray[np.float64]:
    """``(1 + rate) ** -(round(years) - base_year)``; shape of ``years``."""
    return np.asarray((1.0 + rate) ** -(np.round(years) - base_year), dtype=float)


def npv(
    flow: xr.DataArray,
    rate: float = DISCOUNT_RATE,
    base_year: int = NPV_START,
    window: tuple[float, float] | None = None,
) -> xr.DataArray:
    """Net present value of a yearly flow (see the module docstring).

    Parameters
    ----------
    flow
        A flow per year (e.g. MEUR/Year) with a ``time`` dim; other dims are kept.
    rate
        Real discount rate per year (fraction); 0 sums without discounting.
    base_year
        Year the values are discounted to.
    window
        ``(first, last)`` years counted; default ``(base_year, end of the run)``.

    Returns
    -------
    xr.DataArray
        The NPV without the ``time`` dim, in the flow's unit times one year.

    Raises
    ------
    InputError
        No whole year of the results lies in the window.
    """
    first, last = window if window is not None else (base_year, None)
    kept = whole_years(flow, first, last)
    if kept.sizes[TIME] == 0:
        t = np.asarray(flow[TIME].values, dtype=float)
        raise InputError([Problem(f"no whole years from {first} in the results "
                                  f"({t.min():g}..{t.max():g}) to discount", key="npv")])
    years = np.asarray(kept[TIME].values, dtype=float)
    factor = xr.DataArray(discount_factors(years, rate, base_year), dims=TIME,
                          coords={TIME: kept[TIME].values})
    return (kept * factor).sum(TIME)


def public_cost_total(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with ``public_cost_total`` (MEUR/Year) summed from ``public_cost[instrument]``.

    Returned unchanged when it already has the total or lacks the per-instrument cost.
    """
    if "public_cost_total" in ds.data_vars or "public_cost" not in ds.data_vars:
        return ds
    total = ds["public_cost"].sum(INSTRUMENT)
    total.attrs = {"units": ds["public_cost"].attrs.get("units", ""),
                   "long_name": "Net public cost of all instruments"}
    return ds.assign(public_cost_total=total)
