"""Scenario loading, extends precedence, path sampling and engine inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict

from sdmission.errors import InputError
from sdmission.model.catalogue import load_catalogue
from sdmission.scenario.check import check_scenario, scenario_inputs
from sdmission.scenario.load import load_scenario
from sdmission.schema import scenario as schema

DATA = Path(__file__).resolve().parents[1] / "data"
GOOD = DATA / "scenarios" / "good"
MINI = (DATA / "models" / "mini_levers.mdl").resolve()
SHIPPED = Path(__file__).resolve().parents[2] / "scenarios"


def test_extends_precedence() -> None:
    scn = load_scenario(GOOD / "mini-a.yaml")
    assert scn.name == "mini-a" and not scn.abstract  # never inherited
    assert scn.chain_text() == "mini-a <- mini-base"
    assert scn.model_path == MINI  # resolved relative to the parent that set it
    assert scn.description == "Levy path and regional experiments by cluster."  # child wins
    assert scn.sources == ("test fixture", "another fixture")  # parent's first
    # child replaces the parent's whole path for a key; parent-only keys are kept
    lever = scn.levers["co2_levy_tariff"]
    assert isinstance(lever, schema.KnotsPath) and lever.interpolation == "step"
    assert set(scn.assumptions) == {"eu_ets_price", "other_sectors_ghg"}
    assert scn.targets == "design"
    base = load_scenario(GOOD / "mini-base.yaml")
    assert base.abstract and base.levers["co2_levy_tariff"] == 50


def test_time_override_and_inheritance(tmp_path: Path) -> None:
    scn = load_scenario(GOOD / "mini-b.yaml")
    assert scn.final_time == 2040
    child = tmp_path / "c.yaml"
    child.write_text(f"extends: {GOOD / 'mini-b.yaml'}\ndescription: x\n")
    assert load_scenario(child).final_time == 2040
    assert load_scenario(child).description == "x"


def test_default_model_is_relative_to_the_leaf(tmp_path: Path) -> None:
    f = tmp_path / "s" / "x.yaml"
    f.parent.mkdir()
    f.write_text("levers: {}\n")
    assert load_scenario(f).model_path == (tmp_path / "models" / "sdmission.mdl").resolve()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (schema.KnotsPath(knots={2020: 0.0, 2030: 100.0}),
         [0, 0, 50, 100, 100]),
        (schema.KnotsPath(knots={2020: 0.0, 2030: 100.0}, interpolation="step"),
         [0, 0, 0, 100, 100]),
        (schema.RampPath.model_validate({"ramp": {"start": 2020, "end": 2030, "from": 10, "to": 20}}),
         [10, 10, 15, 20, 20]),
        (schema.ValuePath(value=3.0), [3, 3, 3, 3, 3]),
        (7.0, [7, 7, 7, 7, 7]),
    ],
)
def test_path_sampling_holds_ends(path: schema.SinglePath, expected: list[float]) -> None:
    times = np.array([2015.0, 2020.0, 2025.0, 2030.0, 2045.0])
    np.testing.assert_allclose(schema.sample(path, times), expected)


def test_step_changes_at_the_knot() -> None:
    path = schema.KnotsPath(knots={2021: 30.48, 2022: 41.21}, interpolation="step")
    np.testing.assert_allclose(schema.sample(path, np.array([2020.75, 2021.0, 2021.75, 2022.0])),
                               [30.48, 30.48, 30.48, 41.21])


def test_inputs_on_the_integration_grid() -> None:
    scn = load_scenario(GOOD / "mini-a.yaml")
    cat = load_catalogue(scn.model_path)
    assert check_scenario(scn, cat) == []
    inputs = scenario_inputs(scn, cat)
    grid = 2015 + 0.25 * np.arange(141)
    levy = inputs["co2_levy_tariff"]
    assert levy.dims == ("time",)
    np.testing.assert_allclose(levy["time"].values, grid)
    assert float(levy.sel(time=2029.75)) == 30.48 and float(levy.sel(time=2030)) == 127
    assert inputs["other_sectors_ghg"].ndim == 0 and float(inputs["other_sectors_ghg"]) == 140
    reg = inputs["regional_experiments"]
    assert reg.dims == ("time", "cluster") and reg.sizes["cluster"] == 6
    assert float(reg.sel(time=2027.5, cluster="Rotterdam_Moerdijk")) == pytest.approx(21.0)
    assert float(reg.sel(time=2050, cluster="Chemelot")) == 20
    assert inputs["co2_levy_tariff"].attrs["units"] == "EUR/tCO2"


def test_final_time_shortens_the_grid() -> None:
    scn = load_scenario(GOOD / "mini-b.yaml")
    inputs = scenario_inputs(scn, load_catalogue(scn.model_path))
    assert float(inputs["co2_levy_tariff"]["time"][-1]) == 2040


def test_merged_yaml_round_trips_through_the_schema() -> None:
    scn = load_scenario(GOOD / "mini-a.yaml")
    from ruamel.yaml import YAML

    data = YAML(typ="safe", pure=True).load(scn.merged_yaml())
    assert data["levers"]["co2_levy_tariff"] == {
        "knots": {2021: 30.48, 2030: 127.0}, "interpolation": "step", "units": "EUR/tCO2"}
    data.pop("model")
    again = schema.ScenarioFile.model_validate(data)
    assert again.levers == dict(scn.levers)
    assert "# --- file:" in scn.raw_yaml() and scn.raw_yaml().count("# --- file:") == 2


def test_registered_block_is_accepted_and_inherited(tmp_path: Path) -> None:
    class Demo(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        n: int

    schema.register_block("demo_block_for_test", Demo)
    try:
        parent = tmp_path / "p.yaml"
        parent.write_text("demo_block_for_test: {n: 3}\n")
        child = tmp_path / "c.yaml"
        child.write_text("extends: p\n")
        assert load_scenario(child).blocks["demo_block_for_test"] == Demo(n=3)
        bad = tmp_path / "bad.yaml"
        bad.write_text("demo_block_for_test: {m: 3}\n")
        with pytest.raises(InputError) as info:
            load_scenario(bad)
        assert str(info.value.problems[0]).startswith(f"{bad.resolve()}:1: demo_block_for_test")
    finally:
        schema._BLOCKS.pop("demo_block_for_test")


def test_unregistered_block_is_rejected(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("uncertaintes: {}\n")
    with pytest.raises(InputError, match="unknown key"):
        load_scenario(f)


def test_shipped_scenarios_validate_against_the_mini_model() -> None:
    """The shipped files use only names, units and limits the mini model mirrors."""
    cat = load_catalogue(MINI)
    names = sorted(p.stem for p in SHIPPED.glob("*.yaml"))
    assert names == ["base", "baseline", "co2-regulation", "ets-high", "ets-low", "invest-nl",
                     "levy-neutralised", "mission-mix", "other-sectors-on-target", "procurement",
                     "topsectors-only"]
    for name in names:
        scn = load_scenario(SHIPPED / f"{name}.yaml")
        assert scn.description and scn.sources, name
        assert check_scenario(scn, cat) == [], name
        assert scn.abstract == (name == "base")


def test_reading_a_scenario_imports_no_scipy_salib_or_dask() -> None:
    """The optional blocks are known from sdmission.schema alone: no analysis code is imported."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from sdmission.scenario.load import load_scenario\n"
        f"scn = load_scenario({str(SHIPPED / 'mission-mix.yaml')!r})\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'SALib', 'dask'})\n"
        "analysis = sorted(m for m in sys.modules if m.startswith('sdmission.analysis'))\n"
        "print(heavy, analysis)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] []"


def test_optional_blocks_are_declared_in_the_schema() -> None:
    from sdmission.schema.optimise import OptimiseSpec
    from sdmission.schema.uncertainties import UncertaintiesBlock

    assert dict(schema.BLOCKS) == {"optimise": OptimiseSpec, "uncertainties": UncertaintiesBlock}
    assert schema.top_level_keys()[-2:] == ["optimise", "uncertainties"]


def test_unknown_key_in_a_block_lists_the_block_keys(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("uncertainties:\n  defaults: all\n  parameters:\n    - name: a\n      mdoe: 1\n")
    with pytest.raises(InputError) as info:
        load_scenario(f)
    (problem,) = info.value.problems
    assert (problem.line, problem.key) == (5, "uncertainties.parameters.0.mdoe")
    assert problem.message == (
        "unknown key (given 'mdoe'; allowed: name, element, distribution, low, high, mode, mean, "
        "sd, values, weights; did you mean 'mode'?)")
