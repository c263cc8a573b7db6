"""The PySD engine and the scenario runner on the mini model (a small real Vensim model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sdmission.model.engines.pysd import PysdEngine
from sdmission.scenario.check import scenario_inputs
from sdmission.scenario.load import load_scenario
from sdmission.study.run import simulate

DATA = Path(__file__).resolve().parents[1] / "data"
GOOD = DATA / "scenarios" / "good"
MINI = DATA / "models" / "mini_levers.mdl"


@pytest.fixture(scope="module")
def engine() -> PysdEngine:
    return PysdEngine(MINI)


def test_scenario_inputs_reach_the_model(engine: PysdEngine) -> None:
    scn = load_scenario(GOOD / "mini-a.yaml")
    ds = simulate(scn, engine, engine.catalogue, command="test")
    levy = ds["co2_levy_tariff"].sel(time=[2020, 2021, 2025, 2030, 2050]).values
    np.testing.assert_allclose(levy, [30.48, 30.48, 30.48, 127, 127])  # step knots, held
    reg = ds["regional_experiments"].sel(time=2028)
    assert reg.dims == ("cluster",)
    assert float(reg.sel(cluster="Rotterdam_Moerdijk")) == pytest.approx(2 + 38 * 3 / 5)
    assert float(ds["other_sectors_ghg"].sel(time=2033)) == 140
    assert ds.attrs["scenario_chain"] == "mini-a <- mini-base"
    assert ds.attrs["engine"] == "pysd" and len(ds.attrs["model_sha256"]) == 64
    assert "co2_levy_tariff" in ds.attrs["scenario_yaml_merged"]
    # stocks are part of the result, with units
    assert ds["clean_share"].attrs["kind"] == "stock" and ds["clean_share"].attrs["units_vensim"] == "Dmnl"


def test_final_time_override(engine: PysdEngine) -> None:
    ds = simulate(load_scenario(GOOD / "mini-b.yaml"), engine, engine.catalogue)
    assert float(ds["time"][-1]) == 2040 and ds.sizes["time"] == 26


def test_results_do_not_depend_on_run_order() -> None:
    a, b = load_scenario(GOOD / "mini-a.yaml"), load_scenario(GOOD / "mini-b.yaml")
    e1, e2 = PysdEngine(MINI), PysdEngine(MINI)
    a1, b1 = (e1.run(scenario_inputs(s, e1.catalogue), final_time=s.final_time) for s in (a, b))
    b2, a2 = (e2.run(scenario_inputs(s, e2.catalogue), final_time=s.final_time) for s in (b, a))
    xr.testing.assert_identical(a1, a2)
    xr.testing.assert_identical(b1, b2)
    # and a run without inputs afterwards returns the model's defaults, not a leftover scenario
    fresh = PysdEngine(MINI).run({})
    xr.testing.assert_identical(e1.run({}), fresh)
    assert not np.allclose(a1["co2_levy_tariff"].values, fresh["co2_levy_tariff"].values)


def test_members_match_single_runs(engine: PysdEngine) -> None:
    both = engine.run({"adoption_time": xr.DataArray([4.0, 8.0], dims=("member",))},
                      return_vars=["industry_ghg", "clean_share"])
    assert both.sizes["member"] == 2 and both["clean_share"].dims == ("member", "time", "cluster")
    one = engine.run({"adoption_time": xr.DataArray(8.0)}, return_vars=["industry_ghg"])
    np.testing.assert_array_equal(both["industry_ghg"].isel(member=1).values,
                                  one["industry_ghg"].isel(member=0).values)
    assert not np.allclose(both["industry_ghg"].isel(member=0), both["industry_ghg"].isel(member=1))
