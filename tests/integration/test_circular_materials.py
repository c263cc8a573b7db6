"""Issue #12 item 1: circular materials by material, the Dutch and the Eurostat indicator, invariants.

Scenario runs use the batch engine; the stock balance (which needs every time step saved) and the
agreement of the batch engine with PySD on the new equations use one PySD run.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pytest
import xarray as xr

from sdmission.analysis.calibrate import fit_statistics, observed_series
from sdmission.model import translate
from sdmission.model.engines.factory import load_engine
from sdmission.study.targets import get_target_set
from tests.conftest import PROJECT_MODEL
from tests.integration.test_model_credibility import EXTREMES

MATERIALS = ("plastics", "steel", "fertiliser_n", "minerals", "paper", "biomass")
SHARES = ("circular_share", "circular_material_use_rate", "circular_share_by_material", "collection_rate",
          "route_secondary_share", "material_feedstock_headroom", "circular_feedstock_headroom",
          "base_secondary_content")
FLOWS = ("material_input_by_material", "material_input_by_route", "material_input", "secondary_used",
         "secondary_demand", "secondary_supply", "secondary_surplus", "bio_used", "bio_demand",
         "primary_material_input", "primary_abiotic_material_use", "primary_abiotic_material_index",
         "products_to_use", "end_of_life", "collected", "uncollected", "sorted_material", "sorting_losses",
         "mechanically_recycled", "chemically_recycled", "recycled", "unrecycled_sorted", "recycling_losses",
         "materials_in_use", "mechanical_recycling_capacity", "chemical_recycling_capacity")
VARS = SHARES + FLOWS + ("industry_ghg", "capacity", "sector_production", "sector_material_fraction",
                         "material_efficiency", "material_input_intensity")
MANDATES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
YEARS = np.arange(2015, 2024.0)


@cache
def _engine():
    return load_engine(PROJECT_MODEL, "batch")


@cache
def _run(key: tuple) -> xr.Dataset:
    inputs = {k: xr.DataArray(float(v)) for k, v in key}
    return _engine().run(inputs, return_vars=list(VARS)).isel(member=0)


def run(**params: float) -> xr.Dataset:
    return _run(tuple(sorted(params.items())))


ALL_MAX = {**EXTREMES["levers_at_upper_limits"], "recycled_content_mandate": 1.0, "sustainable_biomass_supply": 100.0}
CASES = {"baseline": {}, "levers_at_upper_limits": EXTREMES["levers_at_upper_limits"], "all_max_and_biomass": ALL_MAX,
         "levers_at_lower_limits": EXTREMES["levers_at_lower_limits"], "no_investment": {"investment": 0.0}}


@pytest.mark.parametrize("case", list(CASES))
def test_every_share_stays_in_the_unit_interval(case: str) -> None:
    """The old model reached 1.0037 with every lever at its maximum (bio content on top of 100 %)."""
    ds = run(**CASES[case])
    for name in SHARES:
        x = ds[name].values
        assert np.all(np.isfinite(x)), f"{case}: {name} not finite"
        assert x.min() >= -1e-12 and x.max() <= 1 + 1e-12, f"{case}: {name} in [{x.min()}, {x.max()}]"
    for name in FLOWS:
        assert ds[name].min() >= -1e-9, f"{case}: {name} negative"
    # per material, secondary plus bio-based use never exceed the material's input
    excess = ds["secondary_used"] + ds["bio_used"] - ds["material_input_by_material"]
    assert float(excess.max()) <= 1e-9


def test_all_levers_at_max_reach_a_high_but_bounded_circular_share() -> None:
    ds = run(**ALL_MAX)
    top = float(ds["circular_share"].max())
    assert 0.3 < top <= 1.0
    assert float(ds["bio_used"].sum("material").max()) > 1.0  # bio-based feedstock is really used


def test_fuels_are_not_materials() -> None:
    """Refinery throughput never counts as material input."""
    ds = run()
    frac = ds["sector_material_fraction"].isel(time=0)
    assert float(np.abs(frac.sel(sector="refining")).max()) == 0.0
    rows = frac.drop_sel(sector="refining").sum("material")
    np.testing.assert_allclose(rows.values, 1.0, rtol=1e-12)
    # material input = output of the material sectors x intensity x (1 - design savings)
    mat_out = ds["sector_production"].drop_sel(sector="refining").sum("sector")
    expected = mat_out * ds["material_input_intensity"] * (1 - ds["material_efficiency"])
    np.testing.assert_allclose(ds["material_input"].values, expected.values, rtol=1e-10)
    # doubling fuel demand growth moves refinery output, not material input
    more_fuel = run(refinery_demand_growth=0.03)
    ref = more_fuel["sector_production"].sel(sector="refining", time=2040) / ds["sector_production"].sel(
        sector="refining", time=2040)
    assert float(ref) > 1.2
    change = np.abs(more_fuel["material_input"] / ds["material_input"] - 1)
    assert float(change.max()) < 1e-3


def test_mandate_is_monotone_and_never_backfires() -> None:
    """Old model: 2050 industry GHG 32.26 / 31.97 / 33.33 / 34.36 Mt for mandate 0 / 0.2 / 0.4 / >= 0.6,
    circular feedstock headroom 0 and the circular route's capacity 23.4 -> 0.5 Mt."""
    runs = [run(recycled_content_mandate=m) for m in MANDATES]
    sec = np.stack([r["secondary_used"].sum("material").values for r in runs])  # (mandate, time)
    assert np.all(np.diff(sec, axis=0) >= -1e-9 * sec[:-1]), "a higher mandate lowered secondary use"
    share = np.stack([r["circular_share"].values for r in runs])
    assert np.all(np.diff(share, axis=0) >= -1e-9)
    ghg = np.array([float(r["industry_ghg"].sel(time=2050)) for r in runs])
    assert np.all(ghg <= ghg[0] + 0.1), f"2050 industry GHG rises with the mandate: {ghg}"
    circ = np.array([float(r["capacity"].sel(route="circular", time=2050).sum()) for r in runs])
    assert np.all(circ >= circ[0] - 1e-6), f"circular capacity falls with the mandate: {circ}"
    head = np.stack([r["circular_feedstock_headroom"].sel(time=slice(2025, 2050)).values for r in runs])
    assert float(head[:, :, [s != "refining" for s in runs[0]["sector"].values]].min()) > 0.3
    assert sec[-1, -1] > 1.2 * sec[0, -1]  # the mandate really raises secondary use
    assert float(runs[-1]["chemically_recycled"].sel(material="plastics", time=2050)) > float(
        runs[0]["chemically_recycled"].sel(material="plastics", time=2050))


