"""Uncertainties: the ``uncertainties:`` block of a scenario file, its resolution against the model's
parameter table, and seeded sampling into an input Dataset with a ``member`` dim.

A scenario file may say::

    uncertainties:
      defaults: all            # every [parameter]/[calibrated] row of the table, uniform low..high
      exclude: [initial_production]
      parameters:
        - name: capture_rate               # PySD python name
          distribution: triangular         # uniform | triangular | truncnormal | discrete
          mode: 0.88                       # default: the model's value
        - name: ccs_access
          element: Chemelot                # one element of a subscripted parameter ("a,b" for 2-D)
          low: 0.0
          high: 0.5
        - name: cost_sensitivity
          distribution: discrete
          values: [3, 6, 10]
          weights: [1, 2, 1]               # default: equal

Defaults come from the parameter table (:mod:`sdmission.analysis.parameter_table`; e.g.
``models/parameters.csv``, columns name, element, value,
units, low, high, kind, source): ``low``/``high`` are the table's range, ``mode`` and ``mean`` the
model's value, ``sd`` a quarter of the range. An entry without ``element`` on a subscripted parameter
stands for every element, each sampled independently with its own table range (unless ``low``/
``high`` are given). Explicit entries replace the ``defaults: all`` entry of the same parameter and
element. Table rows whose range is empty (``low == high``, e.g. a relative range around 0) are not
sampled by ``defaults: all``.

Sampling draws points in the unit hypercube (``lhs`` Latin hypercube, ``sobol`` scrambled Sobol',
``mc`` plain Monte Carlo; :mod:`scipy.stats.qmc`, seeded) and maps each column through the
distribution's quantile function. Scenarios of one ensemble share the unit draws of every
uncertainty they have in common (common random numbers): same seed, same futures.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from pydantic import ValidationError
from scipy import stats
from scipy.stats import qmc

from sdmission.analysis.parameter_table import (
    ParameterTable,
    TableRow,
    element_index,
)
from sdmission.analysis.parameter_table import load_parameter_table as load_parameter_table
from sdmission.analysis.parameter_table import read_table_csv as read_table_csv
from sdmission.constants import MEMBER, SCENARIO
from sdmission.errors import InputError, Problem
from sdmission.messages import did_you_mean, fmt
from sdmission.schema.problems import keys_at, validation_problems
from sdmission.schema.uncertainties import (
    BLOCK_KEY,
    SAMPLERS,
    Distribution,
    Sampler,
    UncertaintiesBlock,
    UncertaintyEntry,
)
from sdmission.yamlio import KeyPath

#: Name of the dim that enumerates uncertainties in input Datasets.
UNCERTAINTY: Final = "uncertainty"
#: Table kinds that may be sampled.
UNCERTAIN_KINDS: Final = ("parameter", "calibrated")

# --------------------------------------------------------------------------------------------------
# Resolved uncertainties
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Uncertainty:
    """One sampled quantity: a scalar parameter or one element of a subscripted one.

    Bounds and parameters are in the parameter's units.
    """

    name: str
    element: str
    distribution: Distribution
    low: float
    high: float
    default: float
    units: str
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()

    @property
    def label(self) -> str:
        """``name`` or ``name[element]``."""
        return f"{self.name}[{self.element}]" if self.element else self.name

    def ppf(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """Quantile function: unit-interval draws ``u`` (any shape) → values (same shape)."""
        u = np.asarray(u, dtype=float)
        if self.distribution == "uniform":
            return self.low + u * (self.high - self.low)
        if self.distribution == "triangular":
            width = self.high - self.low
            c = (float(self.mode) - self.low) / width  # type: ignore[arg-type]
            return np.asarray(stats.triang.ppf(u, c, loc=self.low, scale=width), dtype=float)
        if self.distribution == "truncnormal":
            m, s = float(self.mean), float(self.sd)  # type: ignore[arg-type]
            a, b = (self.low - m) / s, (self.high - m) / s
            return np.asarray(stats.truncnorm.ppf(u, a, b, loc=m, scale=s), dtype=float)
        w = np.asarray(self.weights, dtype=float)
        cum = np.cumsum(w / w.sum())
        idx = np.minimum(np.searchsorted(cum, u, side="right"), len(self.values) - 1)
        return np.asarray(self.values, dtype=float)[idx]

    def describe(self) -> str:
        """Short text such as ``triangular(0.8, 0.88, 0.95) 1/Year``."""
        if self.distribution == "uniform":
            body = f"uniform({self.low:g}, {self.high:g})"
        elif self.distribution == "triangular":
            body = f"triangular({self.low:g}, {self.mode:g}, {self.high:g})"
        elif self.distribution == "truncnormal":
            body = f"truncnormal(mean {self.mean:g}, sd {self.sd:g}, [{self.low:g}, {self.high:g}])"
        else:
            body = "discrete(" + ", ".join(f"{v:g}" for v in self.values) + ")"
        return f"{body} {self.units}".strip()


@dataclass(frozen=True)
class UncertaintySpace:
    """The resolved uncertainties of one scenario, in table order, plus the table they refer to."""

    uncertainties: tuple[Uncertainty, ...]
    table: ParameterTable

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels in order (``name`` or ``name[element]``)."""
        return tuple(u.label for u in self.uncertainties)

    def __len__(self) -> int:
        return len(self.uncertainties)

    def get(self, label: str) -> Uncertainty:
        """The uncertainty with this label."""
        for u in self.uncertainties:
            if u.label == label:
                return u
        raise KeyError(label)


