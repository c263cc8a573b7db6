"""Target sets (a YAML registry) and checks of results against them.

A target says: in ``year`` the result variable ``metric`` must satisfy ``metric <sense> threshold``.
Target sets live in ``sdmission/data/targets.yaml`` (documented there, with sources); they are
validated at load and every problem is reported at once with file, line and key.

Definitions used by the checks
------------------------------
met
    The condition holds at the target year, up to a floating-point allowance of
    ``MET_RTOL * max(1, |threshold|)`` in the metric's units (so that a path optimised to sit exactly
    on a threshold still counts as meeting it when re-run).
gap
    The shortfall in the metric's units at the target year: ``threshold - value`` for ``>=``,
    ``value - threshold`` for ``<=``; 0 when met; NaN when the value is NaN.
first_year_met
    The earliest whole year on the results' save grid at which the condition holds (same allowance),
    whether before, at or after the target year; ``None`` (NaN in :func:`check_all`) if it never holds
    within the run. It does not say the condition keeps holding: ``first_year_met <= year`` with
    ``met == False`` means the metric reached the threshold and then fell back.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from pydantic import ValidationError

from sdmission.constants import MEMBER, SCENARIO, TIME
from sdmission.errors import InputError, Problem
from sdmission.messages import suggest
from sdmission.schema.problems import bracketed, keys_at, validation_problems
from sdmission.schema.targets import Registry, Sense
from sdmission.yamlio import YamlDoc, read_yaml

#: Name of the target dimension in :func:`check_all` results.
TARGET: Final = "target"
#: Relative allowance for floating-point noise when deciding ``met`` (see the module docstring).
MET_RTOL: Final = 1e-9
#: Name of the default target set (also stated as ``default:`` in the registry).
DEFAULT_SET: Final = "design"

_TIME_ATOL: Final = 1e-6  # years; save-grid times are floats such as 2030.0


# --------------------------------------------------------------------------------------------------
# Public value types
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One target: ``metric`` in ``year`` must be ``sense`` ``threshold`` (in ``units``)."""

    id: str
    metric: str
    year: int
    threshold: float
    sense: Sense
    units: str
    label: str
    label_nl: str

    def holds(self, value: ArrayLike) -> NDArray[np.bool_]:
        """Whether ``value`` (scalar or array, metric units) meets this target; NaN never does."""
        tol = MET_RTOL * max(1.0, abs(self.threshold))
        v = np.asarray(value, dtype=float)
        with np.errstate(invalid="ignore"):
            out = v >= self.threshold - tol if self.sense == ">=" else v <= self.threshold + tol
        return out

    def shortfall(self, value: ArrayLike) -> NDArray[np.float64]:
        """Signed violation ``threshold - value`` (``>=``) or ``value - threshold`` (``<=``)."""
        v = np.asarray(value, dtype=float)
        return self.threshold - v if self.sense == ">=" else v - self.threshold

    def describe(self) -> str:
        """Short text such as ``circular_share >= 0.75 in 2040``."""
        return f"{self.metric} {self.sense} {self.threshold:g} {self.units} in {self.year}"


@dataclass(frozen=True)
class TargetSet:
    """A named set of targets with its description and source text."""

    name: str
    description: str
    source: str
    targets: tuple[Target, ...]

    @property
    def metrics(self) -> tuple[str, ...]:
        """Metric names the set needs, in first-use order, without repeats."""
        return tuple(dict.fromkeys(t.metric for t in self.targets))

    @property
    def years(self) -> tuple[int, ...]:
        """Target years, sorted, without repeats."""
        return tuple(sorted({t.year for t in self.targets}))

    def get(self, target_id: str) -> Target:
        """The target with this id (unknown id: :class:`InputError` with did-you-mean)."""
        for t in self.targets:
            if t.id == target_id:
                return t
        ids = [t.id for t in self.targets]
        raise InputError(
            [Problem(f"unknown target '{target_id}' in set '{self.name}'; "
                     f"allowed: {', '.join(ids)}{suggest(target_id, ids)}", key="target")]
        )


