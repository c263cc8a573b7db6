"""Measurements for issue #11 (printed into models/README.md): run with the batch engine.

    python tools/measure_sectors.py

Prints, for the shipped scenario files: industry and national GHG in 2030 by sector (against the KEV
2024 national range), levy revenue and the effect of neutralising the levy under the three ETS
variants, 2050 residuals with every technology and a high CO2 price, and the 2015-2019 backcast per
CRF sector (MAPE).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sdmission.model.catalogue import load_catalogue
from sdmission.model.engines.factory import load_engine
from sdmission.scenario.check import scenario_inputs
from sdmission.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "sdmission.mdl"
OBSERVED = Path("/work/shared/data/observed")
VARS = ["industry_ghg", "national_ghg", "industry_co2", "sector_co2", "levy_revenue", "industry_removals",
        "captured_co2", "industry_n2o_nitric_acid", "industry_fgas", "industry_non_co2_ghg", "sector_emissions",
        "other_sectors_ghg", "eu_ets_price", "levy_top_up", "co2_levy_tariff"]


def scenario(name: str, **override: xr.DataArray) -> xr.Dataset:
    scn = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    inputs = scenario_inputs(scn, load_catalogue(MODEL))
    inputs.update(override)
    return load_engine(MODEL, "batch").run(inputs, return_vars=VARS).isel(member=0)


def neutralised(tariff: xr.DataArray) -> xr.DataArray:
    return tariff.where(tariff.time < 2025, 0.0)


def main() -> None:
    warnings.simplefilter("ignore")
    sectors = None
    print("== 2030 baseline (existing policy), Mt CO2-eq")
    for name in ("baseline", "ets-low", "ets-high", "other-sectors-on-target"):
        d = scenario(name).sel(time=2030)
        sectors = list(d.sector.values)
        s = ", ".join(f"{k} {float(v):.1f}" for k, v in zip(sectors, d["sector_co2"].values, strict=True))
        print(f"{name:24s} industry {float(d.industry_ghg):5.1f} (CO2 {float(d.industry_co2):.1f}; {s}; N2O nitric "
              f"{float(d.industry_n2o_nitric_acid):.2f}, F-gas {float(d.industry_fgas):.2f}, other non-CO2 "
              f"{float(d.industry_non_co2_ghg):.2f})  national {float(d.national_ghg):5.1f} "
              f"(-{1 - float(d.national_ghg) / 227.9:.0%} vs 1990; KEV 2024: 109-128 Mt, -44 to -52 %)")
    print("== levy: revenue (MEUR/yr) and effect of neutralising it from 2025 (Mt, industry GHG)")
    for name in ("baseline", "ets-low", "ets-high"):
        scn = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        tariff = scenario_inputs(scn, load_catalogue(MODEL))["co2_levy_tariff"]
        b = scenario(name)
        n = scenario(name, co2_levy_tariff=neutralised(tariff))
        row = []
        for y in (2025, 2030, 2035):
            row.append(f"{y}: revenue {float(b.levy_revenue.sel(time=y)):4.0f}, top-up {float(b.levy_top_up.sel(time=y)):4.1f} EUR/t, "
                       f"effect {float(n.industry_ghg.sel(time=y) - b.industry_ghg.sel(time=y)):+.2f}")
        print(f"{name:10s} " + " | ".join(row))
    print("   published: cabinet ~224 MEUR/yr by 2030 (17 in 2025); PBL +1-2 Mt in 2030 (breakdown_co2_heffing_status_2025.csv)")
    print("== 2050 with every technology and a high CO2 price (ETS 1000 EUR/t from 2015; storage 200 Mt/yr, H2 5000 PJ, grid 2000 TWh)")
    t = load_catalogue(MODEL).time_grid(2050)
    big = {"eu_ets_price": xr.DataArray(1000.0), "ccs_storage_capacity": xr.DataArray(200.0),
           "clean_hydrogen_supply": xr.DataArray(5000.0), "grid_capacity_industry": xr.DataArray(2000.0)}
    for label, extra in (("ample infrastructure", big), ("default infrastructure", {"eu_ets_price": xr.DataArray(1000.0)})):
        d = scenario("baseline", **extra).sel(time=2050)
        by_route = d["sector_emissions"].sum("sector")
        print(f"{label:24s} industry GHG {float(d.industry_ghg):.2f} = fossil CO2 {float(d.sector_emissions.sum()):.2f} "
              f"- bio-CCS {float(d.industry_removals):.2f} + N2O {float(d.industry_n2o_nitric_acid):.2f} + F-gas "
              f"{float(d.industry_fgas):.2f} + other non-CO2 {float(d.industry_non_co2_ghg):.2f}; captured "
              f"{float(d.captured_co2):.1f}; fossil CO2 by route " + ", ".join(f"{r} {float(v):.2f}" for r, v in zip(by_route.route.values, by_route.values, strict=True)))
    del t
    print("== backcast 2015-2019 by CRF sector (baseline)")
    b = scenario("baseline")
    crf = lambda stem: pd.read_csv(OBSERVED / f"nl_crf_{stem}_mt.csv").set_index("year")["value"]  # noqa: E731
    obs = {"iron_steel": (crf("1A2a_iron_steel_combustion") + crf("1A1ci_manufacture_solid_fuels_cokeovens") + crf("2C_metal_industry_process"), ["iron_steel"]),
           "refining": (crf("1A1b_petroleum_refining"), ["refining"]),
           "minerals": (crf("1A2f_nonmetallic_minerals_combustion") + crf("2A_mineral_industry_process"), ["minerals"]),
           "chemicals": (crf("1A2c_chemicals_combustion") + crf("2B1_ammonia_process") + crf("2B8_petrochemical_process"), ["ammonia", "hvc", "other_chemicals"])}
    years = list(range(2015, 2020))
    for k, (series, secs) in obs.items():
        m = np.array([float(b.sector_co2.sel(time=y, sector=secs).sum()) for y in years])
        o = series.loc[years].to_numpy()
        print(f"{k:12s} MAPE {np.mean(np.abs(m - o) / o):.1%}  model {np.round(m, 2)}  CRF {np.round(o, 2)}")
    ind = pd.read_csv(OBSERVED / "nl_ghg_industry_klimaatsector_mt.csv").set_index("year")["value"]
    yrs = [y for y in range(2015, 2024) if y in ind.index]
    m = np.array([float(b.industry_ghg.sel(time=y)) for y in yrs])
    print(f"industry GHG 2015-2023 MAPE {np.mean(np.abs(m - ind.loc[yrs].to_numpy()) / ind.loc[yrs].to_numpy()):.1%}")


if __name__ == "__main__":
    main()
