"""Limits refused before any work, and every known failure a clear exit 1 (issue #13, parts 3-4)."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import pytest

from sdmission.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
LOOKUP = DATA / "models" / "fn_lookup.mdl"
ROBUST = DATA / "models" / "opt_robust.mdl"


@pytest.fixture()
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, float]:
    start = time.perf_counter()
    code = main(argv)
    return code, capsys.readouterr().err, time.perf_counter() - start


def _clear(code: int, err: str, *words: str) -> None:
    assert code == 1, err
    assert "unexpected error" not in err and "Traceback" not in err, err
    for w in words:
        assert w in err, err


# ---------------------------------------------------------------------------------------- limits


def test_final_time_1e12_is_refused_by_validate_and_run(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scn = cwd / "big.yaml"
    scn.write_text(f"name: big\nextends: {ROOT / 'scenarios' / 'baseline.yaml'}\n"
                   "time:\n  final_time: 1.0e12\n", encoding="utf-8")
    for argv in (["validate", str(scn)], ["run", str(scn), "--out", str(cwd / "res")]):
        code, err, _ = _run(argv, capsys)
        _clear(code, err, "time.final_time", "steps", "choose an earlier final time", "big.yaml:4")
    assert not (cwd / "res").exists()


def test_final_time_just_over_the_memory_limit(cwd: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDMISSION_MAX_MEMORY_GB", "0.001")
    scn = cwd / "long.yaml"
    scn.write_text(f"name: long\nextends: {ROOT / 'scenarios' / 'baseline.yaml'}\n"
                   "time:\n  final_time: 20000\n", encoding="utf-8")
    code, err, _ = _run(["validate", str(scn)], capsys)
    _clear(code, err, "GiB", "SDMISSION_MAX_MEMORY_GB")


def test_simulate_final_time_1e9_is_refused_fast(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["simulate", str(LOOKUP), "--out", str(cwd / "warm.nc")])  # imports and cache warm
    capsys.readouterr()
    code, err, seconds = _run(["simulate", str(LOOKUP), "--final-time", "1e9", "--out",
                               str(cwd / "o.nc")], capsys)
    _clear(code, err, "--final-time", "steps")
    assert seconds < 1.0
    assert not (cwd / "o.nc").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-5"])
def test_simulate_final_time_nonsense(value: str, cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err, _ = _run(["simulate", str(LOOKUP), f"--final-time={value}", "--out", str(cwd / "o.nc")],
                        capsys)
    _clear(code, err, "--final-time")


def test_ensemble_of_a_billion_members_is_refused(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err, _ = _run(["ensemble", "baseline", "--scenarios-dir", str(ROOT / "scenarios"),
                         "--members", "1000000000", "--out", str(cwd / "ens"), "--no-plots"], capsys)
    _clear(code, err, "--members", "GiB", "fewer --members")
    assert not (cwd / "ens").exists()


def test_robust_optimisation_size_is_refused(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scn = cwd / "rob.yaml"
    scn.write_text(f"""\
name: rob
description: too many futures
model: {ROBUST}
targets: klimaatakkoord-industry
uncertainties:
  parameters:
    - {{name: emission_factor}}
optimise:
  start: 2025
  levers:
    abatement_effort: {{bounds: [0, 100]}}
  objective: {{discount_rate: 0.03}}
  method: {{popsize: 200, maxiter: 40, tol: 1.0e-4, seed: 2}}
  robust: {{p: 0.8, members: 100000, sampler: lhs, seed: 1}}
""", encoding="utf-8")
    code, err, _ = _run(["optimise", str(scn), "--out", str(cwd / "o"), "--quiet"], capsys)
    _clear(code, err, "optimise.robust.members", "GiB", "fewer robust members")


# ----------------------------------------------------------------------------------------- YAML


def _yaml(cwd: Path, text: str) -> Path:
    path = cwd / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "words"), [
    ("name: x\nlevers: " + "[" * 3000 + "]" * 3000 + "\n", ("nested too deeply",)),
    ("name: x\nlevers: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", ("nested too deeply",)),
    ("name: x\x07\ndescription: d\n", ("U+0007",)),
    ("name: x\x00\n", ("U+0000",)),
    ("name: x\ndescription: \x1b[31mred\n", ("U+001B",)),
    ("a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n", ("aliases are not allowed",)),
])
def test_hostile_yaml_is_a_clear_error(text: str, words: tuple[str, ...], cwd: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, err, seconds = _run(["validate", "--no-model", str(_yaml(cwd, text))], capsys)
    _clear(code, err, "bad.yaml", *words)
    assert "\x1b" not in err and "\x00" not in err and "\x07" not in err
    assert seconds < 5


def test_alias_bomb_in_a_target_registry(cwd: Path) -> None:
    from sdmission.errors import InputError
    from sdmission.study import targets

    bomb = _yaml(cwd, "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n"
                      + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9)
                                + "]\n" for i in range(8)))
    start = time.perf_counter()
    with pytest.raises(InputError, match="aliases are not allowed"):
        targets.load_target_sets(bomb)
    assert time.perf_counter() - start < 1.0


# ---------------------------------------------------------------------------------------- --out


def test_out_is_checked_before_simulating(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (cwd / "x.nc").mkdir()
    (cwd / "file").write_text("", encoding="utf-8")
    for out, words in ((cwd / "x.nc", ("is a folder",)), (cwd / "file" / "o.nc", ("is a file",)),
                       (cwd / "o.txt", (".nc",))):
        code, err, seconds = _run(["simulate", str(LOOKUP), "--out", str(out)], capsys)
        _clear(code, err, "--out", *words)
    code, err, _ = _run(["run", "baseline", "--scenarios-dir", str(ROOT / "scenarios"),
                         "--out", str(cwd / "file")], capsys)
    _clear(code, err, "--out", "is an existing file")


@pytest.mark.skipif(os.getuid() == 0, reason="root writes into read-only folders")
def test_read_only_out_folder(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ro = cwd / "ro"
    ro.mkdir()
    os.chmod(ro, 0o500)
    try:
        code, err, _ = _run(["simulate", str(LOOKUP), "--out", str(ro / "o.nc")], capsys)
        _clear(code, err, "not writable")
    finally:
        os.chmod(ro, 0o700)


def test_read_only_out_folder_as_seen_by_the_writer(cwd: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only file system (EROFS) found by the writability probe."""
    import tempfile

    def erofs(*args: object, **kwargs: object) -> object:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "TemporaryFile", erofs)
    code, err, _ = _run(["simulate", str(LOOKUP), "--out", str(cwd / "o.nc")], capsys)
    _clear(code, err, "Read-only file system")


def test_full_disk_is_named(cwd: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """netCDF reports 'HDF error' when the disk fills up; the message says 'No space left on device'."""
    import shutil
    from collections import namedtuple

    import xarray as xr

    def hdf_error(self: xr.Dataset, *args: object, **kwargs: object) -> None:
        raise RuntimeError("NetCDF: HDF error")

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(xr.Dataset, "to_netcdf", hdf_error)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10, 10, 0))
    code, err, _ = _run(["simulate", str(LOOKUP), "--out", str(cwd / "o.nc")], capsys)
    _clear(code, err, "No space left on device", "o.nc")
    assert not list(cwd.glob(".o.nc.*"))  # no temporary file left behind


def test_enospc_from_the_writer_is_named(cwd: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import xarray as xr

    def enospc(self: xr.Dataset, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(xr.Dataset, "to_netcdf", enospc)
    code, err, _ = _run(["simulate", str(LOOKUP), "--out", str(cwd / "o.nc")], capsys)
    _clear(code, err, "No space left on device", "o.nc")
