"""Result Datasets: units, names and provenance on every variable; atomic netCDF and CSV files.

A scenario's result file ``results/runs/<scenario>.nc`` holds one ``xarray.Dataset`` with dims
``time`` plus the model's subscripts (and ``member`` when more than one member ran), a scalar
``scenario`` coordinate, ``units``/``units_vensim``/``long_name``/``description``/``kind`` on every
variable and flat provenance attrs. ``results/runs/<scenario>_headline.csv`` holds the headline
outputs per year. :func:`conform` is the one place where the conventions of every netCDF file a
command writes are applied.
"""

from __future__ import annotations

import datetime as _dt
import functools
import shlex
import subprocess
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmission import __version__
from sdmission.constants import HEADLINE_OUTPUTS, INSTRUMENT, MEMBER, SCENARIO, TIME
from sdmission.errors import ModelError
from sdmission.io import atomic_write, library_write_error
from sdmission.model.catalogue import Catalogue

CONVENTIONS = "CF-1.10"
"""The ``Conventions`` attr of every result file."""

PINT_DEFINITIONS: tuple[str, ...] = (
    "CO2e = [carbon_dioxide_equivalent]",
    "EUR = [currency]",
    "FTE = [staff]",
)
"""Units a pint registry needs besides its defaults to parse every ``units`` attr
(``ureg.define(line)`` for each); also the ``units_definitions`` attr of every result file."""

_UNIT_TOKENS: tuple[tuple[str, str], ...] = (
    (r"\bMtCO2e?\b", "Mt CO2e"),
    (r"\btCO2e?\b", "t CO2e"),
    (r"\bYears?\b", "yr"),
    (r"\bMonths?\b", "month"),
    (r"\bWeeks?\b", "week"),
    (r"\bDays?\b", "day"),
    (r"\bHours?\b", "hour"),
    (r"\bMinutes?\b", "minute"),
    (r"\bSeconds?\b", "s"),
    (r"\bDmnl\b", "1"),
)


def pint_units(vensim: str) -> str:
    """Vensim units as pint (with :data:`PINT_DEFINITIONS`) and cf-xarray parse them:
    ``MtCO2/Year`` -> ``Mt CO2e/yr``, ``Dmnl`` -> ``1``, ``EUR/tCO2`` -> ``EUR/(t CO2e)``."""
    import re

    text = vensim.strip()
    if not text:
        return "1"
    for pattern, repl in _UNIT_TOKENS:
        text = re.sub(pattern, repl, text)
    # a two-word unit after '/' must be grouped: EUR/t CO2e would divide by t only
    text = re.sub(r"/(M?t CO2e)", r"/(\1)", text)
    return text


#: Words a ``long_name`` spells in capitals (GHG, CO2, CCS…).
ACRONYMS: frozenset[str] = frozenset({
    "ghg", "co2", "co2e", "ccs", "ets", "eu", "sde", "npv", "chp", "hvc", "dri", "eaf", "mit",
    "wbso", "tis", "h2", "n2o", "ch4", "nl", "rd", "trl", "ccus", "bf", "bof", "smr", "ptx",
})


