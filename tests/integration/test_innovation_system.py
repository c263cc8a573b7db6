"""The innovation system as a sourced dynamic model (issue #12 item 2), on the real model.

Batch engine (equal to PySD on this model, tests/integration/test_batch_agreement.py), runs to 2050.
Each test names the mechanism it checks; models/README.md 'Module 3' documents them.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import xarray as xr

from sdmission.model.engines.factory import load_engine
from tests.conftest import PROJECT_MODEL
from tests.integration.test_model_credibility import EXTREMES

DT = 0.25
FINAL = 2050
YEARS = np.arange(2015, FINAL + 1)
MISSION = slice(2, 6)  # electrification, hydrogen, ccs, circular
OUTPUTS = (
    "knowledge", "knowledge_function", "experimentation", "market_formation", "mobilised_resources",
    "legitimacy", "guidance_of_the_search", "innovation_function", "readiness", "readiness_growth",
    "innovation_system_strength", "learning_multiplier", "capex", "electrolyser_capex_cost",
    "infrastructure_delay", "delivered_grid_capacity", "delivered_storage_capacity", "permitting_time",
    "permit_feasibility", "mission_rd_focus", "public_rd_to_route", "investor_consideration",
    "governance_index", "industry_ghg", "procurement_market", "sde_market", "mandate_market",
    "invest_nl_demonstration", "regional_demonstration", "invest_nl_capital", "demo_weight",
)
FUNC = {f: i for i, f in enumerate(("knowledge", "experimentation", "market_formation", "resources", "legitimacy", "guidance"))}


def _path(points: dict[float, float]) -> xr.DataArray:
    """A knot path sampled on the integration grid."""
    t = np.arange(2015, FINAL + DT / 2, DT)
    return xr.DataArray(np.interp(t, list(points), list(points.values())), coords={"time": t}, dims=["time"])


@cache
def _run(key: tuple) -> dict[str, np.ndarray]:
    inputs = {k: _path(dict(v)) if isinstance(v, tuple) else xr.DataArray(float(v)) for k, v in key}
    ds = load_engine(PROJECT_MODEL, "batch").run(inputs, return_vars=list(OUTPUTS), final_time=FINAL)
    return {c: ds[c].isel(member=0).values for c in OUTPUTS}


def run(**params: float | dict[float, float]) -> dict[str, np.ndarray]:
    return _run(tuple(sorted((k, tuple(sorted(v.items())) if isinstance(v, dict) else v) for k, v in params.items())))


def at(out: dict[str, np.ndarray], name: str, year: int) -> np.ndarray:
    return np.asarray(out[name][int(np.searchsorted(YEARS, year))])


def stop_after(value: float, year: float) -> dict[float, float]:
    """A path at ``value`` until ``year`` and 0 from the next time step on."""
    return {2015: value, year: value, year + DT: 0.0, FINAL: 0.0}


# --- depreciation ---------------------------------------------------------------------------------

def test_knowledge_depreciates_when_rd_support_stops() -> None:
    """No R&D from 2030.25 on: knowledge decays by exactly (1 - dt / 10 yr) a step (Euler)."""
    out = run(rd_support=stop_after(2900.0, 2030))
    k31, k35 = at(out, "knowledge", 2031), at(out, "knowledge", 2035)
    np.testing.assert_allclose(k35 / k31, (1 - DT / 10.0) ** 16, rtol=1e-9)
    after = out["knowledge"][int(np.searchsorted(YEARS, 2031)):]
    assert np.all(np.diff(after, axis=0) < 0)  # falls every year once support has stopped


def test_experimentation_depreciates_when_demonstration_money_stops() -> None:
    out = run(invest_nl_equity=stop_after(2000.0, 2030), regional_experiments=0.0)
    e30, e40 = at(out, "experimentation", 2030)[MISSION], at(out, "experimentation", 2040)[MISSION]
    assert np.all(e40 < 0.7 * e30)


def test_readiness_decays_without_support() -> None:
    """Every instrument at zero: the innovation system is weaker than the maintenance level and the
    mission routes lose readiness; with today's support they do not."""
    none = run(rd_support=0.0, invest_nl_equity=0.0, sde_budget=0.0, innovation_procurement=0.0,
               governance_capacity_target=0.0, regional_experiments=0.0)
    r15, r50 = at(none, "readiness", 2015)[MISSION], at(none, "readiness", 2050)[MISSION]
    assert np.all(r50 < r15 - 0.02)
    assert np.all(none["readiness_growth"][:, MISSION].min(axis=0) < 0)
    assert np.all(at(run(), "readiness", 2050)[MISSION] > r50 + 0.05)


