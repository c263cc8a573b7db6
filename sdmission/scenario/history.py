"""Shared history: before ``policy_start`` every scenario follows the history scenario's levers.

A scenario's levers take effect from its ``policy_start`` (default 2025, see
:mod:`sdmission.schema.scenario`). :func:`splice_history` replaces each lever input before that year
by the history path: the lever's path in the history scenario (``baseline`` in the scenario's
folder, or the file ``history:`` names), or the model's default where the history scenario sets
none. A scenario with ``counterfactual_history: true`` keeps its own paths for every year.
:func:`history_problems` reports every lever whose own path states a year before
``policy_start`` differently from the history (what ``validate`` checks), so a file never says
something that is not used. A path *states* history when it gives a value for a year before
``policy_start``: a constant does (it holds for every year), knots with a year before it do, a ramp
starting before it does; knots and ramps that start at or after ``policy_start`` leave the years
before it to the history scenario.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from sdmission.constants import TIME
from sdmission.errors import InputError, Problem
from sdmission.messages import fmt
from sdmission.model import source
from sdmission.model.catalogue import Catalogue, Variable
from sdmission.scenario.load import Scenario, load_scenario
from sdmission.schema import scenario as schema

#: ``(scenario, catalogue) -> {py_name: DataArray}``: samples a scenario's own paths (no history).
Sampler = Callable[[Scenario, Catalogue], dict[str, xr.DataArray]]


def history_scenario(scn: Scenario) -> Scenario | None:
    """The scenario whose levers ``scn`` follows before ``policy_start`` (``None``: none applies).

    ``None`` for the history scenario itself, a counterfactual history, or when there is no
    ``baseline`` file beside ``scn`` and no ``history:``.
    """
    if scn.counterfactual_history or scn.history_path is None:
        return None
    return load_scenario(scn.history_path)


def model_default(catalogue_var: Variable, model_path: Path, grid: np.ndarray) -> xr.DataArray | None:
    """The model's own default of a lever on ``grid``: a number, ``WITH LOOKUP(Time, …)`` or one
    number per element of one subscript; ``None`` for any other equation."""
    var = catalogue_var
    if not var.dims:
        try:
            xs, ys = source.default_path(model_path, var.py_name)
        except InputError:
            return None
        return xr.DataArray(np.interp(grid, xs, ys), dims=(TIME,), coords={TIME: grid})
    el = source.read(model_path).element(var.py_name)
    comps = el.components if el is not None else []
    if len(var.dims) != 1 or len(comps) != 1 or not isinstance(comps[0].ast, np.ndarray):
        return None
    values = np.asarray(comps[0].ast, dtype=float)
    dim = var.dims[0]
    if values.shape != (len(var.coords[dim]),):
        return None
    return xr.DataArray(values, dims=(dim,), coords={dim: list(var.coords[dim])})


def _on_grid(da: xr.DataArray, grid: np.ndarray) -> xr.DataArray:
    if TIME not in da.dims:
        return da.expand_dims({TIME: grid})
    if not np.array_equal(da[TIME].values, grid):
        return da.reindex({TIME: grid}, method="nearest")
    return da


def _history_paths(scn: Scenario, hist: Scenario, catalogue: Catalogue, sampler: Sampler,
                   grid: np.ndarray) -> dict[str, xr.DataArray | None]:
    """History path of every lever either scenario sets (``None``: model default unknown)."""
    own = sampler(hist, catalogue)
    out: dict[str, xr.DataArray | None] = {}
    for name in {**dict(hist.levers), **dict(scn.levers)}:
        if name not in catalogue or catalogue[name].kind != "lever":
            continue
        out[name] = own[name] if name in hist.levers else model_default(
            catalogue[name], scn.model_path, grid)
    return out


def splice_history(scn: Scenario, catalogue: Catalogue, inputs: Mapping[str, xr.DataArray],
                   sampler: Sampler) -> dict[str, xr.DataArray]:
    """``inputs`` with every lever before ``scn.policy_start`` taken from the history scenario.

    Levers the history scenario sets but ``scn`` does not are added (history before
    ``policy_start``, the model's default after). Inputs equal to their history are kept as given.
    """
    hist = history_scenario(scn)
    out = dict(inputs)
    if hist is None:
        return out
    grid = catalogue.time_grid(scn.final_time)
    past = xr.DataArray(grid < scn.policy_start, dims=(TIME,), coords={TIME: grid})
    for name, past_path in _history_paths(scn, hist, catalogue, sampler, grid).items():
        if past_path is None:
            continue
        own = out.get(name)
        if own is None:
            own = model_default(catalogue[name], scn.model_path, grid)
            if own is None:
                continue
        spliced = xr.where(past, _on_grid(past_path, grid), _on_grid(own, grid))
        spliced = spliced.transpose(TIME, ...)
        if name in inputs and _same(spliced, inputs[name], grid):
            continue
        spliced.attrs["units"] = catalogue[name].units
        out[name] = spliced
    return out


def _same(a: xr.DataArray, b: xr.DataArray, grid: np.ndarray) -> bool:
    a2, b2 = xr.broadcast(_on_grid(a, grid), _on_grid(b, grid))
    return bool(np.array_equal(a2.transpose(*a2.dims).values, b2.transpose(*a2.dims).values))


def states_history(path: schema.AnyPath, start: float) -> bool:
    """True when ``path`` gives a value for a year before ``start`` (see the module docstring)."""
    if isinstance(path, dict):
        return any(states_history(p, start) for p in path.values())
    if isinstance(path, schema.KnotsPath):
        return min(path.knots) < start
    if isinstance(path, schema.RampPath):
        return path.ramp.start < start
    return True


def history_problems(scn: Scenario, catalogue: Catalogue, sampler: Sampler) -> list[Problem]:
    """Every lever of ``scn`` whose own path would change a year before ``policy_start``."""
    try:
        hist = history_scenario(scn)
    except InputError as exc:
        return [Problem(f"history scenario {scn.history_path}: {p}", scn.file, None, "history")
                for p in exc.problems]
    if hist is None:
        return []
    grid = catalogue.time_grid(scn.final_time)
    past = grid < scn.policy_start
    if not past.any():
        return []
    own = sampler(scn, catalogue)
    problems: list[Problem] = []
    for name, past_path in _history_paths(scn, hist, catalogue, sampler, grid).items():
        if (name not in scn.levers or past_path is None
                or not states_history(scn.levers[name], scn.policy_start)):
            continue
        a, b = xr.broadcast(_on_grid(own[name], grid), _on_grid(past_path, grid))
        diff = abs(a - b)
        diff = diff.max([d for d in diff.dims if d != TIME]) if diff.ndim > 1 else diff
        tol = 1e-12 * (1 + float(np.abs(b.values).max()))
        changed = grid[past & (diff.transpose(TIME).values > tol)]
        if changed.size:
            file, line = scn.where("levers", name)
            first, last = int(np.floor(changed[0])), int(np.floor(changed[-1]))
            years = f"{first}" if first == last else f"{first}-{last}"
            problems.append(Problem(
                fmt(f"lever '{name}' would change history: its path differs from the history "
                    f"scenario '{hist.name}' in {years}, before policy_start "
                    f"{scn.policy_start:g} (that part is not used)",
                    given=_text(a, changed[0]), allowed=f"{_text(b, changed[0])} (the history); "
                    f"a path that starts in {scn.policy_start:g} (knots from {scn.policy_start:g} or a "
                    "ramp starting then), or counterfactual_history: true"),
                file, line, f"levers.{name}",
            ))
    return problems


def _text(da: xr.DataArray, year: float) -> str:
    vals = np.atleast_1d(da.sel({TIME: year}).values).ravel()
    shown = ", ".join(f"{v:g}" for v in vals[:6])
    return f"{shown} in {year:g}"
