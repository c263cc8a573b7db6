"""The parameter table of a model: every constant with its value, units, range and kind.

Read from a committed CSV (``models/parameters.csv`` layout: name, element, value, units, low, high,
kind, source) or built from the tags in the model's comments (:mod:`sdmission.model.parameters`);
the subscript layout comes from the model's variable catalogue.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from sdmission.errors import InputError, ModelError, Problem


@dataclass(frozen=True)
class TableRow:
    """One row of the parameter table (see :mod:`sdmission.model.parameters`)."""

    name: str
    element: str
    value: float
    units: str
    low: float
    high: float
    kind: str


@dataclass(frozen=True)
class ParameterTable:
    """The parameter table of one model plus the subscript layout of its parameters.

    ``layout[name] = (dims, coords)`` for subscripted parameters, with ``coords`` one tuple of
    element names per dim; scalars are absent.
    """

    rows: tuple[TableRow, ...]
    source: str
    layout: Mapping[str, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = field(
        default_factory=dict)

    def by_name(self) -> dict[str, list[TableRow]]:
        """Rows grouped by parameter, in table order."""
        out: dict[str, list[TableRow]] = {}
        for r in self.rows:
            out.setdefault(r.name, []).append(r)
        return out

    def default_array(self, name: str) -> xr.DataArray:
        """The model's value of ``name`` (0-d, or with its subscript dims)."""
        rows = self.by_name()[name]
        if name not in self.layout:
            return xr.DataArray(rows[0].value)
        dims, coords = self.layout[name]
        arr = np.full(tuple(len(c) for c in coords), np.nan)
        for r in rows:
            arr[element_index(r.element, coords)] = r.value
        return xr.DataArray(arr, dims=dims,
                            coords={d: list(c) for d, c in zip(dims, coords, strict=True)})


def element_index(element: str, coords: Sequence[Sequence[str]]) -> tuple[int, ...]:
    """Position of ``element`` (``'a'`` or ``'a,b'``) in the subscript ``coords``."""
    parts = element.split(",")
    return tuple(list(c).index(p) for p, c in zip(parts, coords, strict=True))


def read_table_csv(path: Path | str) -> tuple[TableRow, ...]:
    """Rows of a parameter-table CSV (``models/parameters.csv`` layout)."""
    p = Path(path)
    rows: list[TableRow] = []
    with p.open(newline="", encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh), start=2):
            try:
                rows.append(TableRow(r["name"], r["element"] or "", float(r["value"]), r["units"],
                                     float(r["low"]), float(r["high"]), r["kind"]))
            except (KeyError, ValueError) as exc:
                raise InputError([Problem(f"unreadable parameter-table row ({exc})", p, i)]) from None
    return tuple(rows)


def load_parameter_table(mdl_path: Path | str, table_csv: Path | str | None = None) -> ParameterTable:
    """The parameter table of a model.

    Parameters
    ----------
    mdl_path
        The model; its variable catalogue gives the subscript layout.
    table_csv
        A committed table of this model (``models/parameters.csv`` layout) to use instead of the
        tags in the model's comments; the caller knows whether one exists (for the project model:
        :func:`sdmission.settings.parameter_table_file`). ``None``: build the table from the tags.
    """
    from sdmission.model.catalogue import load_catalogue

    mdl = Path(mdl_path)
    if table_csv is not None:
        rows = read_table_csv(table_csv)
        source = str(table_csv)
    else:
        from sdmission.model.parameters import parameter_table

        rows = tuple(TableRow(p.name, p.element, p.value, p.units, p.low, p.high, p.kind)
                     for p in parameter_table(mdl))
        source = str(mdl)
    cat = load_catalogue(mdl)
    layout: dict[str, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = {}
    for name in {r.name for r in rows}:
        if name not in cat:
            raise ModelError(f"parameter table {source} names '{name}', which {mdl} does not define")
        var = cat[name]
        if var.dims:
            layout[name] = (tuple(var.dims), tuple(tuple(var.coords[d]) for d in var.dims))
    return ParameterTable(rows=rows, source=source, layout=layout)
