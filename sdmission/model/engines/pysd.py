"""The PySD reference engine: runs one member at a time through PySD.

PySD keeps parameter changes between runs of one model object, so every run starts from a freshly
reloaded model (``model.reload()``, tens of milliseconds) and sets the complete input set. Results
therefore do not depend on what ran before.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmission.constants import MEMBER, TIME
from sdmission.errors import ModelError
from sdmission.model import translate
from sdmission.model.catalogue import Catalogue, load_catalogue

# PySD warns whenever a parameter replaces a model equation; that is what scenarios do.
_EXPECTED_WARNINGS = (
    r"Replacing a constant value with a time-dependent value",
    r"Replacing a constant value with a callable",
    r"Replacing a variable by a constant value",
    r"Replacing interpolation data with constant values",
    # Lookups hold their end values outside their range, as in Vensim; PySD says so each time.
    r"(?s).*extrapolating data (below|above) the (minimum|maximum) value",
)


def _n_members(inputs: Mapping[str, xr.DataArray]) -> int:
    sizes = {name: da.sizes[MEMBER] for name, da in inputs.items() if MEMBER in da.dims}
    if len(set(sizes.values())) > 1:
        raise ModelError(f"inputs disagree on the number of members: {sizes}")
    return next(iter(sizes.values()), 1)


class PysdEngine:
    """Reference engine (``name = "pysd"``) implementing :class:`sdmission.model.engines.protocol.Engine`.

    Parameters
    ----------
    mdl_path
        The Vensim model; translated once into the cache (see :mod:`sdmission.model.translate`).
    """

    name = "pysd"

    def __init__(self, mdl_path: Path | str):
        self.mdl_path = Path(mdl_path)
        self._model = translate.load(self.mdl_path)
        self.catalogue = load_catalogue(self.mdl_path)
        self._pristine = True

    # -- inputs ------------------------------------------------------------------------------
    def _param(self, name: str, da: xr.DataArray) -> Any:
        """One input as PySD wants it: float, pd.Series over time, DataArray, or a callable."""
        var = self.catalogue.get(name)
        if var is None or var.kind == "control":
            raise ModelError(f"'{name}' is not an input variable of {self.mdl_path.name}")
        extra = [d for d in da.dims if d != TIME and d not in var.dims]
        if extra:
            raise ModelError(f"input '{name}' has dims {extra} that the variable does not have")
        if TIME not in da.dims:
            if not da.dims:
                return float(da)
            return da.broadcast_like(_template(var)).transpose(*var.dims).astype(float)
        times = np.asarray(da[TIME].values, dtype=float)
        if da.ndim == 1:
            return pd.Series(np.asarray(da.values, dtype=float), index=times)
        # Subscripted time path: interpolate each element with np.interp at the current time.
        full = da.broadcast_like(_template(var)).transpose(TIME, *var.dims)
        values = np.asarray(full.values, dtype=float).reshape(len(times), -1)
        coords = {d: list(var.coords[d]) for d in var.dims}
        shape = tuple(len(var.coords[d]) for d in var.dims)
        clock: Callable[[], float] = self._model.time

        def path() -> xr.DataArray:
            t = float(clock())
            row = [np.interp(t, times, values[:, j]) for j in range(values.shape[1])]
            return xr.DataArray(np.reshape(row, shape), coords=coords, dims=var.dims)

        return path

    # -- running -----------------------------------------------------------------------------
    def run(
        self,
        inputs: Mapping[str, xr.DataArray],
        *,
        return_vars: Sequence[str] | None = None,
        final_time: float | None = None,
    ) -> xr.Dataset:
        """Simulate each member; dims of the result ``(member, time, <subscripts…>)``.

        Parameters
        ----------
        inputs
            ``{py_name: DataArray}`` (see :mod:`sdmission.model.engines.protocol`).
        return_vars
            Python names to return; ``None`` returns every non-control variable.
        final_time
            Last simulated time (Year); ``None`` keeps the model's FINAL TIME.
        """
        names = list(return_vars) if return_vars is not None else [
            v.py_name for v in self.catalogue.values() if v.kind != "control"
        ]
        unknown = [n for n in names if n not in self.catalogue]
        if unknown:
            raise ModelError(f"unknown variables requested from {self.mdl_path.name}: {unknown}")
        members = []
        for m in range(_n_members(inputs)):
            member_inputs = {
                k: (v.isel({MEMBER: m}) if MEMBER in v.dims else v) for k, v in inputs.items()
            }
            members.append(self._run_one(member_inputs, names, final_time))
        ds = xr.concat(members, dim=MEMBER) if len(members) > 1 else members[0].expand_dims(MEMBER)
        ds = ds.assign_coords({MEMBER: np.arange(ds.sizes[MEMBER])})
        return ds.transpose(MEMBER, TIME, ...)

    def _run_one(
        self, inputs: Mapping[str, xr.DataArray], names: list[str], final_time: float | None
    ) -> xr.Dataset:
        model = self._model
        if not self._pristine:
            model.reload()
        self._pristine = False
        params = {name: self._param(name, da) for name, da in inputs.items()}
        try:
            with warnings.catch_warnings():
                for pattern in _EXPECTED_WARNINGS:
                    warnings.filterwarnings("ignore", message=pattern, category=UserWarning)
                # pandas/numpy deprecations triggered by PySD's own code are not ours to fix.
                for category in (DeprecationWarning, FutureWarning, PendingDeprecationWarning):
                    warnings.filterwarnings("ignore", category=category, module=r"pysd(\.|$)")
                frame = model.run(
                    params=params,
                    return_columns=names,
                    final_time=final_time,
                    flatten_output=False,
                )
        except Exception as exc:  # PySD raises many types; name the model
            raise ModelError(f"PySD failed to run {self.mdl_path.name}: {exc}") from exc
        return _frame_to_dataset(frame, names, self.catalogue)


def _template(var: Any) -> xr.DataArray:
    coords = {d: list(var.coords[d]) for d in var.dims}
    return xr.DataArray(np.zeros([len(c) for c in coords.values()]), coords=coords, dims=var.dims)


def _frame_to_dataset(frame: pd.DataFrame, names: list[str], catalogue: Catalogue) -> xr.Dataset:
    """PySD's output frame (columns by real name, cells DataArrays when subscripted) -> Dataset."""
    times = np.asarray(frame.index, dtype=float)
    data: dict[str, xr.DataArray] = {}
    for name in names:
        var = catalogue[name]
        column = frame[var.real_name] if var.real_name in frame.columns else frame[name]
        first = column.iloc[0]
        if isinstance(first, xr.DataArray):
            da = xr.concat(list(column.values), dim=TIME, coords="minimal", compat="override")
            da = da.assign_coords({TIME: times})
        else:
            da = xr.DataArray(np.asarray(column.values, dtype=float), dims=(TIME,),
                              coords={TIME: times})
        data[name] = da.astype(float)
    return xr.Dataset(data)
