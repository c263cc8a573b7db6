"""Result Datasets: labels, netCDF round trip with units, atomic writes, headline CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sdmission.constants import INSTRUMENTS
from sdmission.model.catalogue import Catalogue, Variable
from sdmission.study.results import (
    build_dataset,
    headline_frame,
    provenance,
    read_netcdf,
    write_netcdf,
    write_scenario_results,
)

YEARS = np.arange(2015.0, 2021.0)


def _catalogue() -> Catalogue:
    def v(name: str, units: str, dims: tuple[str, ...] = (), kind: str = "aux") -> Variable:
        coords = {"instrument": INSTRUMENTS} if dims else {}
        return Variable(name, name.replace("_", " "), units, (None, None), kind,  # type: ignore[arg-type]
                        dims, coords, f"{name} comment")

    return Catalogue({
        "industry_ghg": v("industry_ghg", "MtCO2/Year"),
        "national_ghg": v("national_ghg", "MtCO2/Year"),
        "ghg_reduction_vs_1990": v("ghg_reduction_vs_1990", "Dmnl"),
        "industry_ghg_reduction_vs_1990": v("industry_ghg_reduction_vs_1990", "Dmnl"),
        "circular_share": v("circular_share", "Dmnl", kind="stock"),
        "public_cost": v("public_cost", "MEUR/Year", ("instrument",)),
    })


def _raw() -> xr.Dataset:
    n = len(YEARS)
    data = {name: (("member", "time"), np.linspace(1, 2, n)[None, :]) for name in
            ("industry_ghg", "national_ghg", "ghg_reduction_vs_1990",
             "industry_ghg_reduction_vs_1990", "circular_share")}
    cost = -np.zeros((1, n, len(INSTRUMENTS))) + np.arange(len(INSTRUMENTS))
    cost[0, :, 0] = -0.0
    data["public_cost"] = (("member", "time", "instrument"), cost)
    return xr.Dataset(data, coords={"member": [0], "time": YEARS, "instrument": list(INSTRUMENTS)})


def _dataset() -> xr.Dataset:
    attrs = provenance(model_path="m.mdl", model_sha256="ab" * 32, engine="pysd", command="test")
    return build_dataset(_raw(), _catalogue(), scenario="demo", attrs=attrs)


def test_every_variable_is_labelled_and_provenance_is_flat_text() -> None:
    ds = _dataset()
    assert "member" not in ds.dims and str(ds["scenario"].values) == "demo"
    for name, da in ds.data_vars.items():
        assert da.attrs["units"] and da.attrs["long_name"], name
    assert ds["circular_share"].attrs["kind"] == "stock"
    for key in ("sdmission_version", "pysd_version", "numpy_version", "xarray_version",
                "model_sha256", "command", "engine", "created_utc"):
        assert isinstance(ds.attrs[key], str) and ds.attrs[key]


def test_netcdf_round_trip_keeps_units_and_values(tmp_path: Path) -> None:
    ds = _dataset()
    path = write_netcdf(ds, tmp_path / "demo.nc")
    back = read_netcdf(path)
    xr.testing.assert_identical(back.drop_attrs(deep=False), ds.drop_attrs(deep=False))
    for name in ds.data_vars:
        assert back[name].attrs["units"] == ds[name].attrs["units"]
    assert back.attrs == ds.attrs


def test_interrupted_write_leaves_the_earlier_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "demo.nc"
    write_netcdf(_dataset(), target)
    before = target.read_bytes()

    def crash(self: xr.Dataset, path: str, *args: object, **kwargs: object) -> None:
        Path(path).write_bytes(b"half a file")
        raise KeyboardInterrupt  # e.g. Ctrl-C in the middle of writing

    monkeypatch.setattr(xr.Dataset, "to_netcdf", crash)
    with pytest.raises(KeyboardInterrupt):
        write_netcdf(_dataset(), target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.nc"]  # no temp file left


def test_headline_csv_is_tidy(tmp_path: Path) -> None:
    nc, csv = write_scenario_results(_dataset(), tmp_path)
    assert nc.name == "demo.nc" and csv.name == "demo_headline.csv"
    frame = pd.read_csv(csv)
    assert list(frame.columns) == [
        "year", "industry_ghg", "national_ghg", "ghg_reduction_vs_1990",
        "industry_ghg_reduction_vs_1990", "circular_share",
        *[f"public_cost_{i}" for i in INSTRUMENTS],
    ]
    assert frame["year"].tolist() == list(range(2015, 2021))
    assert frame["public_cost_sde"].tolist() == [4.0] * 6
    assert "-0" not in csv.read_text()


def test_missing_headline_output_is_an_error() -> None:
    from sdmission.errors import ModelError

    with pytest.raises(ModelError, match="circular_share"):
        headline_frame(_dataset().drop_vars("circular_share"))
