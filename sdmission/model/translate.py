"""Translate a Vensim ``.mdl`` into PySD's Python once, safely, and cache it by content hash.

PySD copies a variable's comment into a docstring of the generated module and puts subscript names
between quotes; a comment holding a backslash and three double quotes or a subscript holding ``'`` could therefore leave the
string literal and run as Python when the PySD engine imports the module (issue #13). So the module
is never built from the ``.mdl`` text directly:

1. the model is parsed into PySD's abstract model (:mod:`sdmission.model.source`; no code runs);
2. every comment is *neutralised* — a double quote becomes ``'``, a backslash ``/``, control characters
   become spaces — so no docstring can end early; a subscript range or element whose name holds a
   quote, a backslash or a control character is refused with a :class:`ModelError`; macros
   (extra sections, extra files) are refused;
3. PySD's builder writes the module into a private temporary folder inside the model's cache folder,
   and the finished file is moved into place atomically (a kill or a full disk never leaves half a
   module); its SHA-256 is stored *signed* (:mod:`sdmission.model.cache`) beside it;
4. before every import the module's bytes are checked against that signed hash; a truncated or
   changed module is reported, deleted and rebuilt once.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import pysd

from sdmission.errors import ModelError
from sdmission.io import atomic_write_bytes
from sdmission.model import source
from sdmission.model.cache import (
    CacheError,
    cache_dir,
    model_cache_folder,
    note,
    read_signed,
    write_signed,
)
from sdmission.model.hashing import model_hash

__all__ = ["CacheError", "cache_dir", "cached_copy", "load", "model_cache_folder", "model_hash",
           "neutralise", "translated_py"]

#: Bump when the neutralisation changes the generated module: old entries are then ignored.
SAFE_VERSION = "1"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_UNSAFE_NAME = re.compile(r"['\"\\\x00-\x1f\x7f]")


def neutralise(text: str) -> str:
    """Comment text that cannot leave a Python string literal: no double quote, backslash or control char."""
    return _CONTROL.sub(" ", text.replace('"', "'").replace("\\", "/"))


def cached_copy(mdl_path: Path | str) -> Path:
    """Copy the ``.mdl`` into ``cache_dir()/<hash>/`` (once, ``0600``) and return the copy's path."""
    src = Path(mdl_path)
    model = source.read(src)  # the bytes written are the bytes hashed
    dst = model_cache_folder(model.digest) / src.name
    if not dst.exists():
        atomic_write_bytes(dst, model.data, mode=0o600)
    # GET DIRECT/XLS data files are read relative to the model: copy its data files beside the copy.
    # A changed data file replaces its stale copy (PySD reads data when a model is loaded).
    for data in src.parent.iterdir():
        if data.suffix.lower() not in _DATA_SUFFIXES or not data.is_file():
            continue
        target = dst.parent / data.name
        if not target.exists() or target.read_bytes() != data.read_bytes():
            atomic_write_bytes(target, data.read_bytes(), mode=0o600)
    return dst


_DATA_SUFFIXES = (".csv", ".tab", ".xls", ".xlsx", ".xlsm", ".ods")


def _check_names(abstract: Any, mdl_path: Path) -> None:
    if len(abstract.sections) > 1:
        raise ModelError(f"{mdl_path}: macros are not supported by sdmission")
    for rng in abstract.sections[0].subscripts:
        elements = rng.subscripts if isinstance(rng.subscripts, list) else []
        for name in (rng.name, *elements):
            if _UNSAFE_NAME.search(str(name)):
                raise ModelError(f"{mdl_path}: subscript name {str(name)[:60]!r} holds a quote, a "
                                 "backslash or a control character; rename it")


def _build(mdl_path: Path, folder: Path, py: Path) -> None:
    """Build the neutralised module into a private temporary folder and move it to ``py``."""
    from pysd.builders.python.python_model_builder import ModelBuilder

    model = source.read(mdl_path)
    abstract = model.abstract(private=True)
    _check_names(abstract, mdl_path)
    section = abstract.sections[0]
    for element in section.elements:
        element.documentation = neutralise(element.documentation or "")
        for component in element.components:
            if hasattr(component, "documentation"):
                component.documentation = neutralise(component.documentation or "")
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=folder))  # 0700
    try:
        section.path = work / py.name
        abstract.original_path = work / "model.mdl"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                built = ModelBuilder(abstract).build_model()
        except Exception as exc:  # noqa: BLE001 - PySD's builder raises many types; name the file
            raise ModelError(f"PySD could not translate {mdl_path}: {type(exc).__name__}: {exc}") from exc
        data = Path(built).read_bytes()
        write_signed(py.with_suffix(".sha256"), hashlib.sha256(data).hexdigest().encode())
        atomic_write_bytes(py, data, mode=0o600)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _remove_orphans(folder: Path, max_age: float = 3600.0) -> None:
    """Delete build folders and temporary files that a killed run left (older than ``max_age`` s)."""
    now = time.time()
    for orphan in [*folder.glob(".build-*"), *folder.glob(".*.tmp")]:
        try:
            if now - orphan.lstat().st_mtime > max_age:
                if orphan.is_dir() and not orphan.is_symlink():
                    shutil.rmtree(orphan, ignore_errors=True)
                else:
                    orphan.unlink(missing_ok=True)
        except OSError:
            continue


def _verified(py: Path) -> bool:
    """True when ``py`` exists and its bytes match the signed hash beside it."""
    signed = read_signed(py.with_suffix(".sha256"))
    if signed is None or not py.is_file():
        return False
    if hashlib.sha256(py.read_bytes()).hexdigest().encode() == signed:
        return True
    note(f"cached translation {py} is damaged or was changed; rebuilding it")
    return False


def translated_py(mdl_path: Path | str) -> Path:
    """Path of the neutralised, verified PySD module of this model, translating it on first use."""
    path = Path(mdl_path)
    folder = cached_copy(path).parent  # with the model's data files beside it (GET DIRECT/XLS)
    py = folder / f"pysd-{pysd.__version__}-safe{SAFE_VERSION}.py"
    if _verified(py):
        return py
    py.unlink(missing_ok=True)
    _remove_orphans(folder)
    _build(path, folder, py)
    if not _verified(py):
        raise ModelError(f"the cached translation of {path} could not be written and checked ({py})")
    return py


def load(mdl_path: Path | str) -> pysd.py_backend.model.Model:
    """A fresh PySD model object for this ``.mdl`` (translated once, checked and loaded each call)."""
    py = translated_py(mdl_path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pysd.load(str(py))
    except Exception as exc:  # noqa: BLE001 - PySD raises many types at load; name the model
        raise ModelError(f"PySD could not load the translation of {mdl_path}: "
                         f"{type(exc).__name__}: {exc}") from exc