def test_dutch_indicator_and_eurostat_rate_are_separate_outputs() -> None:
    ds = run()
    idx = ds["primary_abiotic_material_index"]
    assert float(idx.sel(time=2016)) == pytest.approx(1.0, abs=1e-12)
    # the index is primary abiotic use over its 2016 value
    p = ds["primary_abiotic_material_use"]
    np.testing.assert_allclose(idx.sel(time=slice(2017, 2050)), p.sel(time=slice(2017, 2050)) / float(p.sel(time=2016)),
                               rtol=1e-6)  # 2016 value held from the step at 2016 (SAVEPER 1 yr)
    abiotic = ds["primary_material_input"].sel(material=["plastics", "steel", "fertiliser_n", "minerals"]).sum("material")
    np.testing.assert_allclose(p.values, abiotic.values, rtol=1e-12)
    # 2015 Eurostat rate starts at the observed 26.7 % (within 0.5 points)
    assert float(ds["circular_material_use_rate"].sel(time=2015)) == pytest.approx(0.267, abs=0.005)
    # a full mandate lowers primary abiotic use
    high = run(recycled_content_mandate=1.0)
    assert float(high["primary_abiotic_material_index"].sel(time=2030)) < float(idx.sel(time=2030)) - 0.05
    # the 50 % 2030 target uses the Dutch definition; the 75/100 % targets the circular share
    prog = get_target_set("circular-programme")
    assert prog.get("primary-abiotic-2030").metric == "primary_abiotic_material_index"
    for name in ("design", "groene-industriepolitiek"):
        s = get_target_set(name)
        assert {t.metric for t in s.targets if t.id.startswith("circular")} == {"circular_share"}
        assert "circular_share" in s.description


