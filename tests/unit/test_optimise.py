"""Optimiser core on a small real Vensim model whose optimum is known analytically.

tests/data/models/opt_linear.mdl: industry_ghg = 100 - 0.2 levy - 0.01 subsidy (MtCO2/Year);
public_cost_total = 0.5 levy + subsidy (MEUR/Year). Abatement costs 2.5 MEUR/Mt by the levy and
100 MEUR/Mt by the subsidy, so the least-cost path uses the levy up to its bound (150 -> 30 Mt) and
the subsidy for the rest: in 2030 (target 60 Mt) 1000 MEUR/Year, in 2040 (target 50 Mt) 2000.

Problems are built the way ``python -m sdmission optimise`` builds them: a scenario file with an
``optimise:`` block, read by :func:`sdmission.scenario.load.load_scenario`, the engine from the
factory, and :func:`sdmission.analysis.optimise.build_problem` (only the target set is the test's
own, so that the known answers stay simple).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sdmission.analysis import optimise as opt
from sdmission.errors import InputError
from sdmission.model.catalogue import load_catalogue
from sdmission.model.engines.factory import load_engine
from sdmission.scenario.load import load_scenario
from sdmission.study.targets import Target, TargetSet

MDL = Path(__file__).resolve().parents[1] / "data" / "models" / "opt_linear.mdl"
R = 0.03


def _block(**extra: Any) -> dict[str, Any]:
    """The scenario's ``optimise:`` block; ``method`` entries and other keys override."""
    method = {"popsize": 6, "maxiter": 15, "seed": 3, **extra.pop("method", {})}
    return {
        "start": 2025,
        "levers": {"co2_levy_tariff": {"knots": [2030, 2040], "bounds": [0, 150]},
                   "sde_budget": {"knots": [2030, 2040], "bounds": [0, 3000]}},
        "objective": {"discount_rate": R},
        "method": method,
        **extra,
    }


def _targets(t2030: float = 60.0, t2040: float = 50.0) -> TargetSet:
    return TargetSet("test", "d", "s", (
        Target("ind-2030", "industry_ghg", 2030, t2030, "<=", "MtCO2/Year", "l", "l"),
        Target("ind-2040", "industry_ghg", 2040, t2040, "<=", "MtCO2/Year", "l", "l"),
    ))


@pytest.fixture(scope="module")
def engine():
    return load_engine(MDL, "pysd")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(MDL)


@pytest.fixture
def problem(engine, catalogue, tmp_path):
    """``problem(targets=None, **block)``: the production construction from a scenario file."""

    def make(targets: TargetSet | None = None, **block: Any) -> opt.OptimisationProblem:
        path = tmp_path / f"opt-linear-{len(list(tmp_path.iterdir()))}.yaml"
        # JSON is YAML: the block is written exactly as given
        path.write_text(f"description: optimiser unit test\nmodel: {json.dumps(str(MDL))}\n"
                        f"optimise: {json.dumps(_block(**block))}\n")
        scn = load_scenario(path)
        return opt.build_problem(scn, scn.blocks["optimise"], catalogue, engine, targets or _targets())

    return make


def _weights() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NPV weight of each knot's hat function on the annual grid 2025..2050 (base year 2025)."""
    years = np.arange(2025, 2051)
    disc = (1 + R) ** -(years - 2025.0)
    w30 = np.interp(years, [2025, 2030, 2040], [0, 1, 0]) @ disc
    w40 = np.interp(years, [2030, 2040, 2050], [0, 1, 1]) @ disc
    return years, w30, w40


def test_grid_and_default_path(problem):
    g = problem().grid
    assert (g.initial, g.final, g.step, g.saveper) == (2015, 2050, 0.25, 1)
    assert opt.read_grid(MDL) == g  # the .mdl text reader agrees with the catalogue
    x, y = opt.model_default_path(MDL, "co2_levy_tariff")
    assert list(x) == [2015, 2020.99, 2021, 2050] and list(y) == [0, 0, 10, 10]
    with pytest.raises(InputError, match="must be a number or WITH LOOKUP"):
        opt.model_default_path(MDL, "industry_ghg")


def test_paths_keep_history_and_hit_knots(problem):
    p = problem()
    x = np.array([100.0, 120.0, 500.0, 700.0])
    da = p.decode(x)["co2_levy_tariff"].isel(member=0)
    t = da["time"].values
    assert np.array_equal(da.sel(time=t[t < 2025]).values, np.interp(t[t < 2025], [2015, 2020.99, 2021], [0, 0, 10]))
    assert float(da.sel(time=2025.0)) == 10.0  # anchor: base value at start
    assert float(da.sel(time=2027.5)) == pytest.approx(55.0)  # halfway 10 -> 100
    assert float(da.sel(time=2030.0)) == 100.0 and float(da.sel(time=2050.0)) == 120.0


def test_known_answer(problem):
    p = problem()
    res = opt.solve(p, progress=None, pareto=False)
    assert res.feasible
    np.testing.assert_allclose(res.best.x, [150, 150, 1000, 2000], rtol=1e-6, atol=1e-4)
    _, w30, w40 = _weights()
    # cost = sum over knots of (0.5 levy + subsidy) x weight, plus the levy's anchor ramp 10 -> knot
    years = np.arange(2025, 2051)
    disc = (1 + R) ** -(years - 2025.0)
    levy = np.interp(years, [2025, 2030, 2040], [10, 150, 150])
    sde = np.interp(years, [2025, 2030, 2040], [0, 1000, 2000])
    expected = (0.5 * levy + sde) @ disc
    assert res.best.cost == pytest.approx(expected, rel=1e-9)
    assert set(res.binding) == {"ind-2030", "ind-2040"}
    # tightening a target by 1 Mt needs 100 MEUR/Year more subsidy at that knot
    assert res.marginal_cost["ind-2030"] == pytest.approx(100 * w30, rel=1e-4)
    assert res.marginal_cost["ind-2040"] == pytest.approx(100 * w40, rel=1e-4)
    assert set(res.at_bounds) == {("co2_levy_tariff@2030", "upper"), ("co2_levy_tariff@2040", "upper")}
    assert res.n_calls < res.n_evals  # populations went to the engine in batches


