"""GET DIRECT / GET XLS CONSTANTS, DATA and LOOKUPS, read once at compile time with PySD's readers.

PySD's ``ExtConstant``/``ExtData``/``ExtLookup`` (``pysd.py_backend.external``) read csv, xls and
xlsx files (openpyxl/xlrd through pandas) with Vensim's cell, range and row/column conventions. We
build the same objects PySD's generated code builds, initialise them, and copy out their arrays, so
the numbers are the ones PySD uses. The files are hashed into the IR (``ModelIR.externals``): a
changed data file invalidates the cached IR.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from sdmission.errors import ModelError

Coords = dict[str, list[str]]


def _init(obj: Any, what: str, owner: str) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj.initialize()
    except Exception as exc:  # PySD raises many types for unreadable files and cells
        raise ModelError(f"'{owner}': cannot read {what}: {exc}") from exc
    return obj.data


def _values(data: Any, lead: list[str], coords: Coords) -> np.ndarray:
    """The array over ``lead + coords`` dims (in that order), one entry per listed element."""
    if not hasattr(data, "dims"):  # a single number
        return np.full([len(v) for v in coords.values()], float(data))
    dims = [d for d in lead + list(coords) if d in data.dims]
    arr = data.transpose(*dims)
    if coords:
        arr = arr.sel({d: v for d, v in coords.items() if d in arr.dims})
    shape = [arr.sizes[d] for d in lead if d in arr.dims] + [len(v) for v in coords.values()]
    return np.broadcast_to(np.asarray(arr.values, dtype=float), shape).copy()


def constant(ast: Any, coords: Coords, final: Coords, root: Path, owner: str) -> np.ndarray:
    """GET … CONSTANTS: values over ``coords`` (shape ``[len(v) for v in coords.values()]``)."""
    from pysd.py_backend.external import ExtConstant

    obj = ExtConstant(ast.file, ast.tab, ast.cell, coords, root, final, f"_ext_constant_{owner}")
    return _values(_init(obj, f"GET CONSTANTS from '{ast.file}'", owner), [], coords)


def data(ast: Any, keyword: str | None, coords: Coords, final: Coords, root: Path,
         owner: str) -> tuple[np.ndarray, np.ndarray]:
    """GET … DATA: ``(times (Td,), values (Td, *coords))``."""
    from pysd.py_backend.external import ExtData

    obj = ExtData(ast.file, ast.tab, ast.time_row_or_col, ast.cell, keyword, coords, root, final,
                  f"_ext_data_{owner}")
    arr = _init(obj, f"GET DATA from '{ast.file}'", owner)
    return np.asarray(arr["time"].values, dtype=float), _values(arr, ["time"], coords)


def lookup(ast: Any, coords: Coords, final: Coords, root: Path, owner: str) -> tuple[np.ndarray, np.ndarray]:
    """GET … LOOKUPS: ``(x (Nx,), y (Nx, *coords))``."""
    from pysd.py_backend.external import ExtLookup

    obj = ExtLookup(ast.file, ast.tab, ast.x_row_or_col, ast.cell, coords, root, final,
                    f"_ext_lookup_{owner}")
    arr = _init(obj, f"GET LOOKUPS from '{ast.file}'", owner)
    return np.asarray(arr["lookup_dim"].values, dtype=float), _values(arr, ["lookup_dim"], coords)


def file_digest(root: Path, name: str) -> tuple[str, str]:
    """``(name relative to the model's folder, sha256)`` of a data file the model reads.

    Relative, so that an IR cached for one copy of a model is checked against the data files
    next to the copy being loaded, not next to the first one."""
    path = root / name
    if not path.is_file():
        raise ModelError(f"data file '{name}' not found next to the model")
    return name, hashlib.sha256(path.read_bytes()).hexdigest()