@dataclass(frozen=True)
class TargetCheck:
    """Outcome of one target on one run.

    ``value`` is the metric at the target year (metric units), ``gap`` the shortfall (0 when met),
    ``first_year_met`` as defined in the module docstring.
    """

    target: Target
    value: float
    met: bool
    first_year_met: int | None
    gap: float


# --------------------------------------------------------------------------------------------------
# Registry schema (frozen pydantic, extra keys forbidden)
# --------------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------


def default_path() -> Path:
    """Path of the registry shipped with the package."""
    return Path(str(resources.files("sdmission") / "data" / "targets.yaml"))


def load_target_sets(path: Path | str | None = None) -> dict[str, TargetSet]:
    """Read and validate a target-set registry.

    Parameters
    ----------
    path
        A registry YAML (same layout as ``sdmission/data/targets.yaml``); ``None`` = the shipped one.

    Returns
    -------
    dict
        ``{set name: TargetSet}`` in file order. The default set's name is :data:`DEFAULT_SET` for
        the shipped registry (``default:`` key).

    Raises
    ------
    InputError
        Every problem found (file, line, key, what is allowed, did-you-mean).
    """
    resolved = Path(path) if path is not None else default_path()
    try:
        stamp = resolved.stat().st_mtime_ns
    except OSError:
        raise InputError([Problem("target registry not found", file=resolved)]) from None
    return dict(_load_cached(str(resolved.resolve()), stamp))


def get_target_set(name: str, path: Path | str | None = None) -> TargetSet:
    """The target set called ``name`` (unknown name: :class:`InputError` with did-you-mean)."""
    sets = load_target_sets(path)
    if name in sets:
        return sets[name]
    raise InputError(
        [Problem(f"unknown target set '{name}'; allowed: {', '.join(sets)}"
                 f"{suggest(name, sets)}", key="targets")]
    )


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, _mtime_ns: int) -> tuple[tuple[str, TargetSet], ...]:
    doc = read_yaml(path)
    raw = doc.data
    if not isinstance(raw, Mapping):
        raise InputError([Problem("the registry must be a mapping with version, default, "
                                  "metrics and sets", file=doc.path, line=1)])
    data = _plain(raw)
    problems = _cross_check(data, doc)  # on the plain data: reported with the schema's problems
    try:
        reg = Registry.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(
            exc, data, file=doc.path, line_of=doc.line, key_text=bracketed, name_first=True,
            allowed_for=functools.partial(keys_at, Registry)) + problems) from None
    if problems:
        raise InputError(problems)
    out: list[tuple[str, TargetSet]] = []
    for name, spec in reg.sets.items():
        targets = tuple(
            Target(id=t.id, metric=t.metric, year=t.year, threshold=float(t.threshold),
                   sense=t.sense, units=reg.metrics[t.metric].units, label=t.label,
                   label_nl=t.label_nl)
            for t in spec.targets
        )
        out.append((name, TargetSet(name, spec.description, spec.source, targets)))
    return tuple(out)


def _cross_check(data: Any, doc: YamlDoc) -> list[Problem]:
    """Checks across blocks, on the plain data (so they run even where the schema fails): the
    default set exists, ids are unique, metrics are declared, fractions lie within [0, 1]."""
    if not isinstance(data, dict):
        return []
    problems: list[Problem] = []
    raw_sets, raw_metrics = data.get("sets"), data.get("metrics")
    sets: dict[Any, Any] = raw_sets if isinstance(raw_sets, dict) else {}
    metrics: dict[str, Any] = raw_metrics if isinstance(raw_metrics, dict) else {}
    default = data.get("default")
    if isinstance(default, str) and sets and default not in sets:
        problems.append(Problem(
            f"default set '{default}' is not defined; allowed: {', '.join(map(str, sets))}"
            f"{suggest(default, [str(s) for s in sets])}", file=doc.path, line=doc.line(("default",)),
            key="default"))
    for name, spec in sets.items():
        targets = spec.get("targets") if isinstance(spec, dict) else None
        if not isinstance(targets, list):
            continue
        seen: set[str] = set()
        for i, t in enumerate(targets):
            if isinstance(t, dict):
                problems += _check_target(t, ("sets", name, "targets", i), seen, metrics, doc)
    return problems