# --- learning -------------------------------------------------------------------------------------

def test_global_deployment_lowers_capex() -> None:
    slow, fast = run(global_deployment_scenario=0.5), run(global_deployment_scenario=1.5)
    learning = slice(1, 6)  # every route with a learning rate > 0
    assert np.all(at(fast, "learning_multiplier", 2040)[learning] < at(slow, "learning_multiplier", 2040)[learning] - 0.01)
    assert np.all(at(fast, "capex", 2040)[:, 1:] <= at(slow, "capex", 2040)[:, 1:])
    assert at(fast, "electrolyser_capex_cost", 2040) < 0.9 * at(slow, "electrolyser_capex_cost", 2040)


def test_dutch_share_of_learning_follows_dutch_deployment() -> None:
    """With no Dutch cost share the learning multiplier is the global curve alone: exp(g t) ^ log2(1 - LR)."""
    out = run(dutch_cost_share=0.0)
    growth = np.array([0, 0.03, 0.1, 0.15, 0.06, 0.06])
    rate = np.array([0, 0.05, 0.1, 0.15, 0.11, 0.1])
    expected = np.exp(growth * 25) ** (np.log(1 - rate) / np.log(2))
    np.testing.assert_allclose(at(out, "learning_multiplier", 2040), expected, rtol=1e-9)
    assert not np.allclose(at(run(), "learning_multiplier", 2040), expected, rtol=1e-3)


# --- each TIS function rises with its named instrument --------------------------------------------

