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


def _ir_entry(fresh: Path) -> Path:
    return next(fresh.glob("*/batch-ir-*.json"))


def test_the_ir_cache_is_json_not_a_pickle(fresh: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from sdmission.model.engines.batch import irstore

    assert _simulate(tmp_path, "batch", capsys)[0] == 0
    assert not list(fresh.glob("*/*.pkl"))
    blob = _ir_entry(fresh).read_bytes()
    body = blob[blob.index(irstore.MAGIC) + len(irstore.MAGIC):]
    assert json.loads(body)["@"] == "ModelIR"


@pytest.mark.parametrize("plant", ["pickle", "signed-pickle", "old-pickle-file"])
def test_a_planted_pickle_never_runs(plant: str, fresh: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Even signed with the user's own key (a leaked key), a pickle is never unpickled."""
    from sdmission.model.engines import factory

    assert _simulate(tmp_path, "batch", capsys)[0] == 0
    entry = _ir_entry(fresh)
    payload = pickle.dumps(_Payload())
    if plant == "pickle":
        entry.write_bytes(payload)
    elif plant == "signed-pickle":
        cache.write_signed(entry, payload)
    else:  # the file name an older version read
        (entry.parent / "batch-ir-v7.pkl").write_bytes(payload)
        entry.unlink()
    factory._BATCH.clear()
    code, err = _simulate(tmp_path, "batch", capsys)
    assert code == 0, err
    assert not (tmp_path / SENTINEL).exists()
    assert not list(fresh.glob("*/*.pkl"))
    if plant != "old-pickle-file":
        assert "rebuilding" in err, err


def test_a_pickle_signed_with_another_key_never_runs(fresh: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from sdmission.model.engines import factory

    assert _simulate(tmp_path, "batch", capsys)[0] == 0
    entry = _ir_entry(fresh)
    (fresh / "key").write_bytes(b"k" * 32)  # the attacker's own key …
    cache.write_signed(entry, pickle.dumps(_Payload()))
    (fresh / "key").write_bytes(os.urandom(32))  # … is not the user's
    factory._BATCH.clear()
    code, err = _simulate(tmp_path, "batch", capsys)
    assert code == 0, err
    assert "damaged or was changed" in err, err
    assert not (tmp_path / SENTINEL).exists()


_INJECT = f"x = __import__('pathlib').Path('{SENTINEL}').touch() #"


def _forge(model: object, field: str) -> object:
    """The IR with one value that would reach generated code replaced by a Python statement."""
    import dataclasses

    from sdmission.model.engines.batch import ir

    m = model
    assert isinstance(m, ir.ModelIR)
    if field == "name":
        name, var = next(iter(m.variables.items()))
        variables = {(_INJECT if k == name else k): (dataclasses.replace(v, py_name=_INJECT)
                                                    if k == name else v) for k, v in m.variables.items()}
        return dataclasses.replace(m, variables=variables)
    if field == "method":
        return dataclasses.replace(m, data=(*m.data, ((0.0,), (1.0,), (1,), _INJECT)))
    if field == "source_hash":
        return dataclasses.replace(m, source_hash="0' + __import__('os').getcwd() + '")

    def swap(node: ir.Node) -> ir.Node:
        if isinstance(node, ir.Call) and field == "function":
            return dataclasses.replace(node, fn="_import__")
        if isinstance(node, ir.Op) and field == "operator":
            return dataclasses.replace(node, ops=(_INJECT,) * len(node.ops))
        if isinstance(node, ir.Op | ir.Call):
            return dataclasses.replace(node, args=tuple(swap(a) for a in node.args))
        return node

    variables = {k: dataclasses.replace(v, components=tuple(
        dataclasses.replace(c, expr=swap(c.expr)) for c in v.components)) for k, v in m.variables.items()}
    return dataclasses.replace(m, variables=variables)


@pytest.mark.parametrize(("field", "reason"), [
    ("name", "is not an identifier"), ("function", "unknown function"),
    ("operator", "unknown operator"), ("method", "unknown data method"),
    ("source_hash", "bad source hash"),
])
def test_a_forged_ir_signed_with_a_leaked_key_cannot_inject_code(
        field: str, reason: str, fresh: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A valid signature is not enough: every name, function and operator that reaches code is checked."""
    import shutil

    from sdmission.model.engines.batch import irstore
    from sdmission.model.engines.batch.engine import BatchEngine, load_ir

    mdl = tmp_path / "arith.mdl"
    shutil.copyfile(DATA / "models" / "fn_arith.mdl", mdl)
    good = load_ir(mdl)
    forged = _forge(good, field)
    assert forged != good
    entry = _ir_entry(fresh)
    cache.write_signed(entry, irstore.dumps(forged))  # type: ignore[arg-type]
    capsys.readouterr()
    engine = BatchEngine(mdl)
    err = capsys.readouterr().err
    assert "not a valid IR" in err and reason in err and "rebuilding" in err, err
    assert engine.model == good
    engine.run()
    assert not (tmp_path / SENTINEL).exists()


@pytest.mark.parametrize("damage", ["truncate", "empty", "bitflip"])
def test_a_damaged_ir_entry_is_rebuilt_once(damage: str, fresh: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from sdmission.model.engines import factory

    assert _simulate(tmp_path, "batch", capsys)[0] == 0
    entry = _ir_entry(fresh)
    good = entry.read_bytes()
    bad = {"truncate": good[: len(good) // 2], "empty": b"",
           "bitflip": good[:-10] + bytes([good[-10] ^ 1]) + good[-9:]}[damage]
    entry.write_bytes(bad)
    factory._BATCH.clear()
    code, err = _simulate(tmp_path, "batch", capsys)
    assert code == 0, err
    assert err.count("rebuilding") == 1, err
    factory._BATCH.clear()
    code, err = _simulate(tmp_path, "batch", capsys)
    assert code == 0 and "rebuilding" not in err, err


def test_ir_round_trips_through_json_for_every_test_model() -> None:
    from sdmission.errors import SdmissionError
    from sdmission.model.engines.batch import irstore
    from sdmission.model.engines.batch.compiler import compile_model

    done = 0
    for mdl in sorted((DATA / "models").glob("*.mdl")):
        try:
            model = compile_model(mdl, translate.model_hash(mdl))
        except SdmissionError:
            continue  # a fixture the batch engine refuses on purpose
        assert irstore.loads(irstore.dumps(model)) == model, mdl.name
        done += 1
    assert done >= 10


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


_COMPILED = ("import sys\nfrom sdmission.model.engines.factory import load_engine\n"
             "ds = load_engine(sys.argv[1], 'batch').compiled().run()\n"
             "print(repr(float(sum(float(ds[v].sum()) for v in ds.data_vars))))\n")


def test_compiled_artefacts_are_checked_before_use(fresh: Path, tmp_path: Path) -> None:
    """Lookup tables (.npz) are verified by content hash and never unpickled; numba's cache files
    (pickles) are used only when listed in the signed manifest; each damage is repaired once."""
    import subprocess
    import sys

    import numpy as np

    env = {**os.environ, "SDMISSION_CACHE": str(fresh)}

    def run() -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-c", _COMPILED, str(MODEL)], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stderr
        return proc

    first = run()
    npz = next(fresh.glob("*/compiled-*.npz"))
    pycache = npz.parent / "__pycache__"
    assert stat.S_IMODE(pycache.stat().st_mode) == 0o700
    files = sorted(pycache.iterdir())
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    # 1. tables with other values, 2. a planted pickle as numba's index of `run`
    tables = dict(np.load(npz, allow_pickle=False))
    with open(npz, "wb") as fh:
        np.savez(fh, **{k: v * 10 + 1 for k, v in tables.items()})
    index = next(p for p in files if ".run-" in p.name and p.suffix == ".nbi")
    index.write_bytes(pickle.dumps(_Payload()))
    second = run()
    assert second.stdout == first.stdout  # the model's own tables were used
    assert "cached tables" in second.stderr and "differ from the model's tables" in second.stderr
    assert "numba cache files" in second.stderr and index.name in second.stderr
    assert not (tmp_path / SENTINEL).exists()
    # 3. an object array (a pickle) in the tables is refused without loading it
    payload = np.empty(1, dtype=object)
    payload[0] = _Payload()
    with open(npz, "wb") as fh:
        np.savez(fh, **{next(iter(tables)): payload})
    third = run()
    assert "pickled object" in third.stderr, third.stderr
    assert third.stdout == first.stdout and not (tmp_path / SENTINEL).exists()
    fourth = run()  # repaired: silent
    assert "note:" not in fourth.stderr, fourth.stderr
