"""A model file is data: no ``.mdl`` in ``tests/data/hostile/`` runs code (issue #13).

Every file there carries the payload ``__import__('pathlib').Path('HOSTILE_SENTINEL').touch()`` in
a comment, a name, units, a lookup, a subscript or a group; the tests run ``validate``, ``run`` and
``simulate`` with both engines from a fresh cache in a temporary working folder, and check that the
sentinel file was never created and that every command ended in exit 0 or a clear exit 1.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from sdmission.cli import main

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"
MODELS = sorted(HOSTILE.glob("*.mdl"))
SENTINEL = "HOSTILE_SENTINEL"


@pytest.fixture()
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working folder and cache: the payload would write ``HOSTILE_SENTINEL`` here."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDMISSION_CACHE", str(tmp_path / "cache"))
    return tmp_path


def _scenario(folder: Path, mdl: Path) -> Path:
    path = folder / "hostile.yaml"
    path.write_text(f"name: hostile\ndescription: hostile model\nmodel: {mdl}\n", encoding="utf-8")
    return path


def _clean_exit(code: int, err: str) -> None:
    assert code in (0, 1), err
    assert "unexpected error" not in err and "Traceback" not in err, err


def test_the_corpus_is_there() -> None:
    assert len(MODELS) >= 8
    for mdl in MODELS:
        assert "HOSTILE_SENTINEL" in mdl.read_text(encoding="utf-8"), mdl


@pytest.mark.parametrize("mdl", MODELS, ids=[m.stem for m in MODELS])
@pytest.mark.parametrize("engine", ["pysd", "batch"])
def test_simulate_runs_no_code(mdl: Path, engine: str, sandbox: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", str(mdl), "--engine", engine, "--out", str(sandbox / "out.nc")])
    _clean_exit(code, capsys.readouterr().err)
    assert not (sandbox / SENTINEL).exists()


@pytest.mark.parametrize("mdl", MODELS, ids=[m.stem for m in MODELS])
def test_validate_runs_no_code(mdl: Path, sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(_scenario(sandbox, mdl))])
    _clean_exit(code, capsys.readouterr().err)
    assert not (sandbox / SENTINEL).exists()


@pytest.mark.parametrize("mdl", MODELS, ids=[m.stem for m in MODELS])
@pytest.mark.parametrize("engine", ["pysd", "batch"])
def test_run_runs_no_code(mdl: Path, engine: str, sandbox: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    scn = _scenario(sandbox, mdl)
    code = main(["run", str(scn), "--engine", engine, "--out", str(sandbox / "results")])
    err = capsys.readouterr().err
    _clean_exit(code, err)
    assert not (sandbox / SENTINEL).exists()
    if engine == "pysd" and "subscript name" not in err:  # the module was built and imported
        assert list((sandbox / "cache").glob("*/pysd-*.py")), err


def test_a_payload_really_reaches_pysd_untreated(sandbox: Path) -> None:
    """The corpus is live: plain PySD on the same file runs the payload (so the tests above mean something)."""
    import warnings

    import pysd

    copy = sandbox / "plain.mdl"
    copy.write_bytes((HOSTILE / "comment_triple_quote.mdl").read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pysd.read_vensim(str(copy))
        with contextlib.suppress(Exception):  # the payload breaks the value; it ran all the same
            model.run()
    assert (sandbox / SENTINEL).exists()


def test_a_hostile_file_name_runs_no_code(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """PySD writes the file name into the module's docstring; the cache never uses it."""
    evil = sandbox / ("x\"\"\"+__import__('pathlib').Path('" + SENTINEL + "').touch()+\"\"\".mdl")
    evil.write_bytes((HOSTILE / "units_payload.mdl").read_bytes())
    code = main(["simulate", str(evil), "--engine", "pysd", "--out", str(sandbox / "out.nc")])
    _clean_exit(code, capsys.readouterr().err)
    assert not (sandbox / SENTINEL).exists()
