"""Ensemble chunks (issue #13, part 6): versions in the key, data hash checked, orphans removed,
``--name`` cannot leave ``--out``."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sdmission.analysis import chunks
from sdmission.analysis import ensemble as E
from sdmission.analysis.uncertainty import sample
from sdmission.cli import main
from sdmission.study.case import prepare

TOY = Path(__file__).resolve().parents[1] / "data" / "models" / "unc_toy.mdl"
LOW = f"model: {TOY}\nlevers:\n  levy: 20\nuncertainties:\n  defaults: all\n"


@pytest.fixture()
def low(tmp_path: Path) -> E.EnsembleScenario:
    (tmp_path / "low.yaml").write_text(LOW, encoding="utf-8")
    (case,) = prepare([str(tmp_path / "low.yaml")], engine="batch", uncertainties=True)
    return E.EnsembleScenario.from_case(case)


def _run(low: E.EnsembleScenario, folder: Path) -> tuple[xr.Dataset, E.RunStats]:
    stats = E.RunStats()
    samples = sample({"low": low.space}, 8, "lhs", 3)
    out = E.run_ensemble([low], samples, return_vars=["ghg_reduction_vs_1990"], engine="batch",
                         chunk_size=4, chunk_dir=folder, stats=stats)
    return out, stats


def test_the_key_holds_the_code_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = {"levy": xr.DataArray(1.0)}
    key = E.chunk_key("sha", "batch", "s", inputs, ["x"], None, [0, 1])
    assert "sdmission=" in chunks.code_versions() and "pysd=" in chunks.code_versions()
    chunks.code_versions.cache_clear()
    monkeypatch.setattr("sdmission.__version__", "999")
    try:
        assert E.chunk_key("sha", "batch", "s", inputs, ["x"], None, [0, 1]) != key
    finally:
        chunks.code_versions.cache_clear()


def test_a_forged_chunk_is_recomputed_with_a_warning(low: E.EnsembleScenario, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "c.chunks"
    ref, _ = _run(low, folder)
    first = sorted(folder.glob("*.nc"))[0]
    with xr.open_dataset(first) as ds:
        forged = ds.load()
    name = next(iter(forged.data_vars))
    forged[name] = forged[name] + 28.8  # same key, other numbers
    forged.to_netcdf(first)
    capsys.readouterr()
    out, stats = _run(low, folder)
    assert "does not match its data hash" in capsys.readouterr().err
    assert (stats.loaded, stats.computed) == (1, 1)
    np.testing.assert_array_equal(out[name].values, ref[name].values)


def test_orphan_temporary_files_are_removed(low: E.EnsembleScenario, tmp_path: Path) -> None:
    folder = tmp_path / "c.chunks"
    folder.mkdir()
    orphan = folder / ".low__chunk_00000.nc.abc123.tmp"
    orphan.write_bytes(b"half a chunk")
    old = time.time() - 3600
    os.utime(orphan, (old, old))
    fresh = folder / ".low__chunk_00001.nc.def456.tmp"  # perhaps another run's, still writing
    fresh.write_bytes(b"")
    _run(low, folder)
    assert not orphan.exists() and fresh.exists()


@pytest.mark.parametrize("name", ["../../x", "/tmp/x", "a/b", "..", ".hidden", ""])
def test_name_cannot_escape_out(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "low.yaml").write_text(LOW, encoding="utf-8")
    code = main(["ensemble", str(tmp_path / "low.yaml"), "--members", "4", "--name", name,
                 "--out", str(tmp_path / "out"), "--no-plots"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "--name" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("change", ["model", "engine", "pysd", "numpy", "batch-ir", "chunk-format"])
def test_every_version_a_result_depends_on_changes_the_key(change: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    from sdmission.model.engines.batch import engine

    inputs = {"levy": xr.DataArray(1.0)}
    args = ["sha", "batch", "s", inputs, ["x"], None, [0, 1]]
    chunks.code_versions.cache_clear()
    key = E.chunk_key(*args)  # type: ignore[arg-type]
    if change == "model":
        args[0] = "other-sha"
    elif change == "engine":
        args[1] = "pysd"
    elif change == "pysd":
        real = importlib.metadata.version
        monkeypatch.setattr(importlib.metadata, "version",
                            lambda name: "0.0.1" if name == "pysd" else real(name))
    elif change == "numpy":
        monkeypatch.setattr(np, "__version__", "0.0.1")
    elif change == "batch-ir":
        monkeypatch.setattr(engine, "IR_VERSION", "0")
    else:
        monkeypatch.setattr(chunks, "CHUNK_VERSION", "0")
    chunks.code_versions.cache_clear()
    try:
        assert E.chunk_key(*args) != key  # type: ignore[arg-type]
    finally:
        monkeypatch.undo()
        chunks.code_versions.cache_clear()


def test_a_kill_during_any_write_leaves_a_temporary_file_that_the_next_write_removes(tmp_path: Path) -> None:
    """atomic_write's temporary files (an output killed mid-write) go at the next write of that file."""
    from sdmission.io import atomic_write_text

    target = tmp_path / "out.nc"
    old_tmp = tmp_path / ".out.nc.k1ll3d.tmp"
    old_tmp.write_bytes(b"half")
    then = time.time() - 7200
    os.utime(old_tmp, (then, then))
    young = tmp_path / ".out.nc.wr1t1ng.tmp"  # perhaps a concurrent run, still writing
    young.write_bytes(b"")
    other = tmp_path / ".other.nc.x.tmp"
    other.write_bytes(b"")
    os.utime(other, (then, then))
    atomic_write_text(target, "data")
    assert not old_tmp.exists() and young.exists() and other.exists()
    assert target.read_text() == "data"


def test_a_killed_cache_write_is_cleaned_on_the_next_load(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from sdmission.model.cache import model_cache_folder
    from sdmission.model.engines.batch.engine import load_ir
    from sdmission.model.hashing import model_hash

    monkeypatch.setenv("SDMISSION_CACHE", str(tmp_path / "cache"))
    mdl = tmp_path / "toy.mdl"
    shutil.copyfile(TOY, mdl)
    load_ir(mdl)  # cached: the next load writes nothing
    folder = model_cache_folder(model_hash(mdl))
    orphan = folder / ".compiled-0123.py.abc.tmp"
    orphan.write_bytes(b"{half")
    then = time.time() - 7200
    os.utime(orphan, (then, then))
    load_ir(mdl)
    assert not orphan.exists()
