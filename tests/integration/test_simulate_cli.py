"""``python -m sdmission simulate``: both engines give the same trajectories; errors are clear."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sdmission.cli import main

MODELS = Path(__file__).resolve().parents[1] / "data" / "models"


# PySD warns whenever a lookup is read beyond its ends (fn_lookup does that on purpose); the PySD
# engine passes that warning on, which filterwarnings=error would turn into a failed run.
@pytest.mark.filterwarnings("ignore:_hardcodedlookup_:UserWarning")
@pytest.mark.parametrize("model", ["fn_arith.mdl", "fn_stateful.mdl", "fn_lookup.mdl", "fn_subscripts.mdl"])
def test_batch_and_pysd_write_the_same_trajectories(model: str, tmp_path: Path) -> None:
    sets = {"fn_arith.mdl": "a=3.1", "fn_stateful.mdl": "delay time=4.5", "fn_lookup.mdl": "adjust=2.5",
            "fn_subscripts.mdl": "base=12"}[model]
    files = {}
    for engine in ("batch", "pysd"):
        out = tmp_path / f"{engine}.nc"
        assert main(["simulate", str(MODELS / model), "--engine", engine, "--set", sets, "--out", str(out)]) == 0
        files[engine] = out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.nc", "pysd.nc"]  # no temp files left
    with xr.open_dataset(files["batch"]) as b, xr.open_dataset(files["pysd"]) as p:
        common = sorted(set(b.data_vars) & set(p.data_vars))
        assert len(common) >= len(b.data_vars) - 1, (sorted(b.data_vars), sorted(p.data_vars))
        np.testing.assert_allclose(b["time"].values, p["time"].values, rtol=0, atol=1e-9)
        for name in common:
            pv = p[name].transpose(*b[name].dims).values
            np.testing.assert_allclose(b[name].values, pv, rtol=1e-9, atol=1e-12, err_msg=name)
            assert "units" in b[name].attrs and b[name].attrs["long_name"]
        assert b.attrs["engine"] == "batch"
        assert len(b.attrs["model_sha256"]) == 64


def test_set_changes_the_constant_and_final_time_is_respected(tmp_path: Path) -> None:
    out = tmp_path / "r.nc"
    assert main(["simulate", str(MODELS / "fn_arith.mdl"), "--set", "b=6", "--final-time", "5",
                 "--out", str(out)]) == 0
    with xr.open_dataset(out) as ds:
        assert float(ds["time"][-1]) == 5.0
        np.testing.assert_allclose(ds["b"].values, 6.0)
        assert ds["b"].attrs["units"] == "1" and ds["b"].attrs["units_vensim"] == "Dmnl"
        assert ds["stock"].attrs["long_name"] == "Stock" and ds["stock"].attrs["vensim_name"] == "stock"


def test_bad_set_reports_every_problem_with_did_you_mean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["simulate", str(MODELS / "fn_stateful.mdl"), "--set", "delay_tme=3", "--set", "s1=2",
               "--set", "init value=abc", "--set", "init value=nan", "--out", str(tmp_path / "x.nc")])
    err = capsys.readouterr().err
    assert rc == 1
    assert "did you mean 'delay_time'" in err
    assert "'s1' is not a constant" in err
    assert "'abc' is not a number" in err
    assert "'nan' is not a finite number" in err
    assert not list(tmp_path.iterdir())


def test_unsupported_function_with_batch_and_pysd_fallback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = str(MODELS / "fn_unsupported.mdl")
    assert main(["simulate", model, "--out", str(tmp_path / "b.nc")]) == 1
    assert "does not support GET TIME VALUE (used by 'value_now')" in capsys.readouterr().err
    assert main(["simulate", model, "--engine", "pysd", "--out", str(tmp_path / "p.nc")]) == 0
    with xr.open_dataset(tmp_path / "p.nc") as ds:
        assert "value_now" in ds.data_vars
