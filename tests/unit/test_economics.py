"""The one NPV and the public-cost total (sdmission.study.economics)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from sdmission.errors import InputError
from sdmission.study.economics import DISCOUNT_RATE, NPV_START, npv, public_cost_total, whole_years

T = np.arange(2015, 2050.25, 0.25)


def _flow(values: np.ndarray) -> xr.DataArray:
    return xr.DataArray(values, dims="time", coords={"time": T})


def test_npv_counts_whole_years_from_the_base_year() -> None:
    flow = _flow(np.full(T.size, 100.0))
    # 2025..2050 are 26 whole years; quarter-year save points are not counted
    assert float(npv(flow, 0.03, 2025)) == pytest.approx(sum(100.0 / 1.03**k for k in range(26)))
    assert float(npv(flow)) == pytest.approx(
        sum(100.0 / (1 + DISCOUNT_RATE) ** k for k in range(2050 - NPV_START + 1)))


def test_npv_window_base_year_and_zero_rate() -> None:
    flow = _flow(T - 2000.0)  # 15 in 2015 .. 50 in 2050
    assert float(npv(flow, 0.0, 2020, window=(2030, 2032))) == 30.0 + 31.0 + 32.0
    assert float(npv(flow, 0.1, 2030, window=(2031, 2031))) == pytest.approx(31.0 / 1.1)


def test_npv_keeps_other_dims_and_rejects_an_empty_window() -> None:
    flow = xr.DataArray(np.ones((2, T.size)), dims=("member", "time"), coords={"time": T})
    assert npv(flow, 0.0, 2049).dims == ("member",)
    assert npv(flow, 0.0, 2049).values.tolist() == [2.0, 2.0]
    with pytest.raises(InputError, match="no whole years from 2060"):
        npv(flow, 0.03, 2060)


def test_whole_years_and_public_cost_total() -> None:
    assert whole_years(_flow(T), 2020, 2022)["time"].values.tolist() == [2020.0, 2021.0, 2022.0]
    ds = xr.Dataset({"public_cost": (("time", "instrument"), np.ones((T.size, 3)),
                                     {"units": "MEUR/Year"})}, coords={"time": T})
    out = public_cost_total(ds)
    assert out["public_cost_total"].values.tolist() == [3.0] * T.size
    assert out["public_cost_total"].attrs["units"] == "MEUR/Year"
    assert public_cost_total(out) is out