def _check_target(t: dict[str, Any], where: tuple[Any, ...], seen: set[str],
                  metrics: dict[str, Any], doc: YamlDoc) -> list[Problem]:
    file = doc.path
    problems: list[Problem] = []
    tid, metric, threshold = t.get("id"), t.get("metric"), t.get("threshold")
    if isinstance(tid, str):
        if tid in seen:
            problems.append(Problem(f"duplicate target id '{tid}'", file=file,
                                    line=doc.line((*where, "id")), key=bracketed((*where, "id"))))
        seen.add(tid)
    if not isinstance(metric, str):
        return problems
    if metrics and metric not in metrics:
        problems.append(Problem(
            f"unknown metric '{metric}'; allowed: {', '.join(map(str, metrics))}"
            f"{suggest(metric, [str(m) for m in metrics])}", file=file,
            line=doc.line((*where, "metric")), key=bracketed((*where, "metric"))))
        return problems
    spec = metrics.get(metric)
    units = spec.get("units") if isinstance(spec, dict) else None
    if units != "Dmnl" or not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
        return problems
    if math.isfinite(threshold) and not 0.0 <= threshold <= 1.0:
        hint = (f"; it looks like a percentage: thresholds are fractions (did you mean {threshold / 100:g}?)"
                if 1 < abs(threshold) <= 100 else "")
        problems.append(Problem(
            f"threshold {threshold:g} for dimensionless metric '{metric}' is outside [0, 1] "
            f"(allowed: a fraction from 0 to 1){hint}", file=file,
            line=doc.line((*where, "threshold")), key=bracketed((*where, "threshold"))))
    return problems


# --------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------


def check(ds: xr.Dataset, target_set: TargetSet) -> list[TargetCheck]:
    """Check one run against a target set.

    Parameters
    ----------
    ds
        Results with a ``time`` dim (years) and the set's metrics as variables. Size-1 ``member``
        or ``scenario`` dims are allowed and dropped; larger ones need :func:`check_all`.
    target_set
        The targets.

    Returns
    -------
    list of TargetCheck
        One per target, in the set's order.
    """
    extra = [d for d in (SCENARIO, MEMBER) if d in ds.dims and ds.sizes[d] > 1]
    if extra:
        raise ValueError(
            f"check() takes one run; the dataset has {', '.join(f'{d}={ds.sizes[d]}' for d in extra)}"
            "; use sdmission.study.targets.check_all for ensembles and scenario batches"
        )
    res = check_all(ds, target_set)
    res = res.squeeze([d for d in (SCENARIO, MEMBER) if d in res.dims], drop=True)
    out: list[TargetCheck] = []
    for i, t in enumerate(target_set.targets):
        fy = float(res["first_year_met"].values[i])
        out.append(TargetCheck(
            target=t,
            value=float(res["value"].values[i]),
            met=bool(res["met"].values[i]),
            first_year_met=None if math.isnan(fy) else int(fy),
            gap=float(res["gap"].values[i]),
        ))
    return out