LineOf = Callable[[KeyPath], "int | None"]


def load_uncertainties(
    mapping: Any,
    source: Path | str | None,
    table: ParameterTable,
    *,
    line_of: LineOf | None = None,
    prefix: KeyPath = (BLOCK_KEY,),
) -> UncertaintySpace:
    """Validate an ``uncertainties:`` mapping and resolve it against the parameter table.

    Parameters
    ----------
    mapping
        The block as plain data (or an already validated :class:`UncertaintiesBlock`).
    source
        File the block comes from (for messages).
    table
        The model's parameter table.
    line_of
        Maps a key path (``("uncertainties", "parameters", 0, "name")``) to a 1-based line.
    prefix
        Key path of the block in its file.

    Raises
    ------
    InputError
        Every problem at once, each with file, line, key, what was given and what is allowed.
    """
    lines: LineOf = line_of or (lambda _k: None)
    if isinstance(mapping, UncertaintiesBlock):
        block = mapping
    else:
        data = mapping if mapping is not None else {}
        try:
            block = UncertaintiesBlock.model_validate(data)
        except ValidationError as exc:
            raise InputError(validation_problems(
                exc, data, file=source, line_of=lines, prefix=prefix,
                allowed_for=functools.partial(keys_at, UncertaintiesBlock))) from None
    return resolve(block, table, source=source, line_of=lines, prefix=prefix)


def resolve(
    block: UncertaintiesBlock,
    table: ParameterTable,
    *,
    source: Path | str | None = None,
    line_of: LineOf | None = None,
    prefix: KeyPath = (BLOCK_KEY,),
) -> UncertaintySpace:
    """Resolve a validated block against ``table`` (see :func:`load_uncertainties`)."""
    report = _Report(source, line_of or (lambda _k: None), prefix)
    groups = table.by_name()
    uncertain = {n: rows for n, rows in groups.items() if rows[0].kind in UNCERTAIN_KINDS}
    chosen = _defaults(block, uncertain, groups, report)
    chosen.update(_explicit(block, uncertain, groups, report))
    if report.problems:
        raise InputError(report.problems)
    order = {(r.name, r.element): k for k, r in enumerate(table.rows)}
    ordered = tuple(chosen[k] for k in sorted(chosen, key=order.__getitem__))
    return UncertaintySpace(uncertainties=ordered, table=table)


Rows = Mapping[str, list[TableRow]]


@dataclass
class _Report:
    """Problems of one block, each located at its key path below ``prefix``."""

    source: Path | str | None
    lines: LineOf
    prefix: KeyPath
    problems: list[Problem] = field(default_factory=list)

    def add(self, msg: str, keys: KeyPath) -> None:
        kp = (*self.prefix, *keys)
        self.problems.append(Problem(msg, self.source, self.lines(kp), ".".join(map(str, kp))))


def _defaults(block: UncertaintiesBlock, uncertain: Rows, groups: Rows,
              report: _Report) -> dict[tuple[str, str], Uncertainty]:
    """Step 1: the ``defaults: all`` entries (every uncertain row with a range, less ``exclude``)."""
    chosen: dict[tuple[str, str], Uncertainty] = {}
    if block.defaults != "all":
        if block.exclude:
            report.add("'exclude' only applies with 'defaults: all' (given defaults: none)",
                       ("exclude",))
        return chosen
    for i, name in enumerate(block.exclude):
        if name not in uncertain:
            report.add(_unknown(name, uncertain, groups), ("exclude", i))
    for name, rows in uncertain.items():
        if name in block.exclude:
            continue
        for r in rows:
            if r.high > r.low:
                chosen[(name, r.element)] = _from_row(r)
    return chosen


def _entry_rows(e: UncertaintyEntry, where: KeyPath, uncertain: Rows, groups: Rows,
                report: _Report) -> list[TableRow]:
    """The table rows one explicit entry stands for (none, with a problem, when it names none)."""
    if e.name not in uncertain:
        report.add(_unknown(e.name, uncertain, groups), (*where, "name"))
        return []
    rows = uncertain[e.name]
    if e.element is None:
        return rows
    elements = [r.element for r in rows]
    if e.element not in elements:
        if elements == [""]:
            msg = f"'{e.name}' is not subscripted; remove 'element' (given {e.element!r})"
        else:
            msg = _choice_msg(f"unknown element of '{e.name}'", e.element, elements)
        report.add(msg, (*where, "element"))
        return []
    return [r for r in rows if r.element == e.element]


