"""How the compiled (numba) path keeps its artefacts in the cache, and checks them before use.

Three kinds of file sit beside a generated module ``compiled-<key>.py`` (issue #13):

- the module itself: imported only when its bytes equal the code just generated from the checked
  IR (:class:`~sdmission.model.engines.batch.compiled.CompiledFunction`);
- ``compiled-<key>.npz``: the lookup tables the module uses, read with ``allow_pickle=False`` and
  used only when the SHA-256 of their content (names, dtypes, shapes and bytes) equals that of the
  tables taken from the IR; the module receives the checked arrays from the loader and never opens
  the file itself;
- numba's own cache (``__pycache__/compiled-<key>.*.nbi|nbc``): numba stores it as *pickles*, so a
  planted file would run code on import. Every such file is listed with its SHA-256 in a signed
  manifest (``compiled-<key>.numba``, HMAC as in :mod:`sdmission.model.cache`) after numba writes
  it; before the module is imported every file that is missing from the manifest or differs from
  it is deleted (numba then compiles again). Folder and files are made ``0700`` / ``0600``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from sdmission.io import atomic_write_bytes
from sdmission.model.cache import check_file, note, read_signed, secure_folder, write_signed
from sdmission.model.engines.batch import ir

__all__ = ["check_numba_cache", "content_digest", "read_tables", "sign_numba_cache", "table_arrays",
           "write_tables"]

_EMPTY = "_empty"


def table_arrays(model: ir.ModelIR, used: Iterable[int]) -> dict[str, np.ndarray]:
    """``{"_TX<t>": xs, "_TY<t>": ys}`` (float64) of the lookup tables a module uses, from the IR."""
    arrays: dict[str, np.ndarray] = {}
    for t in sorted(used):
        xs, ys = model.tables[t]
        arrays[f"_TX{t}"] = np.asarray(xs, dtype=float)
        arrays[f"_TY{t}"] = np.asarray(ys, dtype=float)
    arrays[_EMPTY] = np.zeros(0)
    return arrays


def content_digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of names, dtypes, shapes and bytes (independent of the zip file's timestamps)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(json.dumps([name, a.dtype.str, list(a.shape)]).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def write_tables(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write the tables as ``.npz`` atomically, ``0600``."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    atomic_write_bytes(path, buf.getvalue(), mode=0o600)


def read_tables(path: Path, digest: str) -> dict[str, np.ndarray] | None:
    """The tables of ``path`` when their content hash is ``digest``; else the file is deleted, None.

    Read with ``allow_pickle=False``: an object array (a pickle) is refused, never loaded.
    """
    if not check_file(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: np.array(npz[name]) for name in npz.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        reason = ("hold a pickled object (refused, never loaded)" if "allow_pickle" in str(exc)
                  else f"are unreadable ({type(exc).__name__})")
    else:
        if content_digest(arrays) == digest:
            return arrays
        reason = "differ from the model's tables"
    note(f"cached tables {path} {reason}; rewriting them")
    path.unlink(missing_ok=True)
    return None


# --- numba's cache (pickles) ---------------------------------------------------------------------
def _numba_files(module: Path) -> list[Path]:
    folder = module.parent / "__pycache__"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.startswith(module.stem + ".")
                  and p.suffix in (".nbi", ".nbc"))


def _manifest(module: Path) -> Path:
    return module.with_suffix(".numba")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_numba_cache(module: Path) -> None:
    """Before import: delete every numba cache file of ``module`` not in its signed manifest.

    Also makes ``__pycache__`` ``0700`` and refuses (``CacheError``) files of another user.
    """
    folder = module.parent / "__pycache__"
    if folder.exists() or folder.is_symlink():
        secure_folder(folder)
    files = _numba_files(module)
    if not files:
        return
    signed = read_signed(_manifest(module))
    try:
        known = json.loads(signed.decode()) if signed is not None else {}
    except ValueError:
        known = {}
    if not isinstance(known, dict):
        known = {}
    dropped = []
    for p in files:
        check_file(p)
        if known.get(p.name) != _sha(p):
            p.unlink(missing_ok=True)
            dropped.append(p.name)
    if dropped:
        note(f"numba cache files of {module.name} were not written by sdmission or were changed "
             f"({', '.join(dropped)}); deleted, the module is compiled again")


def sign_numba_cache(module: Path) -> None:
    """After numba wrote its cache: make the files private and record their hashes (signed)."""
    folder = module.parent / "__pycache__"
    files = _numba_files(module)
    if not files:
        return
    os.chmod(folder, 0o700)
    for p in files:
        os.chmod(p, 0o600)
    write_signed(_manifest(module), json.dumps({p.name: _sha(p) for p in files}, sort_keys=True).encode())