def check_all(ds: xr.Dataset, target_set: TargetSet) -> xr.Dataset:
    """Vectorised check over any ``scenario`` and ``member`` dims.

    Parameters
    ----------
    ds
        Results with dims ``([scenario,] [member,] time)`` for each metric the set uses.
    target_set
        The targets.

    Returns
    -------
    xr.Dataset
        Dims ``([scenario,] [member,] target)``; variables ``value`` (float, metric units),
        ``met`` (bool), ``gap`` (float, metric units, 0 when met), ``first_year_met`` (float year,
        NaN = never within the run) and ``all_met`` (bool, without the ``target`` dim). The
        ``target`` coord holds the ids; coords ``metric``, ``year``, ``threshold``, ``sense``,
        ``units``, ``label`` describe each target. ``P(met)`` over an ensemble is
        ``res.met.mean("member")``.
    """
    if TIME not in ds.dims:
        raise ValueError("results have no 'time' dim; targets are checked on time series")
    missing = [m for m in target_set.metrics if m not in ds.data_vars]
    if missing:
        raise InputError([Problem(
            f"target set '{target_set.name}' needs result variable(s) {', '.join(missing)}, which "
            f"the results do not contain{suggest(missing[0], list(map(str, ds.data_vars)))}",
            key="targets")])
    times = np.asarray(ds[TIME].values, dtype=float)
    whole = np.abs(times - np.round(times)) < _TIME_ATOL
    lead = [d for d in (SCENARIO, MEMBER) if d in ds.dims]
    lead_shape = tuple(ds.sizes[d] for d in lead)
    n = len(target_set.targets)
    value = np.full((*lead_shape, n), np.nan)
    met = np.zeros((*lead_shape, n), dtype=bool)
    gap = np.full((*lead_shape, n), np.nan)
    first = np.full((*lead_shape, n), np.nan)
    problems: list[Problem] = []
    for i, t in enumerate(target_set.targets):
        da = ds[t.metric]
        other = [d for d in da.dims if d not in (*lead, TIME)]
        if other:
            problems.append(Problem(
                f"metric '{t.metric}' has dims {other} besides {lead + [TIME]}; targets need a "
                "total (sum or select over the subscript first)", key=t.id))
            continue
        arr = da.transpose(*[d for d in lead if d in da.dims], TIME).values.astype(float)
        arr = np.broadcast_to(
            arr.reshape(tuple(ds.sizes[d] if d in da.dims else 1 for d in lead) + (times.size,)),
            (*lead_shape, times.size))
        at = np.flatnonzero(np.abs(times - t.year) < _TIME_ATOL)
        if at.size == 0:
            problems.append(Problem(
                f"target year {t.year} is not on the results' time grid "
                f"({times.min():g}..{times.max():g})", key=t.id))
            continue
        v = arr[..., at[0]]
        value[..., i] = v
        ok = t.holds(v)
        met[..., i] = ok
        gap[..., i] = np.where(ok, 0.0, np.maximum(t.shortfall(v), 0.0))
        gap[..., i] = np.where(np.isnan(v), np.nan, gap[..., i])
        holds_t = t.holds(arr) & whole  # (..., time)
        any_ = holds_t.any(axis=-1)
        idx = holds_t.argmax(axis=-1)
        first[..., i] = np.where(any_, np.round(times[idx]), np.nan)
    if problems:
        raise InputError(problems)
    dims = (*lead, TARGET)
    coords: dict[str, Any] = {d: ds[d].values for d in lead if d in ds.coords}
    coords[TARGET] = [t.id for t in target_set.targets]
    for attr in ("metric", "year", "threshold", "sense", "units", "label"):
        coords[attr] = (TARGET, [getattr(t, attr) for t in target_set.targets])
    out = xr.Dataset(
        {
            "value": (dims, value, {"long_name": "metric at the target year"}),
            "met": (dims, met, {"long_name": "target met", "units": "1"}),
            "gap": (dims, gap, {"long_name": "shortfall at the target year (0 when met)"}),
            "first_year_met": (dims, first, {"long_name": "first whole year the condition holds",
                                             "units": "year"}),
        },
        coords=coords,
        attrs={"target_set": target_set.name, "met_rtol": MET_RTOL},
    )
    out["all_met"] = out["met"].all(TARGET)
    out["all_met"].attrs = {"long_name": "every target of the set met", "units": "1"}
    return out


def _plain(node: Any) -> Any:
    """Plain dict/list/scalars with text keys (values are data only, never executed)."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node
