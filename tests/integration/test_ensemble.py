"""Ensemble, discovery and sensitivity commands end to end on a small real Vensim model (PySD)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sdmission.analysis import ensemble as E
from sdmission.analysis.uncertainty import sample
from sdmission.cli import main
from sdmission.study.case import prepare
from sdmission.study.results import read_netcdf

TOY = Path(__file__).resolve().parents[1] / "data" / "models" / "unc_toy.mdl"
SEED = 5
MEMBERS = 40

LOW = f"""\
model: {TOY}
levers:
  levy: 20
uncertainties:
  defaults: all
  parameters:
    - name: circular_growth
      distribution: triangular
      mode: 0.1
    - name: other_decline
      distribution: truncnormal
      sd: 0.02
"""
HIGH = "extends: low\nlevers:\n  levy: 120\n"


@pytest.fixture(scope="module")
def scen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("scenarios")
    (d / "low.yaml").write_text(LOW)
    (d / "high.yaml").write_text(HIGH)
    return d


@pytest.fixture(scope="module")
def ens(scen: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    rc = main(["ensemble", str(scen / "low.yaml"), str(scen / "high.yaml"), "--members",
               str(MEMBERS), "--chunk-size", "20", "--seed", str(SEED), "--engine", "pysd",
               "--out", str(out)])
    assert rc == 0
    return out


def test_result_file_layout(ens: Path):
    ds = read_netcdf(ens / "ensemble.nc")
    assert list(ds["scenario"].values) == ["low", "high"]
    assert ds["ghg_reduction_vs_1990"].dims == ("scenario", "member", "time")
    assert ds["industry_ghg"].dims == ("scenario", "member", "time", "cluster")
    assert ds["national_ghg"].attrs["units"] == "Mt CO2e/yr"
    assert ds["national_ghg"].attrs["units_vensim"] == "MtCO2/Year"
    assert ds["input_value"].dims == ("scenario", "member", "uncertainty")
    assert ds.sizes["member"] == MEMBERS and ds.sizes["uncertainty"] == 5
    assert ds.attrs["seed"] == str(SEED) and ds.attrs["sampler"] == "lhs"
    assert "circular_growth ~ triangular(0.04, 0.1, 0.2)" in ds.attrs["distributions"]
    assert list(ds["target_set"].values) == ["design", "design"]
    # inputs really drive outputs: the circular share 2040 rises with the sampled growth rate
    low = ds.sel(scenario="low")
    g = low["input_value"].sel(uncertainty="circular_growth").values
    c = low["circular_share"].sel(time=2040.0).values
    assert np.array_equal(np.argsort(g), np.argsort(c))
    assert (ens / "ensemble_fans.png").stat().st_size > 10_000
    assert len(list((ens / "ensemble.chunks").glob("*.nc"))) == 4


def test_pmet_and_ranking_files(ens: Path):
    ds = read_netcdf(ens / "ensemble.nc")
    rows = list(csv.DictReader((ens / "ensemble_pmet.csv").read_text().splitlines()))
    row = next(r for r in rows if r["scenario"] == "high" and r["target"] == "national-ghg-2050")
    v = ds["ghg_reduction_vs_1990"].sel(scenario="high", time=2050.0).values
    assert float(row["p_met"]) == pytest.approx(np.mean(v >= 0.95 - 1e-9), abs=1e-6)
    rank = list(csv.DictReader((ens / "ensemble_ranking.csv").read_text().splitlines()))
    assert [r["rank"] for r in rank] == ["1", "2"]
    assert [r["scenario"] for r in rank] == ["high", "low"]  # a higher levy meets more targets


def _low(scen: Path) -> E.EnsembleScenario:
    """The 'low' scenario as the ensemble command prepares it."""
    (case,) = prepare([scen / "low.yaml"], engine="pysd", uncertainties=True)
    return E.EnsembleScenario.from_case(case)


def test_same_seed_same_results_and_member_independence(ens: Path, scen: Path):
    ds = read_netcdf(ens / "ensemble.nc")
    low = _low(scen)
    again = E.run_ensemble([low], sample({"low": low.space}, MEMBERS, "lhs", SEED),
                           return_vars=["ghg_reduction_vs_1990", "circular_share"],
                           engine="pysd", chunk_size=5)
    for v in ("ghg_reduction_vs_1990", "circular_share"):
        np.testing.assert_array_equal(again[v].sel(scenario="low").values,
                                      ds[v].sel(scenario="low").values)
    # an ensemble of one member equals that member of the ensemble
    m = 7
    one = xr.Dataset({"value": ds["input_value"].sel(scenario="low").isel(member=[m]),
                      "quantile": ds["input_quantile"].isel(member=[m])})
    single = E.run_ensemble([low], one, return_vars=["national_ghg"], engine="pysd")
    np.testing.assert_array_equal(single["national_ghg"].values[0, 0],
                                  ds["national_ghg"].sel(scenario="low").isel(member=m).values)


def test_interrupted_ensemble_resumes(ens: Path, scen: Path, tmp_path: Path):
    low = _low(scen)
    samples = sample({"low": low.space}, MEMBERS, "lhs", SEED)
    kw = dict(return_vars=["ghg_reduction_vs_1990"], engine="pysd", chunk_size=16,
              chunk_dir=tmp_path / "x.chunks")

    def stop_after_two(status: str, scenario: str, index: int, n: int) -> None:
        if index == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        E.run_ensemble([low], samples, on_chunk=stop_after_two, **kw)  # type: ignore[arg-type]
    assert sorted(p.name for p in (tmp_path / "x.chunks").iterdir()) == [
        "low__chunk_00000.nc", "low__chunk_00001.nc"]  # saved atomically: no temp files left
    stats = E.RunStats()
    out = E.run_ensemble([low], samples, stats=stats, **kw)  # type: ignore[arg-type]
    assert (stats.loaded, stats.computed, stats.members_run) == (2, 1, 8)
    ref = read_netcdf(ens / "ensemble.nc")["ghg_reduction_vs_1990"].sel(scenario="low")
    np.testing.assert_array_equal(out["ghg_reduction_vs_1990"].sel(scenario="low").values,
                                  ref.values)
    # another seed gives other chunk keys: nothing is reused
    stats2 = E.RunStats()
    E.run_ensemble([low], sample({"low": low.space}, 4, "lhs", SEED + 1), stats=stats2, **kw)  # type: ignore[arg-type]
    assert (stats2.loaded, stats2.computed) == (0, 1)


def test_discover_command(ens: Path, capsys: pytest.CaptureFixture[str]):
    rc = main(["discover", str(ens / "ensemble.nc"), "--scenario", "low",
               "--target", "circular-2040", "--out", str(ens)])
    assert rc == 0
    text = (ens / "ensemble_discovery.txt").read_text()
    assert text.startswith("In scenario 'low' the target 'circular-2040' (Industry 75 % "
                           "circular in 2040) fails in ")
    assert "circular_growth is below" in text
    assert (ens / "ensemble_prim_low_circular-2040.png").is_file()
    assert main(["discover", str(ens / "ensemble.nc"), "--scenario", "lwo", "--out", str(ens)]) == 1
    assert "unknown scenario (given 'lwo'; allowed: low, high; did you mean 'low'?)" in \
        capsys.readouterr().err


def test_sensitivity_command(scen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    rc = main(["sensitivity", str(scen / "low.yaml"), "--members", "4", "--engine", "pysd",
               "--out", str(tmp_path)])
    assert rc == 0
    idx = read_netcdf(tmp_path / "low_sobol.nc")
    assert idx["ST"].dims == ("metric", "uncertainty")
    assert list(idx["metric"].values) == ["national-ghg-2030", "national-ghg-2050", "circular-2040"]
    # only circular_growth drives the circular share; it has no effect on emissions
    st = idx["ST"].sel(metric="circular-2040")
    assert str(st.idxmax().values) == "circular_growth"
    assert float(idx["ST"].sel(metric="national-ghg-2030", uncertainty="circular_growth")) == 0.0
    assert (tmp_path / "low_sobol.png").is_file() and (tmp_path / "low_sobol.csv").is_file()
    assert "Circular share of material input, 2040" in capsys.readouterr().out


def test_bad_uncertainties_block_is_reported_with_line(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"model: {TOY}\nuncertainties:\n  parameters:\n    - name: circular_grwth\n"
                   "    - name: levy_effect\n      distribution: triangular\n      mode: 1.0\n")
    assert main(["ensemble", str(bad), "--members", "2", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:4: uncertainties.parameters.0.name: unknown uncertain parameter (given " \
           "'circular_grwth'" in err
    assert f"{bad}:5: uncertainties.parameters.1: 'levy_effect': 'mode' must lie in [low, high]" \
           " (given 1; allowed: [0, 0.0008])" in err
