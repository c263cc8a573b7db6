"""``python -m sdmission optimise`` end to end on tests/data/models/opt_linear.mdl.

The shipped target set 'klimaatakkoord-industry' (industry <= 35.7 Mt in 2030) needs 64.3 Mt of
abatement: the levy at its bound (150 EUR/t -> 30 Mt) plus 3430 MEUR/Year of subsidy in 2030.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sdmission.cli import main

MDL = Path(__file__).resolve().parents[1] / "data" / "models" / "opt_linear.mdl"

SCENARIO = """\
name: opt-test
description: Optimiser test scenario on the known-answer model.
model: {model}
targets: klimaatakkoord-industry
levers:
  sde_budget: 0
optimise:
  start: 2025
  levers:
    co2_levy_tariff: {{knots: [2030], bounds: [0, 150]}}
    sde_budget: {{knots: [2030], bounds: [0, {sde_max}]}}
  objective: {{discount_rate: 0.03}}
  method: {{popsize: 6, maxiter: 10, seed: 2}}
  pareto: {{points: 3, metric: industry_ghg, window: [2020, 2050]}}
"""


def _scenario(tmp_path: Path, sde_max: float) -> Path:
    p = tmp_path / "opt-test.yaml"
    p.write_text(SCENARIO.format(model=MDL, sde_max=sde_max))
    return p


def test_optimise_writes_reproducible_scenario(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["optimise", str(_scenario(tmp_path, 5000)), "--out", str(out), "--quiet"])
    assert code == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["status"] == "feasible" and rep["target_set"] == "klimaatakkoord-industry"
    dec = {d["decision"]: d["value"] for d in rep["decisions"]}
    assert dec["co2_levy_tariff@2030"] == pytest.approx(150, rel=1e-6)
    assert dec["sde_budget@2030"] == pytest.approx(3430, rel=1e-6)
    for name in ("report.md", "convergence.png", "pareto.png"):
        assert (out / name).stat().st_size > 0
    assert "Feasible" in capsys.readouterr().out

    # the written scenario, run the way `run` runs it, reproduces the reported outcome
    from sdmission.study.case import prepare
    from sdmission.study.targets import check, get_target_set

    (case,) = prepare([out / "opt-test-optimised.yaml"], engine="pysd")
    assert "optimise" not in case.scenario.blocks
    ds = case.engine.run(case.inputs,
                    return_vars=["industry_ghg", "public_cost_total"]).isel(member=0)
    years = np.arange(2025, 2051)
    npv = float((ds["public_cost_total"].sel(time=years.astype(float)).values
                 * 1.03 ** -(years - 2025.0)).sum())
    assert npv == pytest.approx(rep["objective"]["value"], rel=1e-12)
    (c,) = check(ds, get_target_set("klimaatakkoord-industry"))
    assert c.met and c.value == pytest.approx(rep["targets"][0]["value"], rel=1e-12)
    # history before start is the scenario's own (levy default 10 from 2021, subsidy 0)
    assert float(ds["public_cost_total"].sel(time=2022.0)) == pytest.approx(5.0)


def test_optimise_infeasible_exit_2(tmp_path):
    out = tmp_path / "out"
    code = main(["optimise", str(_scenario(tmp_path, 1000)), "--out", str(out), "--quiet",
                 "--no-pareto"])
    assert code == 2
    rep = json.loads((out / "report.json").read_text())
    assert rep["status"] == "infeasible" and rep["unmet_targets"] == ["industry-residual-2030"]
    assert "Infeasible" in (out / "report.md").read_text()


def test_optimise_input_errors_exit_1(tmp_path, capsys):
    p = _scenario(tmp_path, 5000)
    assert main(["optimise", str(p), "--targets", "klimaatwt-2023", "--quiet"]) == 1
    assert "did you mean 'klimaatwet-2023'" in capsys.readouterr().err
    p.write_text(p.read_text().replace("co2_levy_tariff: {knots", "co2_levy_tarif: {knots"))
    assert main(["optimise", str(p), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "'co2_levy_tarif' is not a lever" in err and "did you mean 'co2_levy_tariff'" in err