def readable(name: str) -> str:
    """A Vensim name as a ``long_name``: first letter upper case, single spaces, acronyms
    (:data:`ACRONYMS`) in capitals: ``industry ghg`` -> ``Industry GHG``."""
    words = [w.upper() if w.lower() in ACRONYMS else w for w in name.replace("_", " ").split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


HEADLINE_EXTRA = ("public_cost_total",)
"""Headline columns written when the model has them (after :data:`HEADLINE_OUTPUTS`)."""


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def project_path(path: Path | str) -> str:
    """``path`` relative to the project folder, with ``/`` separators: the project of the working
    directory when ``path`` lies inside it, else the nearest parent of ``path`` with
    ``scenarios/``; the absolute path when it lies in no project."""
    from sdmission.settings import find_project_root

    p = Path(path).resolve()
    for root in (find_project_root(), find_project_root(p.parent)):
        if root is not None and p.is_relative_to(root):
            return p.relative_to(root).as_posix()
    return str(p)


@functools.lru_cache(maxsize=8)
def git_commit(folder: str) -> str:
    """The git commit of ``folder`` (``<sha>`` plus ``-dirty`` with uncommitted changes), or
    ``unknown`` outside a repository or without git."""
    try:
        sha = subprocess.run(["git", "-C", folder, "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", folder, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}-dirty" if dirty.strip() else sha


def provenance(
    *,
    model_path: Path | str,
    model_sha256: str,
    engine: str,
    command: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Flat provenance attrs: versions, model file (relative to the project) and hash, the git
    commit of the project, engine, command line, UTC time."""
    attrs = {
        "sdmission_version": __version__,
        "pysd_version": _version("pysd"),
        "numpy_version": np.__version__,
        "xarray_version": xr.__version__,
        "python_version": sys.version.split()[0],
        "model_path": project_path(model_path),
        "git_commit": git_commit(str(Path(model_path).resolve().parent)),
        "model_sha256": model_sha256,
        "engine": engine,
        "command": command if command is not None else shlex.join(sys.argv),
        "created_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    attrs.update(extra or {})
    return attrs


def units_definitions(units: Iterable[str]) -> tuple[str, ...]:
    """The ``units_definitions`` attr: :data:`PINT_DEFINITIONS`, plus (when pint is installed) one
    new base dimension for every other name in ``units`` (pint ``units`` attrs) that a default pint
    registry cannot parse, such as ``Person`` in a model other than the project's, so that every
    ``units`` attr of a result file parses after ``ureg.define(line)`` for each line."""
    import re

    extra: list[str] = []
    ureg = _pint_registry()
    if ureg is not None:
        known = {d.split("=")[0].strip() for d in PINT_DEFINITIONS}
        for text in dict.fromkeys(units):
            for token in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text):
                if token in known:
                    continue
                try:
                    ureg.parse_units(token)
                except Exception:  # noqa: BLE001 - pint raises several types for unknown names
                    extra.append(f"{token} = [{token}]")
                known.add(token)
    return (*PINT_DEFINITIONS, *extra)


@functools.lru_cache(maxsize=1)
def _pint_registry() -> Any:
    """A pint registry with :data:`PINT_DEFINITIONS`, or ``None`` without pint."""
    try:
        import pint
    except ImportError:
        return None
    ureg: Any = pint.UnitRegistry()
    for line in PINT_DEFINITIONS:
        ureg.define(line)
    return ureg


def conform(
    ds: xr.Dataset,
    *,
    catalogue: Catalogue | None,
    title: str,
    attrs: Mapping[str, str] | None = None,
) -> xr.Dataset:
    """The result conventions, the same for every Dataset a command writes (``run``, ``compare``'s
    runs, ``ensemble``, ``sensitivity``, ``contributions``, ``simulate``).

    1. Every variable of the model (found in ``catalogue``): ``units`` that pint parses
       (:func:`pint_units`), the Vensim spelling as ``units_vensim``, a readable ``long_name``, the
       Vensim name (``vensim_name``), ``description`` and ``kind``. Other variables keep their
       attrs and must have a ``long_name``; a ``units`` attr they carry is kept.
    2. ``time`` in integer calendar years when every saved time is a whole year.
    3. Global attrs: ``title``, ``Conventions`` (:data:`CONVENTIONS`), ``units_definitions``
       (:func:`units_definitions`) and the provenance ``attrs`` (see :func:`provenance`), all text.

    Raises
    ------
    ModelError
        A variable without ``long_name`` (a bug in the code that built ``ds``).
    TypeError
        A global attr that is not text.
    """
    ds = ds.copy()
    for name in ds.data_vars:
        var = catalogue.get(str(name)) if catalogue is not None else None
        if var is not None:
            ds[name].attrs = {
                "units": pint_units(var.units),
                "units_vensim": var.units or "Dmnl",
                "long_name": readable(var.real_name),
                "vensim_name": var.real_name,
                "description": var.comment,
                "kind": var.kind,
            }
        elif not ds[name].attrs.get("long_name"):
            raise ModelError(f"result variable '{name}' has no long_name and is not in the model's "
                             "catalogue")
    if TIME in ds.coords:
        ds = _time_axis(ds, catalogue)
    if SCENARIO in ds.coords:
        ds[SCENARIO].attrs = {"long_name": "scenario", **ds[SCENARIO].attrs}
    if MEMBER in ds.coords:
        ds[MEMBER].attrs = {"long_name": "ensemble member (one sampled future)"}
    for name in ds.coords:
        if not ds[name].attrs.get("long_name"):
            ds[name].attrs["long_name"] = readable(str(name))
    units = [str(ds[n].attrs["units"]) for n in ds.variables if "units" in ds[n].attrs]
    ds.attrs = {"title": title, "Conventions": CONVENTIONS,
                "units_definitions": "\n".join(units_definitions(units)), **(attrs or {})}
    bad = {k: type(v).__name__ for k, v in ds.attrs.items() if not isinstance(v, str)}
    if bad:
        raise TypeError(f"provenance attrs must be text; got {bad}")
    return ds


def _time_axis(ds: xr.Dataset, catalogue: Catalogue | None) -> xr.Dataset:
    """``time`` as integers when every saved time is whole, in the units of the model's
    ``TIME STEP`` (``yr`` for the project model: calendar years)."""
    step = catalogue.get("time_step") if catalogue is not None else None
    units = pint_units(step.units) if step is not None and step.units else "yr"
    times = np.asarray(ds[TIME].values, dtype=float)
    if times.size and np.array_equal(times, np.round(times)):
        ds = ds.assign_coords({TIME: times.astype(np.int64)})
    if units == "yr":
        attrs = {"units": "yr", "long_name": "year", "axis": "T",
                 "description": "calendar year (the model's Time)"}
    else:
        attrs = {"units": units, "long_name": "time", "axis": "T",
                 "description": f"the model's Time, in {units}"}
    ds[TIME].attrs = attrs
    return ds


def build_dataset(
    raw: xr.Dataset,
    catalogue: Catalogue,
    *,
    scenario: str,
    attrs: Mapping[str, str] | None = None,
) -> xr.Dataset:
    """Label one scenario's engine output with :func:`conform`.

    Parameters
    ----------
    raw
        Engine output with dims ``(member, time, <subscripts…>)``.
    catalogue
        The model's variable table (units, real names, comments, kinds).
    scenario
        Scenario name; becomes a scalar ``scenario`` coordinate and the ``scenario`` attr.
    attrs
        Provenance attrs (see :func:`provenance`); all values must be text.

    Returns
    -------
    xr.Dataset
        Dims ``(time, <subscripts…>)`` — ``member`` is dropped when it has length 1; ``time`` in
        integer calendar years when every saved time is a whole year. Each variable's ``units``
        parse with pint (see :func:`pint_units`); the model's own spelling is ``units_vensim``.
    """
    ds = raw
    if MEMBER in ds.dims and ds.sizes[MEMBER] == 1:
        ds = ds.isel({MEMBER: 0}, drop=True)
    ds = ds.assign_coords({SCENARIO: scenario})
    missing = [str(n) for n in ds.data_vars if str(n) not in catalogue]
    if missing:
        raise ModelError(f"result variable '{missing[0]}' is not in the model's catalogue")
    return conform(ds, catalogue=catalogue, title=f"sdmission scenario '{scenario}'",
                   attrs={"scenario": scenario, **(attrs or {})})


def headline_frame(ds: xr.Dataset) -> pd.DataFrame:
    """Tidy table of the headline outputs: ``year`` then one column per output.

    ``public_cost[instrument]`` becomes ``public_cost_<instrument>`` columns (MEUR/Year).
    Requires a single-member Dataset.
    """
    missing = [n for n in HEADLINE_OUTPUTS if n not in ds]
    if missing:
        raise ModelError(f"the model lacks headline outputs {missing}")
    if MEMBER in ds.dims:
        raise ValueError("headline CSVs are written for single-member results")
    years = np.asarray(ds[TIME].values, dtype=float)
    year_col: Any = years.astype(int) if np.allclose(years, np.round(years)) else years
    table: dict[str, Any] = {"year": year_col}
    for name in (*HEADLINE_OUTPUTS, *[n for n in HEADLINE_EXTRA if n in ds]):
        da = ds[name]
        if da.dims == (TIME,):
            table[name] = da.values + 0.0  # + 0.0 turns -0.0 into 0.0
        elif set(da.dims) == {TIME, INSTRUMENT}:
            for inst in da[INSTRUMENT].values:
                table[f"{name}_{inst}"] = da.sel({INSTRUMENT: inst}).transpose(TIME).values + 0.0
        else:
            raise ModelError(f"headline output '{name}' has unexpected dims {da.dims}")
    return pd.DataFrame(table)


def write_netcdf(ds: xr.Dataset, path: Path | str) -> Path:
    """Write ``ds`` to netCDF atomically (temp file + ``os.replace``); a full disk is named as such."""
    def write(tmp: Path) -> None:
        try:
            ds.to_netcdf(tmp)
        except RuntimeError as exc:  # netCDF says 'HDF error' where the disk is full
            raise library_write_error(tmp.parent, float(ds.nbytes), exc) from exc

    return atomic_write(path, write)


def write_headline_csv(ds: xr.Dataset, path: Path | str) -> Path:
    """Write :func:`headline_frame` of ``ds`` to CSV atomically."""
    frame = headline_frame(ds)
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.6g"))


def read_netcdf(path: Path | str) -> xr.Dataset:
    """Load a result file fully into memory (the file is closed on return)."""
    with xr.open_dataset(path) as ds:
        return ds.load()


def write_scenario_results(ds: xr.Dataset, out_dir: Path | str) -> tuple[Path, Path]:
    """Write ``<out>/<scenario>.nc`` and ``<out>/<scenario>_headline.csv``; return both paths."""
    name = str(ds.attrs["scenario"])
    out = Path(out_dir)
    frame = headline_frame(ds)  # fails before anything is written if outputs are missing
    nc = write_netcdf(ds, out / f"{name}.nc")
    csv = atomic_write(
        out / f"{name}_headline.csv", lambda tmp: frame.to_csv(tmp, index=False, float_format="%.6g")
    )
    return nc, csv
