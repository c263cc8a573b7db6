"""Each instrument moves emissions, circularity or the innovation system through a named causal path.

One run per lever setting against the model's own defaults (batch engine, to 2040; the batch engine
equals PySD on this model, see tests of the batch engine); the path each test names is documented
in models/README.md ('Instruments and their causal paths').
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import xarray as xr

from sdmission.model.engines.factory import load_engine
from tests.conftest import PROJECT_MODEL

FINAL = 2040
OUTPUTS = ("industry_ghg", "circular_share", "innovation_function", "readiness", "legitimacy",
           "material_input", "clean_production_share", "governance_index")


def _path(points: dict[float, float]) -> xr.DataArray:
    """A knot path sampled on the integration grid (dt = 0.25 yr)."""
    t = np.arange(2015, FINAL + 0.125, 0.25)
    return xr.DataArray(np.interp(t, list(points), list(points.values())), coords={"time": t}, dims=["time"])


@cache
def _run(key: tuple) -> dict[str, np.ndarray]:
    inputs = {k: _path(dict(v)) if isinstance(v, tuple) else xr.DataArray(float(v)) for k, v in key}
    ds = load_engine(PROJECT_MODEL, "batch").run(inputs, return_vars=list(OUTPUTS), final_time=FINAL)
    return {c: ds[c].isel(member=0).values for c in OUTPUTS}


def run(**params) -> dict[str, np.ndarray]:
    return _run(tuple(sorted((k, tuple(sorted(v.items())) if isinstance(v, dict) else v) for k, v in params.items())))


HIGH_LEVY = {"co2_levy_tariff": {2015: 0.0, 2024: 0.0, 2025: 300.0, 2040: 300.0}}
FUNC = {f: i for i, f in enumerate(("knowledge", "experimentation", "market_formation", "resources", "legitimacy", "guidance"))}

# (lever settings, output, index into subscripts or None, expected sign of change at FINAL, baseline settings)
CASES = {
    "levy_cuts_emissions": (HIGH_LEVY, "industry_ghg", None, -1, {}),
    "tighter_dispensation_cuts_emissions": ({**HIGH_LEVY, "levy_dispensation_factor": 0.3}, "industry_ghg", None, -1, HIGH_LEVY),
    "invest_nl_mobilises_resources": ({"invest_nl_equity": 2000.0}, "innovation_function", FUNC["resources"], +1, {}),
    "invest_nl_share_mobilises_resources": ({"invest_nl_industry_share": 0.8}, "innovation_function", FUNC["resources"], +1, {}),
    "procurement_forms_markets": ({"innovation_procurement": 1500.0}, "innovation_function", FUNC["market_formation"], +1, {}),
    "rd_builds_knowledge": ({"rd_support": 6000.0}, "innovation_function", FUNC["knowledge"], +1, {}),
    "mission_rd_builds_mission_knowledge": ({"rd_mission_share": 0.3}, "innovation_function", FUNC["knowledge"], +1, {}),
    "sde_supports_clean_routes": ({}, "clean_production_share", None, +1, {"sde_budget": 0.0}),
    "sde_cap_matters": ({}, "clean_production_share", None, +1, {"sde_max_intensity": 0.0}),
    "mandate_raises_circularity": ({"recycled_content_mandate": {2015: 0.0, 2024: 0.0, 2030: 0.6, 2040: 0.6}}, "circular_share", None, +1, {}),
    "standard_cuts_emissions": ({"emission_standard": 0.4}, "industry_ghg", None, -1, {}),
    "phaseout_cuts_emissions": ({"conventional_phaseout_year": 2028.0}, "industry_ghg", None, -1, {}),
    "governance_builds_capacity": ({"governance_capacity_target": 400.0}, "governance_index", None, +1, {}),
    "governance_speeds_readiness": ({"governance_capacity_target": 400.0}, "readiness", None, +1, {}),
    "open_search_saves_material": ({"topsector_exclusivity": 0.0}, "material_input", None, -1, {}),
    "regional_experiments_speed_adoption": ({"regional_experiments": 100.0}, "clean_production_share", None, +1, {}),
    "compensation_restores_legitimacy": ({**HIGH_LEVY, "levy_dispensation_factor": 0.3, "compensation": 3000.0},
                                         "legitimacy", None, +1, {**HIGH_LEVY, "levy_dispensation_factor": 0.3}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_instrument_moves_its_output(case: str) -> None:
    settings, output, index, sign, base_settings = CASES[case]
    new, base = run(**settings)[output][-1], run(**base_settings)[output][-1]
    if index is not None:
        new, base = new[index], base[index]
    elif np.ndim(new):
        new, base = new[2:].mean(), base[2:].mean()  # readiness: mean over mission routes
    change = (new - base) / max(abs(base), 1e-9)
    assert sign * change > 0.005, f"{case}: {output} changed {change:+.2%}, expected sign {sign:+d}"
