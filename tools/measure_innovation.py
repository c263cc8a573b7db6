"""Measurements for issue #12 item 2 (printed into models/README.md, 'Module 3'): batch engine.

    python tools/measure_innovation.py

Prints, for the shipped baseline scenario: 2030 and 2050 industry GHG with governance capacity at 60
and at 2,000 FTE, and the effect with each named governance mechanism switched off and alone; the
mission routes' readiness in 2050 with today's support and with none; and the 2040 capex multiplier
of each route under slow, central and fast global deployment.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from sdmission.model.catalogue import load_catalogue
from sdmission.model.engines.factory import load_engine
from sdmission.scenario.check import scenario_inputs
from sdmission.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "sdmission.mdl"
VARS = ["industry_ghg", "readiness", "learning_multiplier"]
MECHANISMS = ("infrastructure_coordination_effect", "permitting_coordination_effect", "rd_directionality_effect")
ROUTES = ("conventional", "efficiency", "electrification", "hydrogen", "ccs", "circular")


def run(**override: float) -> xr.Dataset:
    """The baseline scenario with constant overrides."""
    inputs = scenario_inputs(load_scenario(ROOT / "scenarios" / "baseline.yaml"), load_catalogue(MODEL))
    inputs.update({k: xr.DataArray(float(v)) for k, v in override.items()})
    return load_engine(MODEL, "batch").run(inputs, return_vars=VARS).isel(member=0)


def ghg(ds: xr.Dataset, year: int) -> float:
    return float(ds["industry_ghg"].sel(time=year))


def governance_effect(**override: float) -> tuple[float, float, float, float]:
    """Industry GHG in 2030 and 2050 at 60 and at 2,000 FTE (Mt CO2e)."""
    low, high = run(governance_capacity_target=60, **override), run(governance_capacity_target=2000, **override)
    return ghg(low, 2030), ghg(low, 2050), ghg(high, 2030), ghg(high, 2050)


def main() -> None:
    a30, a50, b30, b50 = governance_effect()
    print(f"governance 60 FTE: 2030 {a30:.2f}, 2050 {a50:.2f} Mt; 2,000 FTE: 2030 {b30:.2f}, 2050 {b50:.2f} Mt; "
          f"effect 2030 {a30 - b30:.2f}, 2050 {a50 - b50:.2f} Mt")
    for m in MECHANISMS:
        a30, a50, b30, b50 = governance_effect(**{m: 0.0})
        print(f"  without {m}: effect 2030 {a30 - b30:.2f}, 2050 {a50 - b50:.2f} Mt")
    for m in MECHANISMS:
        a30, a50, b30, b50 = governance_effect(**{k: 0.0 for k in MECHANISMS if k != m})
        print(f"  only {m}: effect 2030 {a30 - b30:.2f}, 2050 {a50 - b50:.2f} Mt")
    a30, a50, b30, b50 = governance_effect(**{k: 0.0 for k in MECHANISMS})
    print(f"  none of the three (legitimacy, guidance, regional support only): effect 2030 {a30 - b30:.2f}, "
          f"2050 {a50 - b50:.2f} Mt")
    base = run()
    none = run(rd_support=0, invest_nl_equity=0, sde_budget=0, innovation_procurement=0, governance_capacity_target=0,
               regional_experiments=0)
    print("readiness 2015 / 2050 with today's support / 2050 with none:")
    for i, r in enumerate(ROUTES[2:], start=2):
        print(f"  {r}: {float(base['readiness'].sel(time=2015)[i]):.2f} / {float(base['readiness'].sel(time=2050)[i]):.2f}"
              f" / {float(none['readiness'].sel(time=2050)[i]):.2f}")
    print("capex multiplier 2040 (global deployment scenario 0.5 / 1 / 1.5):")
    mult = [run(global_deployment_scenario=s)["learning_multiplier"].sel(time=2040).values for s in (0.5, 1.0, 1.5)]
    for i, r in enumerate(ROUTES):
        print(f"  {r}: " + " / ".join(f"{np.asarray(m)[i]:.2f}" for m in mult))


if __name__ == "__main__":
    main()
