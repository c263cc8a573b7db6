"""Robust optimisation (chance constraints over sampled futures) on a model with a known answer.

tests/data/models/opt_robust.mdl: industry_ghg = 100 x emission_factor - abatement_effort
(MtCO2/Year), public_cost_total = 2 x abatement_effort (MEUR/Year); emission_factor ~ U(0.8, 1.2)
from the model's parameter table. The target industry_ghg <= 60 in 2030 met with probability p needs
effort >= 100 F^-1(p) - 60 (F the factor's distribution): 52 for p = 0.8. Over N fixed futures the
exact optimum is 100 f_(k) - 60 with f_(k) the k-th smallest sampled factor, k = ceil(p N). A Latin
hypercube puts exactly one draw in each stratum [(i-1)/N, i/N) of every column, so |u_(k) - p| < 1/N
and |f_(k) - F^-1(p)| < 0.4/N: the sampled optimum lies within 40/N Mt of 52 (0.625 for N = 64).

Problems are built the way ``python -m sdmission optimise`` builds them: a scenario file (with its
``uncertainties:`` block, default all), :func:`sdmission.analysis.optimise.scenario_futures` and
:func:`sdmission.analysis.optimise.build_problem`; only the target set is the test's own.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sdmission.analysis import ensemble
from sdmission.analysis import optimise as opt
from sdmission.errors import InputError
from sdmission.model.catalogue import load_catalogue
from sdmission.model.engines.factory import load_engine
from sdmission.scenario.load import Scenario, load_scenario
from sdmission.study.targets import Target, TargetSet

MDL = Path(__file__).resolve().parents[1] / "data" / "models" / "opt_robust.mdl"
R = 0.03
N = 64
DE_TOL = 0.05  # Mt: how close DE (tol 1e-4, 40 generations) gets to the constraint boundary


def _block(p: float = 0.8, members: int = N, fseed: int = 1, seed: int = 3) -> dict[str, Any]:
    """The scenario's ``optimise:`` block."""
    return {
        "start": 2025,
        "levers": {"abatement_effort": {"bounds": [0, 100]}},
        "objective": {"discount_rate": R},
        "method": {"popsize": 10, "maxiter": 40, "tol": 1e-4, "seed": seed},
        "robust": {"p": p, "members": members, "sampler": "lhs", "seed": fseed},
    }


def _targets(threshold: float = 60.0) -> TargetSet:
    return TargetSet("test", "d", "s", (
        Target("ind-2030", "industry_ghg", 2030, threshold, "<=", "MtCO2/Year", "l", "l"),))


@pytest.fixture(scope="module")
def engine():
    return load_engine(MDL, "batch")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(MDL)


@pytest.fixture
def scenario(tmp_path):
    """``scenario(block, uncertainties=None)``: a scenario file with these blocks, loaded."""

    def make(block: dict[str, Any], uncertainties: dict[str, Any] | None = None) -> Scenario:
        path = tmp_path / f"opt-robust-{len(list(tmp_path.iterdir()))}.yaml"
        # JSON is YAML: the blocks are written exactly as given
        text = f"description: robust optimiser unit test\nmodel: {json.dumps(str(MDL))}\n"
        if uncertainties is not None:
            text += f"uncertainties: {json.dumps(uncertainties)}\n"
        path.write_text(text + f"optimise: {json.dumps(block)}\n")
        return load_scenario(path)

    return make


@pytest.fixture
def problem(engine, catalogue, scenario):
    """``problem(block=None, targets=None, uncertainties=None, engine=None)``: the production
    construction (futures drawn from the scenario's uncertainties, default all)."""

    def make(block: dict[str, Any] | None = None, targets: TargetSet | None = None,
             uncertainties: dict[str, Any] | None = None, engine_: Any = None) -> opt.OptimisationProblem:
        scn = scenario(block or _block(), uncertainties)
        spec = scn.blocks["optimise"]
        futures = opt.scenario_futures(scn, spec.robust)
        return opt.build_problem(scn, spec, catalogue, engine_ or engine, targets or _targets(), futures)

    return make


class Recorder:
    """Engine wrapper recording the member count of every call."""

    def __init__(self, engine):
        self.engine, self.name, self.sizes = engine, engine.name, []

    def run(self, inputs, **kw):
        ds = self.engine.run(inputs, **kw)
        self.sizes.append(ds.sizes["member"])
        return ds


def _factors(problem) -> np.ndarray:
    return problem.futures.samples["value"].sel(uncertainty="emission_factor").values