def test_same_seed_same_answer_and_other_seed_same_optimum(problem):
    a = opt.solve(problem(method={"polish": False}), seed=7, pareto=False)
    b = opt.solve(problem(method={"polish": False}), seed=7, pareto=False)
    assert np.array_equal(a.best.x, b.best.x) and a.history == b.history
    c = opt.solve(problem(method={"polish": False}), seed=8, pareto=False)
    assert not np.array_equal(a.best.x, c.best.x)


def test_infeasible_reports_closest_approach(problem):
    # at most 100 - 30 - 30 = 40 Mt abatement-limited: 20 Mt in 2030 cannot be reached
    p = problem(_targets(t2030=20.0, t2040=50.0))
    res = opt.solve(p, pareto=False)
    assert not res.feasible
    rep = opt.report_dict(p, res)
    assert rep["status"] == "infeasible" and rep["unmet_targets"] == ["ind-2030"]
    t30 = next(t for t in rep["targets"] if t["id"] == "ind-2030")
    assert t30["value"] == pytest.approx(40.0, abs=1e-3) and t30["gap"] == pytest.approx(20.0, abs=1e-3)
    assert ("co2_levy_tariff@2030", "upper") in res.at_bounds and ("sde_budget@2030", "upper") in res.at_bounds
    # sought on its own, the 2030 target is still out of reach (at most 40 Mt of abatement)
    assert rep["out_of_reach_alone"] == ["ind-2030"] and rep["reachable_alone"] == []
    md = opt.report_markdown(rep)
    assert "Infeasible" in md and "each of these is still out of reach: `ind-2030`" in md


def test_infeasible_tells_targets_reachable_alone_from_out_of_reach(problem):
    # industry <= 45 Mt and >= 80 Mt in 2030: each alone is reachable, together they are not
    targets = TargetSet("conflict", "d", "s", (
        Target("low-2030", "industry_ghg", 2030, 45.0, "<=", "MtCO2/Year", "l", "l"),
        Target("high-2030", "industry_ghg", 2030, 80.0, ">=", "MtCO2/Year", "l", "l"),
    ))
    p = problem(targets)
    res = opt.solve(p, pareto=False)
    rep = opt.report_dict(p, res)
    assert rep["status"] == "infeasible"
    assert sorted(rep["reachable_alone"]) == ["high-2030", "low-2030"] and rep["out_of_reach_alone"] == []
    assert "reachable alone but not together with the others: `" in opt.report_markdown(rep)


def test_infeasible_problem_still_gets_a_front_without_the_unreachable_target(problem):
    p = problem(_targets(t2030=20.0, t2040=50.0), pareto={"points": 4})
    res = opt.solve(p)
    assert not res.feasible and res.pareto_dropped == ["ind-2030"]
    front = res.pareto
    assert len(front) >= 3
    t40 = [t.id for t in p.target_set.targets].index("ind-2040")
    assert all(s.g[t40] <= opt.FEAS_TOL for s in front)  # the reachable target still binds the front
    costs, sec = [s.cost for s in front], [s.secondary for s in front]
    assert costs == sorted(costs) and sec == sorted(sec, reverse=True)
    # cheaper than the closest approach: the front does not chase the unreachable target
    assert front[0].cost < res.best.cost
    assert any("without the out-of-reach target(s) ind-2030" in m for m in res.messages)


def test_pareto_front_is_monotone(problem):
    p = problem(pareto={"points": 4})
    res = opt.solve(p)
    front = res.pareto
    assert len(front) >= 3 and all(s.feasible for s in front)
    costs = [s.cost for s in front]
    sec = [s.secondary for s in front]
    assert costs == sorted(costs) and sec == sorted(sec, reverse=True)
    assert front[0].cost == pytest.approx(res.best.cost, rel=1e-9)
    # lowest-emission end: every lever at its upper bound from 2030 on
    np.testing.assert_allclose(front[-1].x, [150, 150, 3000, 3000], rtol=1e-5)
    assert set(res.pareto_roles) == {"cheapest", "lowest", "knee"}


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"levers": {"x": {"knots": [2030, 2020], "bounds": [0, 1]}}}, "knot years must increase"),
        ({"levers": {"x": {"knots": [2030], "bounds": [5, 1]}}}, "low < high"),
        ({"levers": {"x": {"knots": [2020], "bounds": [0, 1]}}}, "before start"),
        ({"levers": {"x": {"knots": [2030, 2040], "bounds": [[0, 1]] * 3}}}, "3 bound pairs for 2 knots"),
        ({"objective": {"discount_rate": 3}}, "less than or equal to 0.5"),
        ({"methd": {}}, "Extra inputs are not permitted"),
    ],
)
def test_spec_validation(block, message):
    good = {"start": 2025, "levers": {"x": {"knots": [2030], "bounds": [0, 1]}},
            "objective": {"discount_rate": 0.03}}
    with pytest.raises(ValueError, match=message):
        opt.OptimiseSpec.model_validate({**good, **block})
