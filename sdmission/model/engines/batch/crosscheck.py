"""Cross-check the batch engine against PySD, member by member.

PySD is the reference: each member's inputs are passed to a freshly loaded PySD model
(``params`` persist between runs otherwise), and every returned variable is compared.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmission.constants import MEMBER, TIME
from sdmission.model import translate


def member_params(inputs: Mapping[str, xr.DataArray], member: int) -> dict[str, Any]:
    """PySD ``params`` for one member: floats, ``pd.Series`` time paths or ``xr.DataArray``."""
    params: dict[str, Any] = {}
    for name, da in inputs.items():
        if MEMBER in da.dims:
            da = da.isel({MEMBER: member})
        elif MEMBER in da.coords:
            da = da.drop_vars(MEMBER)
        sub_dims = [d for d in da.dims if d != TIME]
        if TIME in da.dims:
            if sub_dims:
                raise NotImplementedError("subscripted time paths are not cross-checked")
            params[name] = pd.Series(np.asarray(da.values, dtype=float), index=np.asarray(da[TIME].values, dtype=float))
        elif sub_dims:
            params[name] = da.astype(float)
        else:
            params[name] = float(da.values)
    return params


def pysd_run(
    mdl_path: Path | str,
    params: Mapping[str, Any],
    return_vars: Sequence[str],
    final_time: float | None = None,
) -> dict[str, np.ndarray]:
    """One PySD run; ``{py_name: array (time, *dims)}`` at PySD's save times."""
    model = translate.load(mdl_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PySD warns on lookup extrapolation
        kwargs: dict[str, Any] = {"params": dict(params), "return_columns": list(return_vars),
                                  "flatten_output": False, "progress": False}
        if final_time is not None:
            kwargs["final_time"] = final_time
        df = model.run(**kwargs)
    out: dict[str, np.ndarray] = {}
    namespace = model.namespace  # real name -> py name
    by_py = {py: real for real, py in namespace.items()}
    for py in return_vars:
        col = df[by_py.get(py, py)] if by_py.get(py, py) in df.columns else df[py]
        values = [np.asarray(v.values if isinstance(v, xr.DataArray) else v, dtype=float) for v in col]
        out[py] = np.stack(values)
    out["__time__"] = np.asarray(df.index, dtype=float)
    return out


def max_rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest ``|a - b| / max(|b|, 1e-12)`` over finite entries; ``inf`` if finiteness differs."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    fa, fb = np.isfinite(a), np.isfinite(b)
    if not np.array_equal(fa, fb):
        return float("inf")
    if not fa.any():
        return 0.0
    denom = np.maximum(np.abs(b[fa]), 1e-12)
    return float(np.max(np.abs(a[fa] - b[fa]) / denom))
