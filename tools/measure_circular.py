"""Measurements for issue #12 item 1 (printed into models/README.md, Module 2): batch engine.

    python tools/measure_circular.py

Prints the 2015 material balance by material, the backcast of the Eurostat circular material use
rate 2015-2023 (MAPE, R², against a constant forecast), the baseline indicators in 2030/2040/2050, the
recycled-content mandate sweep (0 ... 1) and the circular share with every lever at its maximum.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sdmission.analysis.calibrate import fit_statistics, observed_series  # noqa: E402
from sdmission.model.engines.factory import load_engine  # noqa: E402
from tests.integration.test_model_credibility import EXTREMES  # noqa: E402

MODEL = ROOT / "models" / "sdmission.mdl"
VARS = ["industry_ghg", "circular_share", "circular_material_use_rate", "primary_abiotic_material_index",
        "primary_abiotic_material_use", "secondary_used", "secondary_supply", "material_input_by_material",
        "collection_rate", "bio_used", "capacity", "circular_feedstock_headroom", "chemical_recycling_capacity",
        "mechanical_recycling_capacity", "circular_share_by_material"]


def run(**params: float) -> xr.Dataset:
    inputs = {k: xr.DataArray(float(v)) for k, v in params.items()}
    return load_engine(MODEL, "batch").run(inputs, return_vars=VARS).isel(member=0)


def main() -> int:
    base = run()
    y15 = base.sel(time=2015)
    print("2015 by material: input Mt, secondary used Mt, collection rate (derived)")
    for m in base["material"].values:
        d = y15.sel(material=m)
        print(f"  {m:<13}{float(d.material_input_by_material):7.2f}{float(d.secondary_used):7.2f}"
              f"{float(d.collection_rate):7.3f}")
    print(f"  total input {float(y15.material_input_by_material.sum()):.1f} Mt; "
          f"CMU 2015 {float(y15.circular_material_use_rate):.4f} (Eurostat 0.267)")

    years = np.arange(2015, 2024.0)
    obs = observed_series("circular_share").to_numpy()
    print("\nBackcast vs Eurostat NL CMU (cei_srm030), 2015-2023")
    print("  observed  " + " ".join(f"{v:5.3f}" for v in obs))
    for var in ("circular_material_use_rate", "circular_share"):
        sim = base[var].sel(time=years).to_numpy()
        f = fit_statistics(sim, obs)
        print(f"  {var:<28} MAPE {f.mape:.2%}  R2 {f.r2:.2f}  Theil U {f.theil_u:.3f}  "
              + " ".join(f"{v:5.3f}" for v in sim))
    const = float(np.mean(np.abs(obs[0] - obs) / obs))
    mean = float(np.mean(np.abs(obs.mean() - obs) / obs))
    print(f"  constant at the 2015 value: MAPE {const:.2%}; constant at the 2015-2023 mean: MAPE {mean:.2%}")

    print("\nBaseline: year, circular share, CMU rate, primary abiotic index (2016 = 1), industry GHG Mt")
    for y in (2016, 2020, 2030, 2040, 2050):
        d = base.sel(time=y)
        print(f"  {y}  {float(d.circular_share):.3f}  {float(d.circular_material_use_rate):.3f}  "
              f"{float(d.primary_abiotic_material_index):.3f}  {float(d.industry_ghg):.2f}")

    print("\nMandate sweep (constant from 2015), 2050: GHG Mt, secondary used Mt, circular share, CMU, "
          "primary abiotic index 2030, circular-route capacity Mt/yr, chemical recycling Mt/yr, min headroom")
    for m in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        r = run(recycled_content_mandate=m)
        d = r.sel(time=2050)
        head = r["circular_feedstock_headroom"].drop_sel(sector="refining").sel(time=slice(2025, 2050)).min()
        print(f"  {m:.1f}  {float(d.industry_ghg):6.2f}  {float(d.secondary_used.sum()):6.2f}  "
              f"{float(d.circular_share):.3f}  {float(d.circular_material_use_rate):.3f}  "
              f"{float(r.primary_abiotic_material_index.sel(time=2030)):.3f}  "
              f"{float(d.capacity.sel(route='circular').sum()):6.2f}  {float(d.chemical_recycling_capacity.sum()):5.2f}"
              f"  {float(head):.3f}")

    top = run(**{**EXTREMES["levers_at_upper_limits"], "recycled_content_mandate": 1.0, "sustainable_biomass_supply": 100.0})
    print(f"\nEvery lever at its maximum, mandate 1, biomass 100 Mt/yr: max circular share "
          f"{float(top.circular_share.max()):.4f}, max per material "
          f"{float(top.circular_share_by_material.max()):.4f}, 2050 primary abiotic index "
          f"{float(top.primary_abiotic_material_index.sel(time=2050)):.3f}, 2030 "
          f"{float(top.primary_abiotic_material_index.sel(time=2030)):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
