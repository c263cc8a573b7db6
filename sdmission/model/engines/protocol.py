"""The interface every simulation engine implements (PySD reference engine, batch engine).

Inputs and outputs are labelled arrays; names are PySD python names of model variables.

inputs
    ``{py_name: xr.DataArray}``. Each array may carry a ``member`` dim (one value per ensemble
    member), a ``time`` dim (a time path sampled on the model's integration grid
    ``initial_time + k * time_step``; engines interpolate linearly between grid points, which is
    exact at grid points), and any of the variable's own subscript dims. Missing dims broadcast.
    A variable not in ``inputs`` keeps the model's own default.
output
    ``xr.Dataset`` with dims ``(member, time, <subscripts…>)`` where ``time`` runs over the save
    grid (``initial_time + k * saveper``); ``member`` has length 1 when no input had a member dim.
    No units or provenance here: ``sdmission.study.results`` adds those from the variable catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import xarray as xr


class Engine(Protocol):
    """A compiled model that can be run for many members at once."""

    name: str

    def run(
        self,
        inputs: Mapping[str, xr.DataArray],
        *,
        return_vars: Sequence[str] | None = None,
        final_time: float | None = None,
    ) -> xr.Dataset:
        """Simulate; ``return_vars=None`` returns every variable."""
        ...
