"""The explorer's control -> scenario path mapping and its bounds (no model, no server)."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter

from sdmission.explore import levers as lv
from sdmission.schema import scenario as schema

T0, DT, FINAL = 2015.0, 0.25, 2050.0
GRID = T0 + DT * np.arange(int((FINAL - T0) / DT) + 1)
PATH = TypeAdapter(schema.Path_)

STEP_BASE = schema.KnotsPath(knots={2015: 0, 2021: 30.48, 2026: 84.13, 2030: 127.05}, interpolation="step")
LINEAR_BASE = schema.KnotsPath(knots={2015: 0.01, 2019: 0.01, 2020: 0.03, 2050: 0.03})
QUASI_STEP = schema.KnotsPath(knots={2015: 0, 2019.99: 0, 2020: 28, 2024: 236, 2050: 236})
RAMP_BASE = schema.RampPath.model_validate({"ramp": {"start": 2025, "end": 2030, "from": 5, "to": 600}})


def sampled(plain: object) -> np.ndarray:
    """A plain-data path as the scenario layer samples it on the integration grid."""
    path = PATH.validate_python(plain)
    assert not isinstance(path, dict)
    return schema.sample(path, GRID)


def control(base: object, units: str = "EUR/tCO2", limits: tuple = (0.0, 1000.0),
            elements: tuple[str, ...] = ()) -> lv.Control:
    return lv.make_control("co2_levy_tariff", "levers", units, limits, base, elements)


@pytest.mark.parametrize("base", [127.0, schema.ValuePath(value=127.0), STEP_BASE, LINEAR_BASE,
                                  QUASI_STEP, RAMP_BASE], ids=["number", "value", "step", "linear",
                                                               "quasi-step", "ramp"])
@pytest.mark.parametrize(("start", "ramp"), [(2027, 0), (2027, 3), (2025, 5), (2031, 1)])
def test_path_keeps_the_start_path_before_start_and_reaches_the_level(base, start, ramp) -> None:
    plain = lv.single_path(base, 200.0, start, ramp, T0, DT)
    got = sampled(plain)
    old = schema.sample(base, GRID)
    before = start > GRID
    np.testing.assert_array_equal(got[before], old[before])
    np.testing.assert_allclose(got[start + ramp <= GRID], 200.0, rtol=0, atol=1e-9)
    inside = (start <= GRID) & (start + ramp > GRID)
    lo, hi = sorted((lv.value_at(base, start), 200.0))
    assert np.all((got[inside] >= lo - 1e-9) & (got[inside] <= hi + 1e-9))


def test_readable_forms() -> None:
    # a constant start path: a ramp, or a step at the start year
    assert lv.single_path(5.0, 10.0, 2027, 3, T0, DT) == {
        "ramp": {"start": 2027, "end": 2030, "from": 5, "to": 10}}
    assert lv.single_path(5.0, 10.0, 2027, 0, T0, DT) == {
        "knots": {2015: 5, 2027: 10}, "interpolation": "step"}
    # a step path keeps its earlier knots and steps yearly to the level
    assert lv.single_path(STEP_BASE, 200.0, 2027, 0, T0, DT) == {
        "knots": {2015: 0, 2021: 30.48, 2026: 84.13, 2027: 200}, "interpolation": "step"}
    assert lv.single_path(STEP_BASE, 184.13, 2027, 2, T0, DT) == {
        "knots": {2015: 0, 2021: 30.48, 2026: 84.13, 2027: 84.13, 2028: 134.13, 2029: 184.13},
        "interpolation": "step"}
    # a linear path with a jump: one knot a TIME STEP before the start
    assert lv.single_path(LINEAR_BASE, 0.1, 2027, 0, T0, DT) == {
        "knots": {2015: 0.01, 2019: 0.01, 2020: 0.03, 2026.75: 0.03, 2027: 0.1}, "interpolation": "linear"}


def test_bounds_are_the_model_limits() -> None:
    c = control(STEP_BASE)
    assert (c.low, c.high, c.step, c.timed) == (0.0, 1000.0, 1.0, True)
    assert lv.parse_setting(c, {"level": 1000, "start": 2050, "ramp": 0}, FINAL) == lv.Setting(1000.0, 2050, 0)
    with pytest.raises(lv.SettingError) as err:
        lv.parse_setting(c, {"level": 1000.5, "start": 2024, "ramp": 2.5, "when": 1}, FINAL)
    assert err.value.messages == [
        "co2_levy_tariff: unknown setting(s) when; allowed: level, start, ramp",
        "co2_levy_tariff: level 1000.5 outside the model's limits [0, 1000] EUR/tCO2",
        "co2_levy_tariff: start 2024 must be a whole year in [2025, 2050]",
        "co2_levy_tariff: ramp 2.5 must be a whole number of years in [0, 25]",
    ]
    with pytest.raises(lv.SettingError, match=r"level: expected a finite number, given 'x'"):
        lv.parse_setting(c, {"level": "x"}, FINAL)
    with pytest.raises(lv.SettingError, match="expected a finite number, given nan"):
        lv.parse_setting(c, {"level": float("nan")}, FINAL)


def test_a_lever_in_years_is_a_constant_without_when() -> None:
    c = lv.make_control("conventional_phaseout_year", "levers", "Year", (2020.0, 2100.0), 2100.0)
    assert not c.timed and c.step == 1.0
    assert lv.control_path(c, lv.parse_setting(c, {"level": 2040}, FINAL), T0, DT) == 2040
    with pytest.raises(lv.SettingError, match=r"level 2019 outside the model's limits \[2020, 2100\] Year"):
        lv.parse_setting(c, {"level": 2019}, FINAL)


def test_subscripted_lever_total_is_split_as_in_the_start_scenario() -> None:
    base = {"a": 2.0, "b": 1.0, "c": 1.0}
    c = lv.make_control("regional_experiments", "levers", "MEUR/Year", (0.0, 500.0), base, ("a", "b", "c"))
    assert c.high == pytest.approx(1000.0)  # element a (half of the total) reaches 500
    path = lv.control_path(c, lv.Setting(level=40.0, start=2027, ramp=0), T0, DT)
    assert set(path) == {"a", "b", "c"}
    assert sampled(path["a"])[-1] == 20.0 and sampled(path["b"])[-1] == 10.0
    assert sampled(path["a"])[0] == 2.0
    with pytest.raises(lv.SettingError, match="outside the model's limits"):
        lv.parse_setting(c, {"level": 1000.5}, FINAL)


def test_changed_paths_hold_only_the_changed_controls() -> None:
    controls = {"co2_levy_tariff": control(STEP_BASE),
                "eu_ets_price": lv.make_control("eu_ets_price", "assumptions", "EUR/tCO2", (0, 1000), 130.0)}
    out = lv.changed_paths(controls, {"eu_ets_price": {"level": 300, "start": 2030, "ramp": 5}},
                           t0=T0, dt=DT, final_time=FINAL)
    assert out == {"levers": {}, "assumptions": {"eu_ets_price": {
        "ramp": {"start": 2030, "end": 2035, "from": 130, "to": 300}}}}
    with pytest.raises(lv.SettingError) as err:
        lv.changed_paths(controls, {"co2_levy_tax": {"level": 1}, "co2_levy_tariff": {"level": -1}},
                         t0=T0, dt=DT, final_time=FINAL)
    assert err.value.messages == ["co2_levy_tax: not a lever or assumption of the model",
                                  "co2_levy_tariff: level -1 outside the model's limits [0, 1000] EUR/tCO2"]


def test_families_cover_instruments_and_put_assumptions_last() -> None:
    assert lv.family_of("co2_levy_tariff", "levers") == "pricing"
    assert lv.family_of("innovation_procurement", "levers") == "market"
    assert lv.family_of("a_new_lever", "levers") == lv.OTHER_FAMILY
    assert lv.family_of("eu_ets_price", "assumptions") == lv.ASSUMPTION_FAMILY
    assert lv.FAMILY_ORDER[-1] == lv.ASSUMPTION_FAMILY
    names = [n for _, ns in lv.FAMILIES for n in ns]
    assert len(names) == len(set(names))


def test_description_line() -> None:
    c = control(STEP_BASE)
    assert lv.describe_change(c, {"level": 200, "start": 2027, "ramp": 0}, "CO2 levy") == \
        "CO2 levy: 200 EUR/tCO2 from 2027"
    assert lv.describe_change(c, {"level": 200, "start": 2027, "ramp": 3}, "CO2 levy") == \
        "CO2 levy: 200 EUR/tCO2 from 2027, reached in 2030"
