"""Target registry (sdmission/data/targets.yaml) and target checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sdmission.errors import InputError
from sdmission.study.targets import (
    DEFAULT_SET,
    TARGET,
    Target,
    TargetSet,
    check,
    check_all,
    default_path,
    get_target_set,
    load_target_sets,
)

YEARS = np.arange(2015.0, 2051.0)


def _ds(**series: np.ndarray) -> xr.Dataset:
    return xr.Dataset({k: ("time", v) for k, v in series.items()}, coords={"time": YEARS})


# ---- registry contents ----------------------------------------------------------------------------


def test_shipped_sets_and_default():
    sets = load_target_sets()
    assert list(sets) == ["design", "klimaatwet-2023", "klimaatakkoord-industry",
                          "groene-industriepolitiek", "circular-programme"]
    assert DEFAULT_SET == "design"
    assert all(isinstance(s, TargetSet) and s.source and s.description for s in sets.values())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("design", {("ghg_reduction_vs_1990", 2030, ">=", 0.49), ("ghg_reduction_vs_1990", 2050, ">=", 0.95),
                    ("circular_share", 2040, ">=", 0.75), ("circular_share", 2050, ">=", 1.0)}),
        ("klimaatwet-2023", {("ghg_reduction_vs_1990", 2030, ">=", 0.55), ("national_ghg", 2050, "<=", 0.0)}),
        ("klimaatakkoord-industry", {("industry_ghg", 2030, "<=", 35.7)}),
        ("groene-industriepolitiek", {("industry_ghg", 2040, "<=", 0.0), ("circular_share", 2040, ">=", 0.75),
                                      ("industry_ghg", 2050, "<=", 0.0), ("circular_share", 2050, ">=", 1.0)}),
        ("circular-programme", {("primary_abiotic_material_index", 2030, "<=", 0.5),
                                ("circular_share", 2050, ">=", 1.0)}),
    ],
)
def test_shipped_set_contents(name, expected):
    s = get_target_set(name)
    assert {(t.metric, t.year, t.sense, t.threshold) for t in s.targets} == expected
    units = {t.metric: t.units for t in s.targets}
    assert all(units[m] == ("MtCO2/Year" if m.endswith("_ghg") else "Dmnl") for m in units)


def test_target_is_frozen():
    t = get_target_set("design").targets[0]
    with pytest.raises(AttributeError):
        t.threshold = 0.1  # type: ignore[misc]


def test_unknown_set_did_you_mean():
    with pytest.raises(InputError, match=r"unknown target set 'klimaatwet'.*did you mean 'klimaatwet-2023'"):
        get_target_set("klimaatwet")


# ---- registry validation: one bad file per error ----------------------------------------------------


def _bad_registry(tmp_path: Path, old: str, new: str) -> Path:
    text = default_path().read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / "targets.yaml"
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return p


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_bad_sense_reports_file_line_key(tmp_path):
    p = _bad_registry(tmp_path, 'sense: ">="\n        threshold: 0.49', 'sense: "=>"\n        threshold: 0.49')
    with pytest.raises(InputError) as err:
        load_target_sets(p)
    (problem,) = err.value.problems
    assert problem.file == p
    assert problem.key == "sets.design.targets[0].sense"
    assert problem.line == _line_of(p, 'sense: "=>"')
    assert "'<='" in problem.message and "'>='" in problem.message


def test_unknown_metric_did_you_mean(tmp_path):
    p = _bad_registry(tmp_path, "metric: circular_share\n        year: 2040",
                      "metric: circulr_share\n        year: 2040")
    with pytest.raises(InputError, match=r"unknown metric 'circulr_share'.*did you mean 'circular_share'"):
        load_target_sets(p)


def test_extra_key_forbidden_with_suggestion(tmp_path):
    p = _bad_registry(tmp_path, "label: Industry 75 % circular in 2040",
                      "label: Industry 75 % circular in 2040\n        treshold: 3")
    with pytest.raises(InputError) as err:
        load_target_sets(p)
    (problem,) = err.value.problems
    assert "unknown key 'treshold'" in problem.message and "did you mean 'threshold'" in problem.message
    assert problem.line == _line_of(p, "treshold: 3")


def test_percent_threshold_rejected(tmp_path):
    p = _bad_registry(tmp_path, "threshold: 0.49", "threshold: 49")
    with pytest.raises(InputError, match=r"looks like a percentage.*did you mean 0.49"):
        load_target_sets(p)


def test_all_errors_reported_at_once(tmp_path):
    p = _bad_registry(tmp_path, "default: design", "default: desing")
    p.write_text(p.read_text().replace("year: 2050", "year: 2250", 1))
    with pytest.raises(InputError) as err:
        load_target_sets(p)
    # pydantic reports the year; the default is a cross-check done after schema validation succeeds,
    # so fix the year and the default problem must appear.
    assert any("year" in (pr.key or "") for pr in err.value.problems)
    p.write_text(p.read_text().replace("year: 2250", "year: 2050"))
    with pytest.raises(InputError, match=r"default set 'desing'.*did you mean 'design'"):
        load_target_sets(p)


def test_duplicate_ids_and_yaml_syntax(tmp_path):
    p = _bad_registry(tmp_path, "id: national-ghg-2050", "id: national-ghg-2030")
    with pytest.raises(InputError, match="duplicate target id 'national-ghg-2030'"):
        load_target_sets(p)
    q = tmp_path / "broken.yaml"
    q.write_text("version: 1\nsets: [unclosed\n")
    with pytest.raises(InputError, match="invalid YAML") as err:
        load_target_sets(q)
    assert err.value.problems[0].line is not None


def test_missing_file():
    with pytest.raises(InputError, match="not found"):
        load_target_sets("/nonexistent/targets.yaml")


# ---- checks ---------------------------------------------------------------------------------------


def test_check_values_gap_first_year():
    red = np.linspace(0.2, 0.9, YEARS.size)  # 0.02 a year from 0.2 in 2015
    circ = np.full(YEARS.size, 0.8)
    checks = {c.target.id: c for c in check(_ds(ghg_reduction_vs_1990=red, circular_share=circ),
                                            get_target_set("design"))}
    c30 = checks["national-ghg-2030"]
    assert c30.value == pytest.approx(0.5) and c30.met and c30.gap == 0.0
    assert c30.first_year_met == 2030  # 0.2 + 0.02*14 = 0.48 < 0.49 in 2029; 0.50 in 2030
    c50 = checks["national-ghg-2050"]
    assert not c50.met and c50.gap == pytest.approx(0.95 - 0.9) and c50.first_year_met is None
    assert checks["circular-2040"].met and checks["circular-2040"].first_year_met == 2015
    assert checks["circular-2050"].gap == pytest.approx(0.2)


def test_check_sense_le_and_fallback():
    ind = np.full(YEARS.size, 40.0)
    ind[(YEARS >= 2025) & (YEARS <= 2028)] = 30.0  # reached early, then fell back
    (c,) = check(_ds(industry_ghg=ind), get_target_set("klimaatakkoord-industry"))
    assert not c.met and c.gap == pytest.approx(40.0 - 35.7)
    assert c.first_year_met == 2025


def test_check_ignores_subannual_times_for_first_year():
    t = np.arange(2015.0, 2050.01, 0.25)
    v = np.where(np.isclose(t, 2029.5), 50.0, 0.0)
    v = np.where(t >= 2030, 50.0, v)
    ds = xr.Dataset({"industry_ghg_reduction_vs_1990": ("time", v)}, coords={"time": t})
    ts = TargetSet("x", "d", "s", (Target("a", "industry_ghg_reduction_vs_1990", 2030, 0.5, ">=", "Dmnl",
                                          "l", "l"),))
    (c,) = check(ds, ts)
    assert c.met and c.first_year_met == 2030


def test_met_allows_only_floating_point_noise():
    t = Target("a", "circular_share", 2050, 1.0, ">=", "Dmnl", "l", "l")
    assert t.holds(1.0 - 1e-12)
    assert not t.holds(1.0 - 1e-6)
    assert not t.holds(np.nan)


def test_check_missing_metric_and_year():
    with pytest.raises(InputError, match="needs result variable.*circular_share"):
        check(_ds(ghg_reduction_vs_1990=np.zeros(YEARS.size)), get_target_set("design"))
    short = xr.Dataset({"industry_ghg": ("time", np.zeros(5))}, coords={"time": np.arange(2015.0, 2020.0)})
    with pytest.raises(InputError, match="target year 2030 is not on the results' time grid"):
        check(short, get_target_set("klimaatakkoord-industry"))


def test_check_refuses_ensembles():
    ds = xr.Dataset({"industry_ghg": (("member", "time"), np.zeros((3, YEARS.size)))},
                    coords={"time": YEARS, "member": [0, 1, 2]})
    with pytest.raises(ValueError, match="check_all"):
        check(ds, get_target_set("klimaatakkoord-industry"))


def test_check_all_matches_check_per_member():
    rng = np.random.default_rng(1)
    n_s, n_m = 2, 5
    red = rng.uniform(0.3, 1.0, (n_s, n_m, YEARS.size))
    circ = np.cumsum(rng.uniform(0, 0.05, (n_s, n_m, YEARS.size)), axis=-1)
    ds = xr.Dataset(
        {"ghg_reduction_vs_1990": (("scenario", "member", "time"), red),
         "circular_share": (("scenario", "member", "time"), circ)},
        coords={"scenario": ["a", "b"], "member": np.arange(n_m), "time": YEARS},
    )
    ts = get_target_set("design")
    res = check_all(ds, ts)
    assert res["met"].dims == ("scenario", "member", TARGET)
    assert list(res[TARGET].values) == [t.id for t in ts.targets]
    for s in range(n_s):
        for m in range(n_m):
            one = check(ds.isel(scenario=[s], member=[m]), ts)
            for i, c in enumerate(one):
                r = res.isel(scenario=s, member=m, target=i)
                assert bool(r["met"]) == c.met
                assert float(r["gap"]) == pytest.approx(c.gap)
                fy = float(r["first_year_met"])
                assert (np.isnan(fy) and c.first_year_met is None) or fy == c.first_year_met
    p_met = res["met"].mean("member")
    assert p_met.dims == ("scenario", TARGET) and ((p_met >= 0) & (p_met <= 1)).all()
    assert (res["all_met"] == res["met"].all(TARGET)).all()


def test_check_all_broadcasts_metric_without_member_dim():
    ds = xr.Dataset(
        {"ghg_reduction_vs_1990": (("member", "time"), np.tile(np.linspace(0, 1, YEARS.size), (2, 1))),
         "circular_share": ("time", np.full(YEARS.size, 1.0))},
        coords={"member": [0, 1], "time": YEARS},
    )
    res = check_all(ds, get_target_set("design"))
    assert res["met"].sel(target="circular-2050").all()
    assert res["met"].shape == (2, 4)


def test_nan_value_not_met_gap_nan():
    v = np.full(YEARS.size, np.nan)
    (c,) = check(_ds(industry_ghg=v), get_target_set("klimaatakkoord-industry"))
    assert not c.met and np.isnan(c.gap) and c.first_year_met is None


def test_registry_is_read_with_the_guarded_yaml_reader(tmp_path):
    p = _bad_registry(tmp_path, "default: design", "default: &d design\nalias: *d")
    with pytest.raises(InputError, match="YAML aliases are not allowed"):
        load_target_sets(p)