def test_known_answer_is_the_p_quantile_of_the_factor(engine, problem):
    rec = Recorder(engine)
    p = problem(engine_=rec)
    assert p.futures.n == N and p.futures.k == math.ceil(0.8 * N) == 52
    assert len(p.futures.space) == 2  # defaults: all -> emission_factor and other_sectors_decline
    res = opt.solve(p, pareto=False)
    calls = list(rec.sizes)
    assert res.feasible
    (x,) = res.best.x
    exact = 100 * np.sort(_factors(p))[p.futures.k - 1] - 60  # optimum over these 64 futures
    assert 0 <= x - exact <= DE_TOL
    assert abs(exact - 52.0) < 40 / N  # LHS stratification bound (module docstring)
    # tight: a little less effort and the 52nd future fails
    summ = p.robust_summary(res.best.x)
    (t,) = summ["targets"]
    assert t["futures_met"] == 52 and t["p_met"] == pytest.approx(52 / 64) and t["met"]
    less = p.robust_summary(np.array([exact - 1e-3]))["targets"][0]
    assert less["futures_met"] == 51 and not less["met"]
    # cost is the nominal future's: 2 MEUR/Year per Mt, 2025..2050 discounted to 2025
    years = np.arange(2025, 2051)
    assert res.best.cost == pytest.approx(2 * x * ((1 + R) ** -(years - 2025.0)).sum(), rel=1e-12)
    # DE only for chance constraints
    assert res.marginal_cost == {} and any("no SLSQP polish" in m for m in res.messages)
    # one engine call per generation, S candidates x (N + 1) members each; besides: the base run,
    # scipy's one-point probe of the constraint and the initial population
    assert calls[0] == 1 and all(s % (N + 1) == 0 for s in calls[1:])
    assert len(calls) <= len(res.history) + 3 and max(calls) >= 9 * (N + 1)


def test_p_met_agrees_with_the_ensemble_hook(engine, problem):
    p = problem(_block(p=0.5, members=32))
    x = np.array([[45.0], [60.0], [75.0]])
    pm = ensemble.probability_met(engine, {**p.fixed_inputs, **p.decode(x)}, p.futures.samples,
                                  p.futures.space, p.target_set)
    for s in range(3):
        assert p.robust_summary(x[s])["targets"][0]["p_met"] == float(pm.isel(candidate=s).sel(target="ind-2030"))
    # g <= 0 exactly when P(met) >= p
    g = p.outcomes(x).g[:, 0]
    assert list(g <= 0) == list(pm.sel(target="ind-2030").values >= 0.5)


def test_same_seed_same_answer_other_futures_other_answer(problem):
    a = opt.solve(problem(), pareto=False)
    b = opt.solve(problem(), pareto=False)
    assert np.array_equal(a.best.x, b.best.x) and a.history == b.history
    c = opt.solve(problem(_block(fseed=2)), pareto=False)
    assert not np.array_equal(a.best.x, c.best.x)


def test_p_one_with_an_impossible_future_is_infeasible(problem):
    # factor 1.0 or 1.5: the 1.5 futures need 90 Mt of effort against the 60 Mt target... and 150 - 100
    # = 50 > 45 Mt target: out of reach within the bound; the closest approach is effort at its bound
    block = {"parameters": [{"name": "emission_factor", "distribution": "discrete",
                             "values": [1.0, 1.5]}]}
    p = problem(_block(p=1.0, members=16), _targets(45.0), block)
    res = opt.solve(p, pareto=False)
    assert not res.feasible
    assert res.best.x[0] == 100.0 and res.at_bounds == [("abatement_effort", "upper")]
    rep = opt.report_dict(p, res)
    (t,) = rep["targets"]
    assert rep["status"] == "infeasible" and rep["unmet_targets"] == ["ind-2030"]
    assert t["futures_met"] == 8 and t["gap_at_p"] == pytest.approx(5.0, abs=1e-9)
    assert "Infeasible" in opt.report_markdown(rep) and "16 sampled futures (seed 1)" in opt.report_markdown(rep)
    # p = 0.5 over the same futures: half are factor 1.0 (LHS, equal weights) -> effort 55
    res2 = opt.solve(problem(_block(p=0.5, members=16), _targets(45.0), block), pareto=False)
    assert res2.feasible and 0 <= res2.best.x[0] - 55.0 <= DE_TOL


@pytest.mark.parametrize(
    ("robust", "message"),
    [
        ({"p": 0}, "greater than 0"),
        ({"p": 1.2}, "less than or equal to 1"),
        ({"p": 0.8, "members": 1}, "greater than or equal to 2"),
        ({"p": 0.8, "sampler": "grid"}, "'lhs', 'sobol' or 'mc'"),
        ({"p": 0.8, "n": 3}, "Extra inputs are not permitted"),
    ],
)
def test_robust_block_validation(robust, message):
    good = {"start": 2025, "levers": {"x": {"bounds": [0, 1]}}, "objective": {"discount_rate": 0.03}}
    with pytest.raises(ValueError, match=message):
        opt.OptimiseSpec.model_validate({**good, "robust": robust})
    assert opt.OptimiseSpec.model_validate({**good, "robust": {"p": 0.9}}).robust.members == 64


def test_robust_needs_uncertainties_and_futures(engine, catalogue, scenario):
    scn = scenario(_block(), {})  # an uncertainties: block that selects none
    with pytest.raises(InputError, match="at least one uncertainty"):
        opt.scenario_futures(scn, scn.blocks["optimise"].robust)
    with pytest.raises(ValueError, match="futures must be given"):
        opt.build_problem(scn, scn.blocks["optimise"], catalogue, engine, _targets())
