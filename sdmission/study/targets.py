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

import difflib
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from sdmission.constants import MEMBER, SCENARIO, TIME
from sdmission.errors import InputError, Problem

Sense = Literal["<=", ">="]

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

    def holds(self, value: Any) -> Any:
        """Whether ``value`` (scalar or array, metric units) meets this target; NaN never does."""
        tol = MET_RTOL * max(1.0, abs(self.threshold))
        v = np.asarray(value, dtype=float)
        with np.errstate(invalid="ignore"):
            out = v >= self.threshold - tol if self.sense == ">=" else v <= self.threshold + tol
        return out

    def shortfall(self, value: Any) -> Any:
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
                     f"allowed: {', '.join(ids)}{_did_you_mean(target_id, ids)}", key="target")]
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

_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class _MetricSpec(BaseModel):
    model_config = _FROZEN
    units: str = Field(min_length=1, description="Units as in the model (Vensim units).")
    label: str = Field(min_length=1, description="Axis/legend label, English.")
    label_nl: str = Field(min_length=1, description="Axis/legend label, Dutch.")


class _TargetSpec(BaseModel):
    model_config = _FROZEN
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Unique within its set; kebab-case.")
    metric: str = Field(description="A name under `metrics:`.")
    year: int = Field(ge=1990, le=2100, description="Calendar year the target applies to.")
    sense: Sense = Field(description="'>=' at least, '<=' at most.")
    threshold: float = Field(allow_inf_nan=False, description="In the metric's units.")
    label: str = Field(min_length=1)
    label_nl: str = Field(min_length=1)


class _SetSpec(BaseModel):
    model_config = _FROZEN
    description: str = Field(min_length=1)
    source: str = Field(min_length=1, description="Where the numbers come from (copied text, URLs).")
    targets: tuple[_TargetSpec, ...] = Field(min_length=1)


class _Registry(BaseModel):
    model_config = _FROZEN
    version: Literal[1]
    default: str
    metrics: dict[str, _MetricSpec] = Field(min_length=1)
    sets: dict[str, _SetSpec] = Field(min_length=1)

    @field_validator("sets")
    @classmethod
    def _set_names(cls, v: dict[str, _SetSpec]) -> dict[str, _SetSpec]:
        import re

        bad = [k for k in v if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", k)]
        if bad:
            raise ValueError(f"set names must be kebab-case (a-z, 0-9, '-'); got {bad}")
        return v


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
                 f"{_did_you_mean(name, sets)}", key="targets")]
    )


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, _mtime_ns: int) -> tuple[tuple[str, TargetSet], ...]:
    file = Path(path)
    try:
        raw = YAML(typ="rt").load(file.read_text(encoding="utf-8"))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError([Problem(f"not valid YAML: {exc}", file=file, line=line)]) from None
    if not isinstance(raw, Mapping):
        raise InputError([Problem("the registry must be a mapping with version, default, "
                                  "metrics and sets", file=file, line=1)])
    try:
        reg = _Registry.model_validate(_plain(raw))
    except ValidationError as exc:
        raise InputError(_pydantic_problems(exc, raw, file)) from None
    problems = _cross_check(reg, raw, file)
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


def metric_labels(path: Path | str | None = None) -> dict[str, dict[str, str]]:
    """``{metric: {"units", "label", "label_nl"}}`` from the registry (for plot axes)."""
    resolved = Path(path) if path is not None else default_path()
    raw = YAML(typ="safe").load(resolved.read_text(encoding="utf-8"))
    return {k: dict(v) for k, v in raw["metrics"].items()}


def _cross_check(reg: _Registry, raw: Any, file: Path) -> list[Problem]:
    problems: list[Problem] = []
    if reg.default not in reg.sets:
        problems.append(Problem(
            f"default set '{reg.default}' is not defined; allowed: {', '.join(reg.sets)}"
            f"{_did_you_mean(reg.default, reg.sets)}", file=file, line=_line(raw, ("default",)),
            key="default"))
    for name, spec in reg.sets.items():
        seen: set[str] = set()
        for i, t in enumerate(spec.targets):
            where = ("sets", name, "targets", i)
            if t.id in seen:
                problems.append(Problem(f"duplicate target id '{t.id}'", file=file,
                                        line=_line(raw, (*where, "id")), key=_key((*where, "id"))))
            seen.add(t.id)
            if t.metric not in reg.metrics:
                problems.append(Problem(
                    f"unknown metric '{t.metric}'; allowed: {', '.join(reg.metrics)}"
                    f"{_did_you_mean(t.metric, reg.metrics)}", file=file,
                    line=_line(raw, (*where, "metric")), key=_key((*where, "metric"))))
            elif reg.metrics[t.metric].units == "Dmnl" and abs(t.threshold) > 2:
                problems.append(Problem(
                    f"threshold {t.threshold:g} for dimensionless metric '{t.metric}' looks like a "
                    f"percentage; thresholds are fractions (did you mean {t.threshold / 100:g}?)",
                    file=file, line=_line(raw, (*where, "threshold")),
                    key=_key((*where, "threshold"))))
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
            f"the results do not contain{_did_you_mean(missing[0], list(map(str, ds.data_vars)))}",
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


def format_checks(checks: Iterable[TargetCheck]) -> str:
    """A plain-text table of checks (one line per target)."""
    lines = [f"{'target':28} {'condition':44} {'value':>10} {'met':>4} {'first':>5} {'gap':>10}"]
    for c in checks:
        fy = str(c.first_year_met) if c.first_year_met is not None else "-"
        lines.append(f"{c.target.id:28} {c.target.describe():44} {c.value:10.4g} "
                     f"{'yes' if c.met else 'no':>4} {fy:>5} {c.gap:10.4g}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Helpers: did-you-mean, plain data and YAML line numbers
# --------------------------------------------------------------------------------------------------


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _plain(node: Any) -> Any:
    """ruamel round-trip nodes → plain dict/list/scalars (values are data only, never executed)."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line(raw: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest key in ``loc`` that exists in the round-trip YAML tree."""
    node, line = raw, None
    for part in loc:
        try:
            if isinstance(node, Mapping) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        except (AttributeError, KeyError, TypeError):
            break
    return line


def _pydantic_problems(exc: ValidationError, raw: Any, file: Path) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            parent = _parent_fields(loc)
            msg = f"unknown key '{loc[-1]}'" + (
                f"; allowed: {', '.join(parent)}{_did_you_mean(str(loc[-1]), parent)}"
                if parent else "")
        elif "input" in err and not isinstance(err["input"], (dict, list)):
            msg += f" (given: {err['input']!r})"
        problems.append(Problem(msg, file=file, line=_line(raw, loc), key=_key(loc) or None))
    return problems


def _parent_fields(loc: tuple[Any, ...]) -> list[str]:
    """Allowed keys at the level of ``loc[-1]`` (for 'unknown key' messages)."""
    depth = len(loc)
    if depth == 1:
        return list(_Registry.model_fields)
    if loc[0] == "metrics" and depth == 3:
        return list(_MetricSpec.model_fields)
    if loc[0] == "sets" and depth == 3:
        return list(_SetSpec.model_fields)
    if loc[0] == "sets" and depth == 5:
        return list(_TargetSpec.model_fields)
    return []
