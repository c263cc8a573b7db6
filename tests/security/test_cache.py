"""A cache that cannot be poisoned (issue #13): private, owner-checked, signed, atomic, self-repairing."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest

from sdmission.cli import main
from sdmission.model import cache, translate

DATA = Path(__file__).resolve().parents[1] / "data"
MODEL = DATA / "models" / "fn_lookup.mdl"
SENTINEL = "CACHE_SENTINEL"


@pytest.fixture()
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from sdmission.model.engines import factory

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(factory, "_BATCH", {})  # no engine kept in memory from another test
    root = tmp_path / "cache"
    monkeypatch.setenv("SDMISSION_CACHE", str(root))
    return root


def _simulate(tmp_path: Path, engine: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["simulate", str(MODEL), "--engine", engine, "--out", str(tmp_path / f"o-{engine}.nc")])
    return code, capsys.readouterr().err


def test_cache_pointing_at_a_file_is_a_clear_error(fresh: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    fresh.write_text("not a folder", encoding="utf-8")
    code, err = _simulate(tmp_path, "batch", capsys)
    assert code == 1, err
    assert "is not a folder" in err and "SDMISSION_CACHE" in err, err


@pytest.mark.skipif(os.getuid() != 0, reason="making a folder of another user needs root")
def test_cache_of_another_user_is_refused(fresh: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    fresh.mkdir()
    os.chown(fresh, 65534, 65534)
    code, err = _simulate(tmp_path, "batch", capsys)
    assert code == 1, err
    assert "belongs to another user" in err, err


@pytest.mark.skipif(os.getuid() != 0, reason="making a file of another user needs root")
def test_a_cache_file_of_another_user_is_refused(fresh: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert _simulate(tmp_path, "pysd", capsys)[0] == 0
    py = next(fresh.glob("*/pysd-*.py"))
    os.chown(py.with_suffix(".sha256"), 65534, 65534)
    code, err = _simulate(tmp_path, "pysd", capsys)
    assert code == 1 and "not a regular file of yours" in err, err


def test_loose_folders_are_tightened(fresh: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    fresh.mkdir()
    os.chmod(fresh, 0o777)
    old = os.umask(0)
    try:
        assert _simulate(tmp_path, "pysd", capsys)[0] == 0
    finally:
        os.umask(old)
    for path in [fresh, *fresh.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


@pytest.mark.parametrize("damage", ["truncate", "append", "empty", "signature"])
def test_a_damaged_translation_is_rebuilt_once(damage: str, fresh: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert _simulate(tmp_path, "pysd", capsys)[0] == 0
    py = next(fresh.glob("*/pysd-*.py"))
    good = py.read_bytes()
    if damage == "truncate":
        py.write_bytes(good[: len(good) // 2])
    elif damage == "append":
        py.write_bytes(good + f"\n__import__('pathlib').Path('{SENTINEL}').touch()\n".encode())
    elif damage == "empty":
        py.write_bytes(b"")
    else:
        sig = py.with_suffix(".sha256")
        sig.write_bytes(sig.read_bytes()[:-1] + b"0")
    code, err = _simulate(tmp_path, "pysd", capsys)
    assert code == 0, err
    assert "rebuilding" in err, err
    assert py.read_bytes() == good
    assert not (tmp_path / SENTINEL).exists()
    code, err = _simulate(tmp_path, "pysd", capsys)  # repaired: no message the second time
    assert code == 0 and "rebuilding" not in err, err


class _Payload:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {SENTINEL}",))


def test_a_planted_pickle_never_runs(fresh: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    from sdmission.model.engines import factory

    assert _simulate(tmp_path, "batch", capsys)[0] == 0
    pkl = next(fresh.glob("*/batch-ir-*.pkl"))
    pkl.write_bytes(pickle.dumps(_Payload()))
    factory._BATCH.clear()
    code, err = _simulate(tmp_path, "batch", capsys)
    assert code == 0, err
    assert not (tmp_path / SENTINEL).exists()
    assert "rebuilding" in err, err


def test_a_pickle_signed_with_another_key_never_runs(fresh: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from sdmission.model.engines import factory

    assert _simulate(tmp_path, "batch", capsys)[0] == 0
    pkl = next(fresh.glob("*/batch-ir-*.pkl"))
    (fresh / "key").write_bytes(b"k" * 32)  # the attacker's own key …
    cache.write_signed(pkl, pickle.dumps(_Payload()))
    (fresh / "key").write_bytes(os.urandom(32))  # … is not the user's
    factory._BATCH.clear()
    code, err = _simulate(tmp_path, "batch", capsys)
    assert code == 0, err
    assert not (tmp_path / SENTINEL).exists()


def test_translation_is_atomic_when_killed(fresh: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while PySD writes the module leaves no module (and no temporary folder) behind."""
    from pysd.builders.python import python_model_builder as builder

    def boom(self: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(builder.ModelBuilder, "build_model", boom)
    with pytest.raises(KeyboardInterrupt):
        translate.translated_py(MODEL)
    folder = translate.model_cache_folder(translate.model_hash(MODEL))
    left = sorted(p.name for p in folder.iterdir())
    assert not [n for n in left if n.startswith((".build-", "pysd-")) or n.endswith(".tmp")], left
    monkeypatch.undo()
    monkeypatch.setenv("SDMISSION_CACHE", str(fresh))
    assert translate.translated_py(MODEL).is_file()


_KILL_MID_WRITE = """
import os, signal, sys
from pathlib import Path
from sdmission import io
from sdmission.model import translate

real = io.atomic_write_bytes
def half_then_die(path, data, *, mode=None):
    if Path(path).suffix == ".py":  # the module: half of it lands, then kill -9
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, data[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    return real(path, data, mode=mode)
translate.atomic_write_bytes = half_then_die
translate.translated_py(sys.argv[1])
"""


def test_kill_during_translation_leaves_a_usable_cache(fresh: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """kill -9 while the module is written (even non-atomically): the next run rebuilds it."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _KILL_MID_WRITE, str(MODEL)], capture_output=True,
                          env={**os.environ, "SDMISSION_CACHE": str(fresh)}, timeout=300, check=False)
    assert proc.returncode == -9, proc.stderr
    assert list(fresh.glob("*/pysd-*.py"))  # the half-written module is there …
    code, err = _simulate(tmp_path, "pysd", capsys)
    assert code == 0, err  # … and is never used
    py = next(fresh.glob("*/pysd-*.py"))
    compile(py.read_bytes(), str(py), "exec")


def test_full_disk_during_translation_is_a_clear_error(fresh: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import errno

    def full(tmp: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    real = translate.atomic_write_bytes

    def no_space(path: Path, data: bytes, *, mode: int | None = None) -> Path:
        from sdmission.io import atomic_write

        if not Path(path).name.startswith("pysd-"):  # the disk fills up at the translated module
            return real(path, data, mode=mode)
        return atomic_write(path, full, mode=mode)

    monkeypatch.setattr(translate, "atomic_write_bytes", no_space)
    code, err = _simulate(tmp_path, "pysd", capsys)
    assert code == 1, err
    assert "No space left on device" in err and "pysd-" in err, err
    monkeypatch.setattr(translate, "atomic_write_bytes", real)
    code, err = _simulate(tmp_path, "pysd", capsys)
    assert code == 0, err


def test_a_tampered_compiled_module_is_rewritten(fresh: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The numba path imports its module from the cache: only when it is the code just generated."""
    import subprocess
    import sys

    script = ("import sys\nfrom sdmission.model.engines.factory import load_engine\n"
              "load_engine(sys.argv[1], 'batch').compiled().run()\n")
    env = {**os.environ, "SDMISSION_CACHE": str(fresh)}
    first = subprocess.run([sys.executable, "-c", script, str(MODEL)], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=600, check=False)
    assert first.returncode == 0, first.stderr
    module = next(fresh.glob("*/compiled-*.py"))
    assert stat.S_IMODE(module.stat().st_mode) == 0o600
    good = module.read_bytes()
    module.write_bytes(good + f"\n__import__('pathlib').Path('{SENTINEL}').touch()\n".encode())
    second = subprocess.run([sys.executable, "-c", script, str(MODEL)], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=600, check=False)
    assert second.returncode == 0, second.stderr
    assert "rewriting it" in second.stderr
    assert not (tmp_path / SENTINEL).exists()
    assert module.read_bytes() == good
