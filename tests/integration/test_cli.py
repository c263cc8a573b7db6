"""The CLI in-process: ``main([...])`` for validate and run."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sdmission.cli import main
from sdmission.constants import HEADLINE_OUTPUTS, INSTRUMENTS
from sdmission.study.results import read_netcdf

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
GOOD = DATA / "scenarios" / "good"
BAD = DATA / "scenarios" / "bad"


def test_validate_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(GOOD / "mini-a.yaml"), str(GOOD / "mini-b.yaml")]) == 0
    assert "ok:" in capsys.readouterr().out
    assert main(["validate", str(GOOD / "mini-a.yaml"), str(BAD / "out_of_limits.yaml"),
                 str(BAD / "unknown_key.yaml")]) == 1
    err = capsys.readouterr().err
    # problems of both bad files, each with file:line
    assert f"{(BAD / 'out_of_limits.yaml').resolve()}:4: levers.co2_levy_tariff" in err
    assert f"{(BAD / 'unknown_key.yaml').resolve()}:3: levrs: unknown key" in err


def test_run_mini_scenarios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "scenarios"
    shutil.copytree(GOOD, folder)
    (folder / "mini-base.yaml").write_text(
        (GOOD / "mini-base.yaml").read_text().replace("../../models", str(DATA / "models"))
    )
    out = tmp_path / "out"
    # no names: every non-abstract scenario in the folder
    assert main(["run", "--scenarios-dir", str(folder), "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        "mini-a.nc", "mini-a_headline.csv", "mini-b.nc", "mini-b_headline.csv"]
    ds = read_netcdf(out / "mini-a.nc")
    assert str(ds["scenario"].values) == "mini-a"
    assert ds["industry_ghg"].attrs["units"] == "MtCO2/Year"
    assert ds.attrs["command"].startswith("python -m sdmission") or ds.attrs["command"]
    head = pd.read_csv(out / "mini-b_headline.csv")
    assert head["year"].iloc[-1] == 2040
    assert [c for c in head.columns if c.startswith("public_cost_")][:len(INSTRUMENTS)] == [
        f"public_cost_{i}" for i in INSTRUMENTS]
    assert "targets for scenario 'mini-a':" in stdout and "first met" in stdout


def test_run_unknown_scenario_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "baseline-x", "--out", "unused"]) == 1
    assert "did you mean 'baseline'?" in capsys.readouterr().err


def test_run_batch_engine_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        import sdmission.model.engines.factory  # noqa: F401
    except ImportError:
        code = main(["run", str(GOOD / "mini-a.yaml"), "--engine", "batch",
                     "--out", str(tmp_path)])
        assert code == 1
        assert "use --engine pysd" in capsys.readouterr().err
    else:  # the batch engine exists: it must run the mini scenario
        assert main(["run", str(GOOD / "mini-a.yaml"), "--engine", "batch",
                     "--out", str(tmp_path)]) == 0
        assert (tmp_path / "mini-a.nc").is_file()


@pytest.mark.slow
def test_every_shipped_scenario_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m sdmission run` on the project model: one .nc, one CSV and a target table each.

    All ten run on the batch engine (seconds); mission-mix, which sets every lever including a
    per-cluster path, is re-run on the PySD reference engine and must agree.
    """
    shipped = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml") if p.stem != "base")
    assert len(shipped) == 10
    assert main(["run", "--scenarios-dir", str(ROOT / "scenarios"), "--out", str(tmp_path),
                 "--engine", "batch"]) == 0
    stdout = capsys.readouterr().out
    for name in shipped:
        ds = read_netcdf(tmp_path / f"{name}.nc")
        for var in HEADLINE_OUTPUTS:
            assert ds[var].attrs["units"], (name, var)
        assert ds["capacity"].attrs["kind"] == "stock"
        head = pd.read_csv(tmp_path / f"{name}_headline.csv")
        assert head["year"].tolist() == list(range(2015, 2051))
        assert head.notna().all().all(), name
        assert f"targets for scenario '{name}':" in stdout
    # the levy reversal reaches the model from 2025 and never lowers emissions
    base_ds = read_netcdf(tmp_path / "baseline.nc")
    rev_ds = read_netcdf(tmp_path / "levy-neutralised.nc")
    assert float(base_ds["co2_levy_tariff"].sel(time=2026)) == pytest.approx(84.13)
    assert float(rev_ds["co2_levy_tariff"].sel(time=2026)) == 0
    base = pd.read_csv(tmp_path / "baseline_headline.csv").set_index("year")
    rev = pd.read_csv(tmp_path / "levy-neutralised_headline.csv").set_index("year")
    assert (rev.loc[:2024, "industry_ghg"] == base.loc[:2024, "industry_ghg"]).all()
    assert (rev["industry_ghg"] >= base["industry_ghg"] - 1e-9).all()
    # ... and it bites: plants above their dispensation rights lose the levy top-up at the margin
    assert rev.loc[2030, "industry_ghg"] > base.loc[2030, "industry_ghg"] + 0.1

    ref = tmp_path / "pysd"
    assert main(["run", str(ROOT / "scenarios" / "mission-mix.yaml"), "--out", str(ref),
                 "--engine", "pysd"]) == 0
    a = read_netcdf(ref / "mission-mix.nc")
    b = read_netcdf(tmp_path / "mission-mix.nc")
    assert a.attrs["engine"] == "pysd" and b.attrs["engine"] != "pysd"
    for var in (*HEADLINE_OUTPUTS, "capacity", "regional_experiments"):
        np.testing.assert_allclose(a[var].values, b[var].transpose(*a[var].dims).values,
                                   rtol=1e-6, atol=1e-9, err_msg=var)
