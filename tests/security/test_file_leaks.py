"""``model:``, ``extends:`` and ``simulate MODEL`` read only model and scenario files, and never echo
the content of any other file (issue #13: a system file copied into the cache or an error message).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sdmission.cli import main

SECRET = "TOP-SECRET-LINE: s3cr3t"


@pytest.fixture()
def secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private non-scenario file, and a fresh cache to look into afterwards."""
    monkeypatch.setenv("SDMISSION_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "secret.txt"
    path.write_text(f"{SECRET}\nroot:x:0:0\n", encoding="utf-8")
    os.chmod(path, 0o640)
    return path


def _no_leak(tmp_path: Path, err: str) -> None:
    assert "s3cr3t" not in err and "root:x" not in err, err
    for f in (tmp_path / "cache").rglob("*"):
        if f.is_file():
            assert b"s3cr3t" not in f.read_bytes(), f


def _scenario(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "scn.yaml"
    path.write_text(f"name: scn\ndescription: d\n{body}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["plain", "symlink-mdl", "folder-mdl"])
def test_model_key_accepts_only_model_files(kind: str, secret: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    target: Path = secret
    if kind == "symlink-mdl":
        target = tmp_path / "evil.mdl"
        target.symlink_to(secret)
    elif kind == "folder-mdl":
        target = tmp_path / "dir.mdl"
        target.mkdir()
    for cmd in (["validate"], ["run", "--out", str(tmp_path / "res")]):
        code = main([*cmd, str(_scenario(tmp_path, f"model: {target}"))])
        err = capsys.readouterr().err
        assert code == 1, err
        assert ".mdl or .xmile" in err or "not found" in err, err
        _no_leak(tmp_path, err)


@pytest.mark.parametrize("kind", ["plain", "symlink-mdl"])
def test_simulate_accepts_only_model_files(kind: str, secret: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    target: Path = secret
    if kind == "symlink-mdl":
        target = tmp_path / "evil.mdl"
        target.symlink_to(secret)
    code = main(["simulate", str(target), "--out", str(tmp_path / "o.nc")])
    err = capsys.readouterr().err
    assert code == 1, err
    _no_leak(tmp_path, err)


@pytest.mark.parametrize("ref", ["ABS", "../../../../../../ABS", "secret.txt"])
def test_extends_accepts_only_scenario_files(ref: str, secret: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    ref = ref.replace("ABS", str(secret).lstrip("/")) if ref.startswith("..") else ref
    ref = str(secret) if ref == "ABS" else ref
    scn = _scenario(tmp_path, f"extends: {ref}")
    code = main(["validate", "--no-model", str(scn)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "extends" in err, err
    _no_leak(tmp_path, err)


def test_extends_through_a_yaml_symlink_to_a_secret(secret: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "parent.yaml").symlink_to(secret)
    code = main(["validate", "--no-model", str(_scenario(tmp_path, "extends: parent"))])
    err = capsys.readouterr().err
    assert code == 1, err
    _no_leak(tmp_path, err)


def test_the_model_copy_in_the_cache_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sdmission.model import translate

    monkeypatch.setenv("SDMISSION_CACHE", str(tmp_path / "cache"))
    old = os.umask(0)
    try:
        mdl = Path(__file__).resolve().parents[1] / "data" / "models" / "fn_lookup.mdl"
        copy = translate.cached_copy(mdl)
        py = translate.translated_py(mdl)
    finally:
        os.umask(old)
    for folder in (tmp_path / "cache", copy.parent):
        assert folder.stat().st_mode & 0o777 == 0o700
    for f in copy.parent.iterdir():
        assert f.stat().st_mode & 0o777 == 0o600, f
    assert py.parent == copy.parent