def _explicit(block: UncertaintiesBlock, uncertain: Rows, groups: Rows,
              report: _Report) -> dict[tuple[str, str], Uncertainty]:
    """Step 2: the explicit ``parameters`` entries (each parameter and element at most once)."""
    chosen: dict[tuple[str, str], Uncertainty] = {}
    first: dict[tuple[str, str], int] = {}
    for i, e in enumerate(block.parameters):
        where = ("parameters", i)
        for r in _entry_rows(e, where, uncertain, groups, report):
            key = (r.name, r.element)
            if key in first:
                report.add(f"'{_label(*key)}' is declared twice (first at parameters[{first[key]}])",
                           (*where, "name"))
                continue
            first[key] = i
            try:
                chosen[key] = _from_entry(e, r)
            except ValueError as exc:
                report.add(str(exc), where)
    return chosen


def _label(name: str, element: str) -> str:
    return f"{name}[{element}]" if element else name


def _choice_msg(what: str, given: str, allowed: Sequence[str]) -> str:
    shown = ", ".join(allowed[:12]) + (", …" if len(allowed) > 12 else "")
    return fmt(what, given=repr(given), allowed=shown, suggestion=did_you_mean(given, allowed))


def _unknown(name: str, uncertain: Rows, groups: Rows) -> str:
    if name in groups:
        return (f"'{name}' is a [{groups[name][0].kind}] constant, not an uncertain parameter "
                f"(allowed: rows of kind {' or '.join(UNCERTAIN_KINDS)} in the parameter table)")
    return _choice_msg("unknown uncertain parameter", name, list(uncertain))


def _from_row(r: TableRow) -> Uncertainty:
    return Uncertainty(r.name, r.element, "uniform", r.low, r.high, r.value, r.units)


def _from_entry(e: UncertaintyEntry, r: TableRow) -> Uncertainty:
    label = _label(r.name, r.element)
    if e.distribution == "discrete":
        vals = tuple(float(v) for v in e.values or ())
        w = tuple(float(x) for x in e.weights) if e.weights is not None else (1.0,) * len(vals)
        total = sum(w)
        return Uncertainty(r.name, r.element, "discrete", min(vals), max(vals), r.value, r.units,
                           values=vals, weights=tuple(x / total for x in w))
    low = r.low if e.low is None else float(e.low)
    high = r.high if e.high is None else float(e.high)
    if not high > low:
        if e.low is None and e.high is None:
            raise ValueError(
                f"'{label}' has an empty range in the parameter table (low = high = {low:g}); "
                "give 'low' and 'high'")
        raise ValueError(f"'{label}': 'low' must be below 'high' (given low {low:g}, high {high:g})")
    if e.distribution == "uniform":
        return Uncertainty(r.name, r.element, "uniform", low, high, r.value, r.units)
    if e.distribution == "triangular":
        mode = r.value if e.mode is None else float(e.mode)
        if not low <= mode <= high:
            raise ValueError(f"'{label}': 'mode' must lie in [low, high] (given {mode:g}; "
                             f"allowed: [{low:g}, {high:g}])")
        return Uncertainty(r.name, r.element, "triangular", low, high, r.value, r.units, mode=mode)
    mean = r.value if e.mean is None else float(e.mean)
    sd = (high - low) / 4 if e.sd is None else float(e.sd)
    if not low <= mean <= high:
        raise ValueError(f"'{label}': 'mean' must lie in [low, high] (given {mean:g}; "
                         f"allowed: [{low:g}, {high:g}])")
    return Uncertainty(r.name, r.element, "truncnormal", low, high, r.value, r.units,
                       mean=mean, sd=sd)


# --------------------------------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------------------------------


def unit_sample(n: int, d: int, sampler: Sampler, seed: int) -> NDArray[np.float64]:
    """``n`` points in ``[0, 1)^d`` (shape ``(n, d)``), seeded and reproducible.

    ``sobol`` draws the next power of two and keeps the first ``n`` points (scrambled Sobol';
    balance is best when ``n`` is a power of two).
    """
    if n < 1:
        raise InputError([Problem(f"members must be at least 1 (given {n})", key="members")])
    if sampler not in SAMPLERS:
        raise InputError([Problem(_choice_msg("unknown sampler", sampler, SAMPLERS), key="sampler")])
    if d == 0:
        return np.zeros((n, 0))
    if sampler == "mc":
        return np.random.default_rng(seed).random((n, d))
    if sampler == "lhs":
        return np.asarray(qmc.LatinHypercube(d, rng=np.random.default_rng(seed)).random(n))
    m = max(0, math.ceil(math.log2(n)))
    pts = qmc.Sobol(d, scramble=True, rng=np.random.default_rng(seed)).random_base2(m)
    return np.asarray(pts[:n])


