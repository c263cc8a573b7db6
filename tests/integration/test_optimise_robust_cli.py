"""``python -m sdmission optimise`` with a ``robust:`` block, end to end on opt_robust.mdl.

Target 'klimaatakkoord-industry': industry_ghg = 100 x emission_factor - effort <= 35.7 Mt in 2030.
With emission_factor ~ U(0.8, 1.2) and P(met) >= 0.8 over 64 LHS futures, the least-cost effort is
100 f_(52) - 35.7 (f_(52) the 52nd smallest sampled factor), within 40/64 Mt of 100 x 1.12 - 35.7 =
76.3 (see tests/unit/test_optimise_robust.py for the bound).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from sdmission.analysis.uncertainty import sample
from sdmission.cli import main

MDL = Path(__file__).resolve().parents[1] / "data" / "models" / "opt_robust.mdl"

SCENARIO = """\
name: rob-test
description: Robust optimiser test scenario on the known-answer model.
model: {model}
targets: klimaatakkoord-industry
uncertainties:
  parameters:
    - {uncertain}
optimise:
  start: 2025
  levers:
    abatement_effort: {{bounds: [0, 100]}}
  objective: {{discount_rate: 0.03}}
  method: {{popsize: 10, maxiter: 40, tol: 1.0e-4, seed: 2}}
  pareto: {{points: 3}}
  robust: {{p: {p}, members: 64, sampler: lhs, seed: 1}}
"""
UNIFORM = "{name: emission_factor}"
IMPOSSIBLE = "{name: emission_factor, distribution: discrete, values: [1.0, 1.5]}"


def _scenario(tmp_path: Path, p: float, uncertain: str = UNIFORM) -> Path:
    f = tmp_path / "rob-test.yaml"
    f.write_text(SCENARIO.format(model=MDL, p=p, uncertain=uncertain))
    return f


def test_robust_optimum_report_and_reproducible_scenario(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["optimise", str(_scenario(tmp_path, 0.8)), "--out", str(out), "--quiet"]) == 0
    rep = json.loads((out / "report.json").read_text())
    rb = rep["robust"]
    assert (rep["status"], rep["engine"], rb["members"], rb["seed"], rb["k"]) == ("feasible", "batch", 64, 1, 52)
    assert "64 futures (lhs, seed 1)" in rb["statement"]
    (t,) = rep["targets"]
    assert t["futures_met"] == 52 and t["p_met"] == pytest.approx(52 / 64) and t["met"] and t["nominal_met"]
    assert set(t["gap_quantiles"]) == {"0.05", "0.25", "0.5", "0.75", "0.95"}
    effort = rep["decisions"][0]["value"]
    space_draws = sample(_space(), 64, "lhs", 1)["value"].sel(uncertainty="emission_factor").values
    exact = 100 * np.sort(space_draws)[51] - 35.7
    assert 0 <= effort - exact <= 0.05 and abs(effort - 76.3) < 40 / 64 + 0.05
    md = (out / "report.md").read_text()
    assert "## Robustness" in md and "over 64 sampled futures (seed 1)" in md
    assert "Pareto front skipped" in md and not (out / "pareto.png").exists()
    capsys.readouterr()

    # the written scenario, run the way `run` runs it, reproduces the reported (nominal) cost
    from sdmission.study.case import prepare

    written = out / "rob-test-optimised.yaml"
    assert "# Robust: P(met) >= 0.8 for every target over 64 futures (lhs, seed 1)" in written.read_text()
    (case,) = prepare([written], engine="batch")
    assert "optimise" not in case.scenario.blocks
    ds = case.engine.run(case.inputs, return_vars=["industry_ghg", "public_cost_total"]).isel(member=0)
    years = np.arange(2025, 2051)
    npv = float((ds["public_cost_total"].sel(time=years.astype(float)).values * 1.03 ** -(years - 2025.0)).sum())
    assert npv == pytest.approx(rep["objective"]["value"], rel=1e-12)
    assert float(ds["industry_ghg"].sel(time=2030.0)) == pytest.approx(t["value"], rel=1e-12)

    # and `ensemble` over the same futures (its uncertainties block is kept) finds the same P(met)
    ens = tmp_path / "ens"
    assert main(["ensemble", str(written), "--members", "64", "--sampler", "lhs", "--seed", "1",
                 "--out", str(ens), "--no-plots"]) == 0
    rows = list(csv.DictReader((ens / "ensemble_pmet.csv").read_text().splitlines()))
    assert float(next(r for r in rows if r["target"] == t["id"])["p_met"]) == pytest.approx(t["p_met"], abs=1e-12)


def _space():
    from sdmission.analysis.uncertainty import load_parameter_table, load_uncertainties

    return load_uncertainties({"parameters": [{"name": "emission_factor"}]}, None, load_parameter_table(MDL))


def test_robust_p_one_with_impossible_future_exit_2(tmp_path):
    out = tmp_path / "out"
    assert main(["optimise", str(_scenario(tmp_path, 1, IMPOSSIBLE)), "--out", str(out), "--quiet"]) == 2
    rep = json.loads((out / "report.json").read_text())
    (t,) = rep["targets"]
    assert rep["status"] == "infeasible" and rep["unmet_targets"] == ["industry-residual-2030"]
    # closest approach: effort at its bound; the factor-1.5 futures miss by 150 - 100 - 35.7 Mt
    assert rep["levers_at_bounds"] == [{"decision": "abatement_effort", "bound": "upper"}]
    assert t["futures_met"] == 32 and t["gap_at_p"] == pytest.approx(14.3, abs=1e-9)
    assert "Infeasible" in (out / "report.md").read_text()


def test_robust_same_seed_same_answer(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        assert main(["optimise", str(_scenario(tmp_path, 0.8)), "--out", str(d), "--quiet", "--no-pareto"]) == 0
    ra, rb = (json.loads((d / "report.json").read_text()) for d in (a, b))
    assert ra["decisions"] == rb["decisions"] and ra["history"] == rb["history"]
    body = [[ln for ln in (d / "rob-test-optimised.yaml").read_text().splitlines() if not ln.startswith("#")]
            for d in (a, b)]
    assert body[0] == body[1]


def test_robust_input_errors_exit_1(tmp_path, capsys):
    f = _scenario(tmp_path, 0.8)
    f.write_text(f.read_text().replace("robust: {p: 0.8", "robust: {p: 1.5"))
    assert main(["optimise", str(f), "--quiet"]) == 1
    assert "out of range (given 1.5; allowed: at most 1)" in capsys.readouterr().err
    f = _scenario(tmp_path, 0.8, "{name: emision_factor}")
    assert main(["optimise", str(f), "--quiet"]) == 1
    assert "did you mean 'emission_factor'" in capsys.readouterr().err
