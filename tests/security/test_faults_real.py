"""A real full disk and a real read-only file system (issue #13), on a small tmpfs.

Mounting needs root (CI runs as root). Elsewhere the tests are skipped with the reason; in CI
(``CI`` set) a failed mount fails the test instead, so the faults are always tried there.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sdmission.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
MODEL = DATA / "models" / "fn_lookup.mdl"
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture()
def tmpfs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A small tmpfs (1 MiB, or the size given by indirect parametrisation) at ``tmp_path/fs``;
    the cache stays on the ordinary disk."""
    from sdmission.model.engines import factory

    monkeypatch.setattr(factory, "_BATCH", {})
    monkeypatch.setenv("SDMISSION_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    point = tmp_path / "fs"
    point.mkdir()
    size = getattr(request, "param", "1m")
    done = _mount("-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(point)) if os.getuid() == 0 else None
    if done is None or done.returncode != 0:
        reason = ("mounting a tmpfs needs root" if done is None else
                  f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
        if os.environ.get("CI") and os.getuid() == 0:
            pytest.fail(f"CI runs as root and must test a real full disk: {reason}")
        pytest.skip(reason)
    try:
        yield point
    finally:
        import gc

        gc.collect()  # netCDF handles kept by xarray's file cache
        _mount("-o", "remount,rw", str(point))
        if subprocess.run(["umount", str(point)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fill(folder: Path) -> None:
    """Fill the file system to the last byte (unbuffered writes until ENOSPC)."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                continue
    finally:
        os.close(fd)


def _clear(code: int, err: str, *words: str) -> None:
    assert code == 1, err
    assert "unexpected error" not in err and "Traceback" not in err, err
    low = err.lower()
    for w in words:
        assert w.lower() in low, err


def test_a_full_disk_is_exit_1_naming_the_file_and_keeps_earlier_results(
        tmpfs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    earlier = tmpfs / "earlier.nc"
    assert main(["simulate", str(MODEL), "--out", str(earlier)]) == 0
    before = _digest(earlier)
    _fill(tmpfs)
    capsys.readouterr()
    for out in (tmpfs / "new.nc", earlier):  # a new file, and overwriting the earlier one
        code = main(["simulate", str(MODEL), "--out", str(out)])
        _clear(code, capsys.readouterr().err, "no space left on device", out.name)
    assert _digest(earlier) == before
    assert not (tmpfs / "new.nc").exists()
    assert sorted(p.name for p in tmpfs.iterdir()) == ["earlier.nc", "filler"]  # no temporary file left


@pytest.mark.parametrize("tmpfs", ["16m"], indirect=True)
def test_a_full_disk_under_run_keeps_earlier_results(tmpfs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmpfs / "res"
    code = main(["run", "baseline", "--scenarios-dir", str(SCENARIOS), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    files = {p: _digest(p) for p in out.rglob("*") if p.is_file()}
    _fill(tmpfs)
    code = main(["run", "baseline", "--scenarios-dir", str(SCENARIOS), "--out", str(out)])
    _clear(code, capsys.readouterr().err, "no space left on device", str(out))
    assert {p: _digest(p) for p in files} == files


def test_a_read_only_file_system_is_exit_1_naming_the_path(tmpfs: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    earlier = tmpfs / "earlier.nc"
    assert main(["simulate", str(MODEL), "--out", str(earlier)]) == 0
    before = _digest(earlier)
    done = _mount("-o", "remount,ro", str(tmpfs))
    assert done.returncode == 0, done.stderr
    with pytest.raises(OSError, match="Read-only"):  # the file system really is read-only, for root too
        os.open(tmpfs / "probe", os.O_WRONLY | os.O_CREAT, 0o600)
    capsys.readouterr()
    for out in (tmpfs / "new.nc", earlier):
        code = main(["simulate", str(MODEL), "--out", str(out)])
        _clear(code, capsys.readouterr().err, "read-only", str(tmpfs))
    assert _digest(earlier) == before
    code = main(["run", "baseline", "--scenarios-dir", str(SCENARIOS), "--out", str(tmpfs / "res")])
    _clear(code, capsys.readouterr().err, "read-only", str(tmpfs / "res"))
