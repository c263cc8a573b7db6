"""Check a merged scenario against the model's variable table, and turn it into engine inputs."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from sdmission.constants import TIME
from sdmission.errors import InputError, Problem
from sdmission.messages import did_you_mean, fmt, show
from sdmission.model.catalogue import Catalogue, Kind, Variable
from sdmission.scenario.history import history_problems, splice_history
from sdmission.scenario.load import Scenario
from sdmission.schema import scenario as schema

SECTIONS: tuple[tuple[str, Kind], ...] = (("levers", "lever"), ("assumptions", "assumption"))
_OTHER = {"levers": "assumptions", "assumptions": "levers"}


#: Inputs whose meaning the model narrowed: a scenario that sets one was probably written for the
#: old meaning. ``validate`` warns (file:line) but does not refuse the file.
NARROWED: dict[str, str] = {
    "industry_non_co2_ghg": (
        "its meaning narrowed (issue #11): it now holds only the non-CO2 GHG the model does not "
        "compute (CH4, N2O other than from nitric acid); nitric-acid N2O and F-gases are "
        "endogenous (industry_n2o_nitric_acid, industry_fgas), so a path written for the old "
        "total counts about 1.9 Mt CO2e/yr twice; lower it by those two or leave it to the model"),
}


def warnings(scn: Scenario) -> list[Problem]:
    """Warnings about ``scn`` that do not make it invalid: inputs of :data:`NARROWED` it sets,
    each at the file and line that sets it."""
    out: list[Problem] = []
    for section, _ in SECTIONS:
        for name in getattr(scn, section):
            if name in NARROWED:
                file, line = scn.where(section, name)
                out.append(Problem(NARROWED[name], file, line, f"{section}.{name}"))
    return out


def _norm_units(units: str) -> str:
    return "".join(units.split())


def _check_single(
    scn: Scenario, section: str, keys: tuple[str, ...], var: Variable, path: schema.SinglePath
) -> list[Problem]:
    problems: list[Problem] = []
    file, line = scn.where(section, *keys)
    key = ".".join((section, *keys))
    units = schema.path_units(path)
    if units is not None and _norm_units(units) != _norm_units(var.units):
        problems.append(Problem(
            fmt(f"units do not match the model's units for '{var.py_name}'", given=show(units),
                allowed=show(var.units)),
            file, scn.where(section, *keys, "units")[1] or line, f"{key}.units",
        ))
    for value in schema.path_values(path):
        if not var.within_limits(value):
            problems.append(Problem(
                fmt(f"out of the limits of '{var.py_name}'", given=f"{value:g}",
                    allowed=f"{var.limits_text()} {var.units}".rstrip()),
                file, line, key,
            ))
            break
    return problems


def check_scenario(scn: Scenario, catalogue: Catalogue) -> list[Problem]:
    """Every problem of ``scn`` against ``catalogue`` (names, kinds, elements, units, limits)."""
    problems: list[Problem] = []
    for section, kind in SECTIONS:
        for name, path in getattr(scn, section).items():
            file, line = scn.where(section, name)
            key = f"{section}.{name}"
            var = catalogue.get(name)
            if var is None:
                pool = [v.py_name for v in catalogue.of_kind(kind)]
                problems.append(Problem(
                    fmt(f"unknown {kind}", given=show(name), allowed=pool,
                        suggestion=did_you_mean(name, pool)),
                    file, line, key,
                ))
                continue
            if var.kind != kind:
                if var.kind in ("lever", "assumption"):
                    msg = (f"'{name}' is {'an' if var.kind == 'assumption' else 'a'} {var.kind}, "
                           f"not {'an' if kind == 'assumption' else 'a'} {kind}; "
                           f"move it under '{_OTHER[section]}:'")
                else:
                    msg = (f"'{name}' is a {var.kind} of the model, not a {kind}; only variables "
                           f"tagged [{kind}] in the model can be set under '{section}:'")
                problems.append(Problem(msg, file, line, key))
                continue
            if isinstance(path, dict):
                problems += _check_by_element(scn, section, name, var, path)
            else:
                problems += _check_single(scn, section, (name,), var, path)
    if scn.final_time is not None and catalogue.time:
        t0 = catalogue.time["initial_time"]
        if not scn.final_time > t0:
            file, line = scn.chain[0].path, None
            for link in scn.chain:
                if link.file.time is not None and link.file.time.final_time is not None:
                    file, line = link.path, link.doc.line(("time", "final_time"))
                    break
            problems.append(Problem(
                fmt("final_time must come after the model's INITIAL TIME",
                    given=f"{scn.final_time:g}", allowed=f"> {t0:g}"),
                file, line, "time.final_time",
            ))
    return problems + _check_size(scn, catalogue)


def _check_size(scn: Scenario, catalogue: Catalogue) -> list[Problem]:
    """Horizon and memory limits of one run (:mod:`sdmission.limits`), before anything runs."""
    from sdmission import limits

    if not catalogue.time:
        return []
    t0, dt = catalogue.time["initial_time"], catalogue.time["time_step"]
    t1 = catalogue.time["final_time"] if scn.final_time is None else scn.final_time
    file, line = scn.chain[0].path, None
    for link in scn.chain:
        if link.file.time is not None and link.file.time.final_time is not None:
            file, line = link.path, link.doc.line(("time", "final_time"))
            break
    found = limits.check_horizon(t0, t1, dt, key="time.final_time", file=file, line=line)
    if found:
        return found
    times = limits.n_steps(t0, t1, dt) + 1
    return limits.check_memory(f"one run of {len(catalogue)} variables x {times:.0f} times",
                               len(catalogue) * times, key="time.final_time", file=file,
                               line=line, reduce="choose an earlier final time")


def _check_by_element(
    scn: Scenario, section: str, name: str, var: Variable, path: dict[str, Any]
) -> list[Problem]:
    file, line = scn.where(section, name)
    key = f"{section}.{name}"
    if not var.dims:
        first = next(iter(path), "")
        return [Problem(
            fmt(f"'{name}' has no subscripts, so its path cannot be a mapping by element",
                given=show(path), allowed="a number, {value: …}, {knots: …} or {ramp: …}",
                suggestion=did_you_mean(str(first), ["value", "knots", "ramp"])),
            file, line, key,
        )]
    if len(var.dims) > 1:
        return [Problem(
            fmt(f"'{name}' has subscripts {list(var.dims)}; paths by element are supported for "
                "one subscript only", given=show(path),
                allowed="one path for all elements"),
            file, line, key,
        )]
    dim = var.dims[0]
    elements = var.coords[dim]
    problems: list[Problem] = []
    for element, sub in path.items():
        if element not in elements:
            problems.append(Problem(
                fmt(f"unknown element of '{dim}'", given=show(element), allowed=list(elements),
                    suggestion=did_you_mean(element, elements)),
                file, scn.where(section, name, element)[1] or line, f"{key}.{element}",
            ))
            continue
        problems += _check_single(scn, section, (name, element), var, sub)
    missing = [e for e in elements if e not in path]
    if missing and not any(e not in elements for e in path):
        problems.append(Problem(
            fmt(f"missing elements of '{dim}': {', '.join(missing)}", given=show(path),
                allowed="every element of the subscript, or one path for all elements"),
            file, line, key,
        ))
    return problems


def history_check(scn: Scenario, catalogue: Catalogue) -> list[Problem]:
    """Levers of ``scn`` whose own path would change a year before its ``policy_start``."""
    return history_problems(scn, catalogue, own_inputs)


def checked(scn: Scenario, catalogue: Catalogue) -> Scenario:
    """``scn`` unchanged if it passes :func:`check_scenario`; else raise :class:`InputError`."""
    problems = check_scenario(scn, catalogue)
    if problems:
        raise InputError(problems)
    return scn


def _sample_single(path: schema.SinglePath, grid: np.ndarray) -> xr.DataArray:
    if schema.is_constant(path):
        return xr.DataArray(float(schema.sample(path, grid[:1])[0]))
    return xr.DataArray(schema.sample(path, grid), dims=(TIME,), coords={TIME: grid})


def scenario_inputs(scn: Scenario, catalogue: Catalogue) -> dict[str, xr.DataArray]:
    """Engine inputs: every lever and assumption sampled on the integration grid, with the shared
    history applied (before ``scn.policy_start`` every lever follows the history scenario; see
    :mod:`sdmission.scenario.history`).

    Returns
    -------
    dict
        ``{py_name: DataArray}``; constants are 0-d, time paths have dim ``time`` (the grid
        ``initial_time + k * time_step`` up to the scenario's final time, Year), and paths by
        element add the variable's subscript dim.
    """
    return splice_history(scn, catalogue, own_inputs(scn, catalogue), own_inputs)


def own_inputs(scn: Scenario, catalogue: Catalogue) -> dict[str, xr.DataArray]:
    """Every lever and assumption of ``scn`` sampled on the grid as written (no shared history)."""
    grid = catalogue.time_grid(scn.final_time)
    out: dict[str, xr.DataArray] = {}
    for section, _kind in SECTIONS:
        for name, path in getattr(scn, section).items():
            var = catalogue[name]
            if isinstance(path, dict):
                dim = var.dims[0]
                parts = [_sample_single(path[e], grid) for e in var.coords[dim]]
                parts = [p.broadcast_like(parts[0]) if p.ndim < parts[0].ndim else p for p in parts]
                if any(p.ndim for p in parts):
                    parts = [p if p.ndim else p.expand_dims({TIME: grid}) for p in parts]
                da = xr.concat(parts, dim=dim).assign_coords({dim: list(var.coords[dim])})
                out[name] = da.transpose(*[d for d in (TIME, dim) if d in da.dims])
            else:
                out[name] = _sample_single(path, grid)
            out[name].attrs["units"] = var.units
    return out
