"""Ensemble chunk files: the versions in their key, the hash of their data, orphan clean-up.

A chunk is reused only when its key (model, engine, inputs, members and :func:`code_versions`) and
the SHA-256 of its data (:func:`data_hash`, stored in the file) both match; a chunk whose data was
changed is recomputed with a warning (issue #13). Temporary files a killed run left behind are
removed on the next run (:func:`remove_orphans`).
"""

from __future__ import annotations

import functools
import hashlib
import time as _time
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

#: Bump when the chunk format changes: older chunk files are then recomputed.
CHUNK_VERSION = "2"


@functools.lru_cache(maxsize=1)
def code_versions() -> str:
    """The versions a chunk's results depend on: sdmission, PySD, numpy, the batch IR, the format."""
    from importlib.metadata import version

    from sdmission import __version__
    from sdmission.model.engines.batch.engine import IR_VERSION

    return (f"sdmission={__version__}|pysd={version('pysd')}|numpy={np.__version__}|"
            f"batch-ir={IR_VERSION}|chunk={CHUNK_VERSION}")


def feed(h: Any, da: xr.DataArray) -> None:
    """Add a DataArray's dims, coordinates and values to the hash ``h``."""
    h.update(repr(da.dims).encode())
    for d in da.dims:
        if d in da.coords:
            h.update(np.asarray(da[d].values).astype(str).tobytes())
    h.update(np.ascontiguousarray(np.asarray(da.values, dtype=float)).tobytes())


def data_hash(ds: xr.Dataset) -> str:
    """SHA-256 of a chunk's data: every variable's name, dims, coordinates and values."""
    h = hashlib.sha256()
    for name in sorted(map(str, ds.data_vars)):
        h.update(name.encode())
        feed(h, ds[name])
    return h.hexdigest()


def remove_orphans(folder: Path, max_age: float = 60.0) -> int:
    """Delete temporary files (``.*.tmp``) a killed run left in ``folder``; return how many."""
    now = _time.time()
    removed = 0
    for tmp in folder.glob(".*.tmp"):
        try:
            if tmp.is_file() and not tmp.is_symlink() and now - tmp.stat().st_mtime > max_age:
                tmp.unlink()
                removed += 1
        except OSError:
            continue
    return removed
