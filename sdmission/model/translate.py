"""Translate a Vensim ``.mdl`` once and cache the result by content hash, outside ``models/``.

PySD writes its generated ``.py`` next to the ``.mdl``; we translate a copy inside the cache folder,
so sources stay read-only and a model is never re-translated unless its text changes.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import pysd

from sdmission.errors import ModelError
from sdmission.io import atomic_write
from sdmission.model import source
from sdmission.model.hashing import model_hash

__all__ = ["cache_dir", "cached_copy", "load", "model_cache_folder", "model_hash", "translated_py"]


def cache_dir() -> Path:
    """Root of the translation cache: ``$SDMISSION_CACHE`` or ``~/.cache/sdmission``."""
    root = os.environ.get("SDMISSION_CACHE")
    path = Path(root) if root else Path.home() / ".cache" / "sdmission"
    path.mkdir(parents=True, exist_ok=True)
    return path


def model_cache_folder(digest: str) -> Path:
    """The cache folder of one model version: ``cache_dir()/<first 16 hex of its sha256>/``."""
    folder = cache_dir() / digest[:16]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cached_copy(mdl_path: Path | str) -> Path:
    """Copy the ``.mdl`` into ``cache_dir()/<hash>/`` (once) and return the copy's path."""
    src = Path(mdl_path)
    model = source.read(src)  # the bytes written are the bytes hashed
    dst = model_cache_folder(model.digest) / src.name
    if not dst.exists():
        def copy(tmp: Path) -> None:
            tmp.write_bytes(model.data)

        atomic_write(dst, copy)
    # GET DIRECT/XLS data files are read relative to the model: copy its data files beside the copy.
    # A changed data file replaces its stale copy (PySD reads data when a model is loaded).
    for data in src.parent.iterdir():
        if data.suffix.lower() not in _DATA_SUFFIXES or not data.is_file():
            continue
        target = dst.parent / data.name
        if not target.exists() or target.read_bytes() != data.read_bytes():
            atomic_write(target, _copier(data))
    return dst


_DATA_SUFFIXES = (".csv", ".tab", ".xls", ".xlsx", ".xlsm", ".ods")


def _copier(src: Path) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        shutil.copyfile(src, tmp)

    return write


def translated_py(mdl_path: Path | str) -> Path:
    """Path of PySD's generated ``.py`` for this model, translating it on first use."""
    copy = cached_copy(mdl_path)
    py = copy.with_suffix(".py")
    if not py.exists():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pysd.read_vensim(str(copy))
        except Exception as exc:  # PySD raises many types; wrap with the file name
            raise ModelError(f"PySD could not translate {mdl_path}: {exc}") from exc
    return py


def load(mdl_path: Path | str) -> pysd.py_backend.model.Model:
    """A fresh PySD model object for this ``.mdl`` (translated once, loaded each call)."""
    py = translated_py(mdl_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pysd.load(str(py))
