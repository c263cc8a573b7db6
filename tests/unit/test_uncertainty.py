"""Uncertainties block: validation messages with locations, distributions, seeded samplers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sdmission.analysis.uncertainty import (
    UncertaintiesBlock,
    Uncertainty,
    engine_inputs,
    load_parameter_table,
    load_uncertainties,
    sample,
    unit_sample,
)
from sdmission.errors import InputError

TOY = Path(__file__).resolve().parents[1] / "data" / "models" / "unc_toy.mdl"


@pytest.fixture(scope="module")
def table():
    return load_parameter_table(TOY)


def _messages(exc: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_defaults_all_takes_every_uncertain_row_with_a_range(table):
    space = load_uncertainties({"defaults": "all"}, "s.yaml", table)
    assert space.labels == ("abatement_rate[north]", "abatement_rate[south]", "circular_growth",
                            "levy_effect", "other_decline")
    u = space.get("abatement_rate[south]")
    assert (u.distribution, u.low, u.high, u.default) == ("uniform", 0.025, pytest.approx(0.075), 0.05)
    assert load_uncertainties({}, "s.yaml", table).labels == ()


def test_explicit_entries_override_defaults_and_expand_elements(table):
    space = load_uncertainties(
        {"defaults": "all", "exclude": ["levy_effect"],
         "parameters": [{"name": "circular_growth", "distribution": "triangular"},
                        {"name": "abatement_rate", "low": 0.01, "high": 0.02}]},
        "s.yaml", table)
    assert "levy_effect" not in space.labels
    tri = space.get("circular_growth")
    assert (tri.distribution, tri.low, tri.mode, tri.high) == ("triangular", 0.04, 0.12, 0.2)
    assert [(space.get(f"abatement_rate[{e}]").low, space.get(f"abatement_rate[{e}]").high)
            for e in ("north", "south")] == [(0.01, 0.02), (0.01, 0.02)]


def test_every_problem_reported_with_key_and_did_you_mean(table):
    with pytest.raises(InputError) as exc:
        load_uncertainties(
            {"defaults": "all", "exclude": ["levy"],
             "parameters": [{"name": "circular_grwth"},
                            {"name": "abatement_rate", "element": "nort"},
                            {"name": "national_ghg_1990"},
                            {"name": "levy_effect", "low": 2},
                            {"name": "other_decline", "element": "x"}]},
            "s.yaml", table, line_of=lambda k: 10 + len(k))
    assert _messages(exc) == [
        "s.yaml:13: uncertainties.exclude.0: unknown uncertain parameter (given 'levy'; allowed: "
        "abatement_rate, circular_growth, levy_effect, other_decline)",
        "s.yaml:14: uncertainties.parameters.0.name: unknown uncertain parameter (given "
        "'circular_grwth'; allowed: abatement_rate, circular_growth, levy_effect, other_decline; "
        "did you mean 'circular_growth'?)",
        "s.yaml:14: uncertainties.parameters.1.element: unknown element of 'abatement_rate' "
        "(given 'nort'; allowed: north, south; did you mean 'north'?)",
        "s.yaml:14: uncertainties.parameters.2.name: 'national_ghg_1990' is a [data] constant, not "
        "an uncertain parameter (allowed: rows of kind parameter or calibrated in the parameter "
        "table)",
        "s.yaml:13: uncertainties.parameters.3: 'levy_effect': 'low' must be below 'high' (given "
        "low 2, high 0.0008)",
        "s.yaml:14: uncertainties.parameters.4.element: 'other_decline' is not subscripted; "
        "remove 'element' (given 'x')",
    ]


@pytest.mark.parametrize(("entry", "message"), [
    ({"name": "levy_effect", "mode": 1}, "key(s) mode do not apply to distribution 'uniform' "
     "(given mode; allowed for uniform: low, high)"),
    ({"name": "levy_effect", "distribution": "discrete"},
     "distribution 'discrete' needs 'values' (a list of numbers)"),
    ({"name": "levy_effect", "distribution": "discrete", "values": [1, 2], "weights": [1]},
     "'weights' must have one entry per value (given 1 weights for 2 values)"),
    ({"name": "levy_effect", "distribution": "gamma"},
     "not allowed (given 'gamma'; allowed: 'uniform', 'triangular', 'truncnormal' or 'discrete')"),
    ({"name": "levy_effect", "mdoe": 1}, "unknown key (given 'mdoe'; allowed: name, element, "
     "distribution, low, high, mode, mean, sd, values, weights; did you mean 'mode'?)"),
])
def test_schema_errors(table, entry, message):
    with pytest.raises(InputError) as exc:
        load_uncertainties({"parameters": [entry]}, "s.yaml", table)
    assert [p.message for p in exc.value.problems] == [message]


def test_range_checks_of_triangular_and_truncnormal(table):
    with pytest.raises(InputError) as exc:
        load_uncertainties({"parameters": [
            {"name": "circular_growth", "distribution": "triangular", "mode": 0.5},
            {"name": "other_decline", "distribution": "truncnormal", "mean": 0.5}]}, "s.yaml", table)
    assert [p.message for p in exc.value.problems] == [
        "'circular_growth': 'mode' must lie in [low, high] (given 0.5; allowed: [0.04, 0.2])",
        "'other_decline': 'mean' must lie in [low, high] (given 0.5; allowed: [0.02, 0.1])"]


def test_block_is_frozen():
    block = UncertaintiesBlock(defaults="all")
    with pytest.raises(Exception, match="frozen"):
        block.defaults = "none"  # type: ignore[misc]


def test_quantile_functions():
    u = np.linspace(0, 1, 100001)[:-1] + 0.5e-5
    uni = Uncertainty("a", "", "uniform", 2.0, 4.0, 3.0, "")
    assert uni.ppf(u).min() >= 2 and uni.ppf(u).max() <= 4
    tri = Uncertainty("a", "", "triangular", 0.0, 1.0, 0.2, "", mode=0.2)
    assert np.mean(tri.ppf(u)) == pytest.approx((0 + 0.2 + 1) / 3, abs=1e-3)
    tn = Uncertainty("a", "", "truncnormal", 0.0, 1.0, 0.5, "", mean=0.5, sd=10.0)
    vals = tn.ppf(u)  # a very wide normal truncated to [0, 1] is nearly uniform
    assert vals.min() >= 0 and vals.max() <= 1 and np.mean(vals) == pytest.approx(0.5, abs=1e-3)
    disc = Uncertainty("a", "", "discrete", 1.0, 3.0, 1.0, "", values=(1.0, 2.0, 3.0),
                       weights=(0.25, 0.5, 0.25))
    v = disc.ppf(u)
    assert [np.mean(v == k) for k in (1, 2, 3)] == pytest.approx([0.25, 0.5, 0.25], abs=1e-4)


@pytest.mark.parametrize("sampler", ["lhs", "sobol", "mc"])
def test_samplers_are_seeded(sampler):
    a = unit_sample(16, 3, sampler, seed=7)
    assert a.shape == (16, 3) and (a >= 0).all() and (a < 1).all()
    assert np.array_equal(a, unit_sample(16, 3, sampler, seed=7))
    assert not np.array_equal(a, unit_sample(16, 3, sampler, seed=8))


def test_lhs_is_stratified():
    a = unit_sample(20, 4, "lhs", seed=1)
    for j in range(4):  # one point in each of the 20 equal slices of every axis
        assert sorted(np.floor(a[:, j] * 20).astype(int)) == list(range(20))


def test_bad_sampler_and_members():
    with pytest.raises(InputError, match="unknown sampler .*did you mean 'lhs'"):
        unit_sample(4, 2, "lsh", 0)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="members must be at least 1"):
        unit_sample(0, 2, "lhs", 0)


def test_scenarios_share_draws_of_shared_uncertainties(table):
    a = load_uncertainties({"parameters": [{"name": "circular_growth"}, {"name": "levy_effect"}]},
                           "a", table)
    b = load_uncertainties({"parameters": [{"name": "circular_growth", "low": 0.1, "high": 0.2}]},
                           "b", table)
    ds = sample({"a": a, "b": b}, 10, "lhs", seed=3)
    assert ds["value"].dims == ("scenario", "member", "uncertainty")
    q = ds["quantile"].sel(uncertainty="circular_growth").values
    np.testing.assert_allclose(ds["value"].sel(scenario="a", uncertainty="circular_growth"),
                               0.04 + q * 0.16)
    np.testing.assert_allclose(ds["value"].sel(scenario="b", uncertainty="circular_growth"),
                               0.1 + q * 0.1)
    assert np.isnan(ds["value"].sel(scenario="b", uncertainty="levy_effect")).all()


def test_engine_inputs_fill_unsampled_elements_with_model_values(table):
    space = load_uncertainties({"parameters": [{"name": "abatement_rate", "element": "south"},
                                               {"name": "levy_effect"}]}, "s", table)
    ds = sample(space, 5, "mc", seed=0)
    inputs = engine_inputs(ds["value"], space)
    ar = inputs["abatement_rate"]
    assert ar.dims == ("member", "cluster") and list(ar["cluster"].values) == ["north", "south"]
    np.testing.assert_array_equal(ar.sel(cluster="north"), 0.03)
    np.testing.assert_array_equal(ar.sel(cluster="south"),
                                  ds["value"].sel(uncertainty="abatement_rate[south]"))
    assert inputs["levy_effect"].dims == ("member",)


def test_engine_inputs_refuse_samples_of_another_space(table):
    small = load_uncertainties({"parameters": [{"name": "levy_effect"}]}, "s", table)
    big = load_uncertainties({"defaults": "all"}, "s", table)
    ds = sample(small, 3, "lhs", seed=0)
    with pytest.raises(InputError, match=r"the samples lack 4 uncertainties of the scenario "
                       r"\(abatement_rate\[north\], .*drawn for another uncertainty space"):
        engine_inputs(ds["value"], big)
