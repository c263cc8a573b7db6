"""Results a PySD/xarray/pandas user expects (issue #14 item 5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pint
import pytest
import xarray as xr

from sdmission.settings import discover
from sdmission.study.case import prepare
from sdmission.study.results import PINT_DEFINITIONS, pint_units, write_netcdf
from sdmission.study.run import simulate_case

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    (case,) = prepare(["baseline"], engine="batch", settings=discover(ROOT))
    return simulate_case(case)


def test_integer_years_that_survive_netcdf(ds: xr.Dataset, tmp_path: Path) -> None:
    assert ds["time"].dtype.kind == "i" and int(ds["time"][0]) == 2015
    assert float(ds["industry_ghg"].sel(time=2030)) > 0
    back = xr.load_dataset(write_netcdf(ds, tmp_path / "b.nc"))
    assert back["time"].dtype.kind == "i"


def test_every_unit_parses_with_pint_and_keeps_the_vensim_spelling(ds: xr.Dataset) -> None:
    ureg = pint.UnitRegistry()
    for line in ds.attrs["units_definitions"].splitlines():
        ureg.define(line)
    assert tuple(ds.attrs["units_definitions"].splitlines()) == PINT_DEFINITIONS
    for name, da in ds.data_vars.items():
        units = da.attrs["units"]
        ureg.parse_expression(units)  # raises on anything pint cannot read
        assert da.attrs["units_vensim"], name
    ghg = ds["industry_ghg"]
    assert ghg.attrs["units"] == "Mt CO2e/yr" and ghg.attrs["units_vensim"] == "MtCO2/Year"
    q = ureg.Quantity(1.0, ghg.attrs["units"]).to("t CO2e/yr")
    assert q.magnitude == pytest.approx(1e6)
    assert ureg.parse_expression(ds["circular_share"].attrs["units"]).dimensionless


@pytest.mark.parametrize(("vensim", "expected"), [
    ("MtCO2/Year", "Mt CO2e/yr"), ("Dmnl", "1"), ("", "1"), ("EUR/tCO2", "EUR/(t CO2e)"),
    ("MEUR/(FTE*Year)", "MEUR/(FTE*yr)"), ("1/Year", "1/yr"), ("Mt/Year/Year", "Mt/yr/yr"),
])
def test_pint_units(vensim: str, expected: str) -> None:
    assert pint_units(vensim) == expected


def test_names_conventions_and_provenance(ds: xr.Dataset) -> None:
    assert ds.attrs["Conventions"].startswith("CF-")
    assert ds["industry_ghg"].attrs["long_name"][0].isupper()
    assert ds["industry_ghg"].attrs["vensim_name"]
    assert ds.attrs["model_path"] == "models/sdmission.mdl"
    assert ds.attrs["scenario_files"].splitlines() == ["scenarios/baseline.yaml", "scenarios/base.yaml"]
    commit = ds.attrs["git_commit"]
    assert commit == "unknown" or len(commit.split("-")[0]) == 40
    assert np.all(np.isfinite(ds["industry_ghg"].values))


def _follows_the_conventions(path: Path) -> xr.Dataset:
    """Every ``units`` parses with pint after ``units_definitions``; every variable has a
    ``long_name``; integer ``time``; ``Conventions``; the model path relative to the project."""
    ds = xr.load_dataset(path)
    ureg = pint.UnitRegistry()
    for line in ds.attrs["units_definitions"].splitlines():
        ureg.define(line)
    for name in ds.variables:
        attrs = ds[name].attrs
        assert attrs.get("long_name"), (path.name, name)
        if "units" in attrs:
            ureg.parse_expression(attrs["units"])  # raises on anything pint cannot read
    if "time" in ds.dims:
        assert ds["time"].dtype.kind == "i", path.name
    assert ds.attrs["Conventions"] == "CF-1.10"
    assert not Path(ds.attrs["model_path"]).is_absolute() and ds.attrs["git_commit"]
    return ds


def test_every_command_writes_the_same_conventions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from sdmission.cli import main

    monkeypatch.chdir(ROOT)
    models = ROOT / "tests" / "data" / "models"
    # simulate: any model; its own units (Widget, Month) parse too, and time is in its units
    assert main(["simulate", str(models / "fn_stateful.mdl"), "--out", str(tmp_path / "s.nc")]) == 0
    sim = _follows_the_conventions(tmp_path / "s.nc")
    assert sim["time"].attrs["units"] == "month" and "Widget = [Widget]" in sim.attrs["units_definitions"]
    assert sim["s1"].attrs["units_vensim"] == "Widget"
    # ensemble and sensitivity on the project model (batch engine, few members)
    assert main(["ensemble", "baseline", "--members", "4", "--no-plots", "--out", str(tmp_path)]) == 0
    ens = _follows_the_conventions(tmp_path / "ensemble.nc")
    assert ens["industry_ghg"].attrs["units"] == "Mt CO2e/yr"
    assert ens["industry_ghg"].attrs["long_name"] == "Industry GHG"
    assert main(["sensitivity", "baseline", "--members", "2", "--out", str(tmp_path)]) == 0
    _follows_the_conventions(tmp_path / "baseline_sobol.nc")
    assert main(["contributions", "invest-nl", "--method", "loo", "--out", str(tmp_path)]) == 0
    con = _follows_the_conventions(tmp_path / "contributions.nc")
    assert con["industry_ghg_total"].attrs["units"] == "Mt CO2e/yr"
    capsys.readouterr()