def test_backcast_beats_a_constant_forecast() -> None:
    """Eurostat NL circular material use rate 2015-2023 (cei_srm030): the model's rate has a lower
    MAPE than holding the 2015 value, and its year-to-year movement correlates with the data."""
    obs = observed_series("circular_share")
    sim = run()["circular_material_use_rate"].sel(time=YEARS).values
    fit = fit_statistics(sim, obs.to_numpy())
    const = float(np.mean(np.abs(obs.iloc[0] - obs.to_numpy()) / obs.to_numpy()))
    assert fit.mape < const, f"model MAPE {fit.mape:.3%} vs constant {const:.3%}"
    # R² 0.26 on the circular branch, 0.19 after the innovation rewrite merged (slower uptake of the
    # circular route); most of the data's variance is year-to-year noise (Theil U^C 0.65, `calibrate`).
    assert fit.r2 > 0.1, f"R² {fit.r2:.2f}"


@cache
def _pysd(final_time: float = 2040) -> dict[str, np.ndarray]:
    m = translate.load(PROJECT_MODEL)
    names = ["materials_in_use", "products_to_use", "end_of_life", "collected", "uncollected", "sorted_material",
             "sorting_losses", "recycled", "mechanically_recycled", "chemically_recycled", "unrecycled_sorted",
             "secondary_supply", "recycling_losses", "secondary_used", "secondary_surplus", "bio_used",
             "primary_material_input", "material_input_by_material", "mechanical_recycling_capacity",
             "mechanical_recycling_investment", "chemical_recycling_capacity", "chemical_recycling_investment",
             "circular_share", "circular_material_use_rate", "primary_abiotic_material_index",
             "circular_feedstock_headroom"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = m.run(params={"recycled_content_mandate": 0.6}, return_columns=names, final_time=final_time,
                    saveper=0.25, flatten_output=False, reload=True)
    res = {c: np.stack([np.asarray(v, dtype=float) for v in out[c]]) for c in names}
    res["__time__"] = np.asarray(out.index, dtype=float)
    return res


def test_mass_balance_of_each_material() -> None:
    out, dt = _pysd(), 0.25
    miu = out["materials_in_use"]
    net = out["products_to_use"] - out["end_of_life"]
    np.testing.assert_allclose(miu[1:], miu[0] + np.cumsum(net[:-1] * dt, axis=0), rtol=1e-9)
    for cap, inv in (("mechanical_recycling_capacity", "mechanical_recycling_investment"),
                     ("chemical_recycling_capacity", "chemical_recycling_investment")):
        c = out[cap]
        net = out[inv] - c / 20.0  # recycling lifetime 20 yr
        np.testing.assert_allclose(c[1:], c[0] + np.cumsum(net[:-1] * dt, axis=0), rtol=1e-9, atol=1e-12)
    close = {"end_of_life": ("collected", "uncollected"), "collected": ("sorted_material", "sorting_losses"),
             "recycled": ("mechanically_recycled", "chemically_recycled"),
             "sorted_material": ("recycled", "unrecycled_sorted"), "secondary_supply": ("secondary_used", "secondary_surplus")}
    for whole, (a, b) in close.items():
        np.testing.assert_allclose(out[whole], out[a] + out[b], rtol=1e-12, atol=1e-12, err_msg=whole)
    np.testing.assert_allclose(out["recycled"], out["secondary_supply"] + out["recycling_losses"], rtol=1e-12)
    np.testing.assert_allclose(out["material_input_by_material"],
                               out["primary_material_input"] + out["secondary_used"] + out["bio_used"], rtol=1e-12)
    assert out["chemical_recycling_capacity"][:, 1:].max() == 0.0  # only plastics recycle chemically
    assert out["chemical_recycling_capacity"][:, 0].max() > 0.0


def test_batch_engine_agrees_with_pysd_on_the_circular_equations() -> None:
    ref = _pysd()
    keep = np.isclose(ref["__time__"] % 1, 0)
    ds = _engine().run({"recycled_content_mandate": xr.DataArray(0.6)}, final_time=2040,
                       return_vars=[k for k in ref if k != "__time__"]).isel(member=0)
    np.testing.assert_allclose(ds["time"].values, ref["__time__"][keep], atol=1e-9)
    for name, values in ref.items():
        if name != "__time__":
            np.testing.assert_allclose(ds[name].values, values[keep], rtol=1e-9, atol=1e-12, err_msg=name)