def sample(
    spaces: Mapping[str, UncertaintySpace] | UncertaintySpace,
    members: int,
    sampler: Sampler = "lhs",
    seed: int = 0,
) -> xr.Dataset:
    """Draw an ensemble's inputs.

    Parameters
    ----------
    spaces
        One space, or ``{scenario: space}``; the unit draws are made once over the union of labels
        (in first-seen order) so scenarios share the draws of the uncertainties they share.
    members
        Ensemble size N.
    sampler, seed
        See :func:`unit_sample`.

    Returns
    -------
    xr.Dataset
        ``quantile`` (member, uncertainty) in [0, 1) and ``value`` (``[scenario,] member,
        uncertainty``; parameter units, NaN where a scenario does not sample that uncertainty).
        Coords on ``uncertainty``: ``parameter``, ``element``, ``units``. attrs: ``sampler``,
        ``seed``, ``members``, ``distributions`` (one line per scenario and uncertainty).
    """
    single = isinstance(spaces, UncertaintySpace)
    named: dict[str, UncertaintySpace] = (
        {"_": spaces} if isinstance(spaces, UncertaintySpace) else dict(spaces))
    union: dict[str, Uncertainty] = {}
    for sp in named.values():
        for u in sp.uncertainties:
            union.setdefault(u.label, u)
    labels = list(union)
    unit = unit_sample(members, len(labels), sampler, seed)
    values = np.full((len(named), members, len(labels)), np.nan)
    lines: list[str] = []
    for s, (sname, sp) in enumerate(named.items()):
        for u in sp.uncertainties:
            j = labels.index(u.label)
            values[s, :, j] = u.ppf(unit[:, j])
            lines.append(f"{'' if single else sname + ': '}{u.label} ~ {u.describe()}")
    coords: dict[str, Any] = {
        MEMBER: np.arange(members),
        UNCERTAINTY: labels,
        "parameter": (UNCERTAINTY, [union[k].name for k in labels]),
        "element": (UNCERTAINTY, [union[k].element for k in labels]),
        "units": (UNCERTAINTY, [union[k].units for k in labels]),
    }
    if single:
        value = xr.DataArray(values[0], dims=(MEMBER, UNCERTAINTY))
    else:
        coords[SCENARIO] = list(named)
        value = xr.DataArray(values, dims=(SCENARIO, MEMBER, UNCERTAINTY))
    ds = xr.Dataset(
        {
            "quantile": ((MEMBER, UNCERTAINTY), unit,
                         {"long_name": "unit-interval draw of each uncertainty", "units": "1"}),
            "value": value.assign_attrs(long_name="sampled parameter value (parameter units)"),
        },
        coords=coords,
        attrs={"sampler": sampler, "seed": int(seed), "members": int(members),
               "distributions": "\n".join(lines)},
    )
    return ds


def engine_inputs(
    values: xr.DataArray, space: UncertaintySpace
) -> dict[str, xr.DataArray]:
    """Engine inputs for one scenario from sampled values.

    Parameters
    ----------
    values
        Dims ``(member, uncertainty)``, parameter units (one scenario of :func:`sample`'s
        ``value``).
    space
        The scenario's space (its labels must all be in ``values``).

    Returns
    -------
    dict
        ``{py_name: DataArray}`` with dims ``(member[, subscripts…])``: subscripted parameters carry
        every element, the unsampled ones at the model's value.
    """
    out: dict[str, xr.DataArray] = {}
    members = values[MEMBER].values
    have = set(map(str, values[UNCERTAINTY].values))
    missing = [lab for lab in space.labels if lab not in have]
    if missing:
        raise InputError([Problem(
            f"the samples lack {len(missing)} uncertainties of the scenario ({', '.join(missing[:5])}"
            f"{', …' if len(missing) > 5 else ''}): they were drawn for another uncertainty space "
            "(an edited model, parameter table or uncertainties block); sample again",
            key=BLOCK_KEY)])
    for u in space.uncertainties:
        col = np.asarray(values.sel({UNCERTAINTY: u.label}).values, dtype=float)
        if u.name not in space.table.layout:
            out[u.name] = xr.DataArray(col, dims=(MEMBER,), coords={MEMBER: members})
            continue
        if u.name not in out:
            base = space.table.default_array(u.name)
            out[u.name] = base.expand_dims({MEMBER: members}).copy()
        dims, coords = space.table.layout[u.name]
        at: tuple[slice | int, ...] = (slice(None), *element_index(u.element, coords))
        out[u.name].values[at] = col
    return out