CASES = {
    "rd_support_builds_knowledge": ({"rd_support": 6000.0}, "innovation_function", FUNC["knowledge"]),
    "invest_nl_builds_experimentation": ({"invest_nl_equity": 2000.0}, "innovation_function", FUNC["experimentation"]),
    "regional_experiments_build_experimentation": ({"regional_experiments": 50.0}, "innovation_function", FUNC["experimentation"]),
    "procurement_forms_markets": ({"innovation_procurement": 1500.0}, "innovation_function", FUNC["market_formation"]),
    "sde_forms_markets": ({"sde_budget": 8000.0}, "innovation_function", FUNC["market_formation"]),
    "invest_nl_mobilises_resources": ({"invest_nl_equity": 2000.0}, "innovation_function", FUNC["resources"]),
    "mission_rd_guides_the_search": ({"rd_mission_share": 0.3}, "innovation_function", FUNC["guidance"]),
    "standard_guides_the_search": ({"emission_standard": 0.4}, "innovation_function", FUNC["guidance"]),
    "governance_guides_the_search": ({"governance_capacity_target": 1000.0}, "innovation_function", FUNC["guidance"]),
    "governance_builds_legitimacy": ({"governance_capacity_target": 1000.0}, "innovation_function", FUNC["legitimacy"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_function_rises_with_its_instrument(case: str) -> None:
    settings, output, index = CASES[case]
    new, base = at(run(**settings), output, 2040)[index], at(run(), output, 2040)[index]
    assert new > base + 0.01, f"{case}: {output}[{index}] {base:.3f} -> {new:.3f}"


def test_named_inflows_carry_their_instrument() -> None:
    """Each instrument enters its function through its own named inflow, and only there."""
    proc, base = run(innovation_procurement=1500.0), run()
    assert at(proc, "procurement_market", 2030)[MISSION].sum() > 10 * at(base, "procurement_market", 2030)[MISSION].sum()
    mandate = run(recycled_content_mandate=0.4)
    assert at(mandate, "mandate_market", 2030)[5] > 0 == at(base, "mandate_market", 2030)[5]
    inl = run(invest_nl_equity=2000.0)
    np.testing.assert_allclose(at(inl, "invest_nl_capital", 2030).sum(), 2000.0 * 0.25 * 3, rtol=1e-9)
    np.testing.assert_allclose(at(inl, "invest_nl_demonstration", 2030).sum(), 2000.0 * 0.25 * 0.5 * 3, rtol=1e-9)
    reg = run(regional_experiments=10.0)
    np.testing.assert_allclose(at(reg, "regional_demonstration", 2030)[MISSION], 60 * 2 / 4, rtol=1e-9)


def test_rd_budget_is_conserved() -> None:
    """Directed R&D is redistributed, not multiplied: the routes' public R&D sums to the budget share."""
    for gov in (0.0, 2000.0):
        out = run(rd_mission_share=0.5, governance_capacity_target=gov)
        np.testing.assert_allclose(at(out, "public_rd_to_route", 2040).sum(), 2900.0 * 0.3, rtol=1e-9)


def test_legitimacy_rises_with_compensation_under_a_burden() -> None:
    levy = {"co2_levy_tariff": {2015: 0.0, 2024: 0.0, 2025: 300.0, 2050: 300.0}, "levy_dispensation_factor": 0.3}
    burdened, compensated = run(**levy), run(**levy, compensation=3000.0)
    assert at(compensated, "legitimacy", 2040) > at(burdened, "legitimacy", 2040) + 0.01


# --- governance acts through named mechanisms -----------------------------------------------------

MECHANISMS = {
    "infrastructure_coordination_effect": ("infrastructure_delay", None),
    "permitting_coordination_effect": ("permitting_time", MISSION),
    "rd_directionality_effect": ("mission_rd_focus", None),
}


@pytest.mark.parametrize("strength", list(MECHANISMS))
def test_governance_acts_through_each_mechanism(strength: str) -> None:
    var, idx = MECHANISMS[strength]
    pick = (lambda x: x) if idx is None else (lambda x: x[idx])
    low, high = run(governance_capacity_target=60.0), run(governance_capacity_target=2000.0)
    assert np.all(np.abs(pick(at(high, var, 2040)) - pick(at(low, var, 2040))) > 0.01), f"{var} ignores governance"
    low0 = run(governance_capacity_target=60.0, **{strength: 0.0})
    high0 = run(governance_capacity_target=2000.0, **{strength: 0.0})
    np.testing.assert_allclose(high0[var], low0[var], rtol=1e-12, err_msg=f"{strength}=0 leaves an effect on {var}")


def test_infrastructure_coordination_delivers_more_infrastructure() -> None:
    low, high = run(governance_capacity_target=60.0), run(governance_capacity_target=2000.0)
    assert at(high, "delivered_grid_capacity", 2035) > at(low, "delivered_grid_capacity", 2035) + 1
    assert at(high, "delivered_storage_capacity", 2035) > at(low, "delivered_storage_capacity", 2035) + 0.5


def test_governance_cuts_emissions_through_its_mechanisms() -> None:
    """More coordination lowers 2050 industry GHG; with the three named mechanisms off, the effect
    that is left (legitimacy, guidance, regional support) is smaller."""
    off = {k: 0.0 for k in MECHANISMS}
    effect = at(run(governance_capacity_target=60.0), "industry_ghg", 2050) - at(run(governance_capacity_target=2000.0), "industry_ghg", 2050)
    rest = (at(run(governance_capacity_target=60.0, **off), "industry_ghg", 2050)
            - at(run(governance_capacity_target=2000.0, **off), "industry_ghg", 2050))
    assert effect > 0.5
    assert rest < effect - 0.3


# --- bounds under extreme levers ------------------------------------------------------------------

SHARES = ("innovation_function", "readiness", "legitimacy", "guidance_of_the_search", "innovation_system_strength",
          "permit_feasibility", "investor_consideration", "mission_rd_focus", "governance_index", "knowledge_function",
          "demo_weight")


@pytest.mark.parametrize("case", ["baseline", "levers_at_lower_limits", "levers_at_upper_limits"])
def test_indices_stay_in_unit_interval(case: str) -> None:
    out = run(**EXTREMES[case])
    for name in SHARES:
        x = out[name]
        assert np.all(np.isfinite(x)) and x.min() >= -1e-12 and x.max() <= 1 + 1e-12, f"{case}: {name} outside [0, 1]"
    for name in ("knowledge", "experimentation", "market_formation", "mobilised_resources", "infrastructure_delay", "permitting_time"):
        assert out[name].min() >= 0, f"{case}: {name} negative"
