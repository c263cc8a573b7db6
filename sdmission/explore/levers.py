"""The explorer's controls and how a control setting becomes a scenario path.

Pure functions on plain data and the scenario schema's path objects; no model, engine or web code.

A *control* belongs to one ``[lever]`` (or ``[assumption]``) of the model. Its setting says *how
much* (``level``, in the model's units) and *when* (``start`` year, ``ramp`` years): the starting
scenario's path is kept before ``start``; from ``start`` the value moves to ``level`` over ``ramp``
years and is held after. For a subscripted lever (``regional_experiments[cluster]``) ``level`` is
the total over the elements, split in the proportions the starting scenario has at ``start``.
A lever measured in years (``conventional_phaseout_year``) is a plain constant: ``level`` only.

Paths are written in the forms of :mod:`sdmission.schema.scenario`, so a saved scenario says in its
own words what the explorer ran:

- starting path constant up to ``start``: ``{ramp: {start, end, from, to}}`` (``ramp > 0``) or
  ``{knots: {t0: old, start: level}, interpolation: step}`` (``ramp == 0``);
- a ``step`` knots path: its knots before ``start``, then yearly steps to ``level``;
- a ``linear`` knots or ramp path: its knots before ``start``, a knot on the old path at ``start``
  and one at ``level`` at ``start + ramp`` (``ramp == 0``: a knot one TIME STEP before ``start``).

Every one of these equals the starting path on the integration grid before ``start``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sdmission.schema import scenario as schema

#: First year a control's change may take effect (the present: earlier years are observed history).
FIRST_START = 2025
#: Start year a control shows before it is moved.
DEFAULT_START = 2026
#: Longest ramp a control offers (years).
MAX_RAMP = 25

Section = Literal["levers", "assumptions"]

#: Instrument families, in the order the page shows them, and the levers of each (model py names).
#: A lever of the model that is in no family is shown under ``other``; assumptions under
#: ``assumptions`` (the EU ETS price first).
FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pricing", ("co2_levy_tariff", "levy_dispensation_factor", "levy_ets_deduction")),
    ("finance", ("invest_nl_equity", "invest_nl_industry_share", "sde_budget", "sde_max_intensity")),
    ("market", ("innovation_procurement",)),
    ("knowledge", ("rd_support", "rd_mission_share", "topsector_exclusivity")),
    ("regulation", ("emission_standard", "conventional_phaseout_year", "recycled_content_mandate")),
    ("governance", ("governance_capacity_target", "regional_experiments", "compensation")),
)
OTHER_FAMILY = "other"
ASSUMPTION_FAMILY = "assumptions"
FIRST_ASSUMPTIONS = ("eu_ets_price",)
FAMILY_ORDER: tuple[str, ...] = (*(f for f, _ in FAMILIES), OTHER_FAMILY, ASSUMPTION_FAMILY)


def family_of(name: str, section: Section) -> str:
    """The family a lever or assumption is shown in."""
    if section == "assumptions":
        return ASSUMPTION_FAMILY
    for family, names in FAMILIES:
        if name in names:
            return family
    return OTHER_FAMILY


@dataclass(frozen=True)
class Control:
    """One control of the page.

    Attributes
    ----------
    name
        The model's python name.
    section
        ``levers`` or ``assumptions`` (where a scenario file sets it).
    family
        Instrument family (see :data:`FAMILIES`).
    units
        The model's units.
    low, high
        Bounds of ``level``: the model's limits (for a subscripted lever: of the total, so that no
        element leaves its limits when split in the starting proportions).
    element_limits
        The model's limits of one element (equal to ``(low, high)`` for a scalar).
    step
        Slider resolution, in ``units``.
    timed
        Whether the control has *when* settings (false for a lever measured in years).
    elements
        Subscript elements, ``()`` for a scalar.
    base
        The starting scenario's path: a schema path, or ``{element: path}``.
    """

    name: str
    section: Section
    family: str
    units: str
    low: float
    high: float
    element_limits: tuple[float, float]
    step: float
    timed: bool
    elements: tuple[str, ...]
    base: Any


@dataclass(frozen=True)
class Setting:
    """How much (``level``) and when (``start`` year, ``ramp`` years)."""

    level: float
    start: int = DEFAULT_START
    ramp: int = 0


class SettingError(ValueError):
    """One or more settings out of bounds; ``messages`` holds one line per problem."""

    def __init__(self, messages: Sequence[str]):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


# --- building controls ---------------------------------------------------------------------------
def nice_step(low: float, high: float) -> float:
    """A power of ten giving about 1,000-10,000 positions over ``[low, high]`` (1 EUR/t for the levy)."""
    span = high - low
    if not span > 0:
        return 1.0
    return float(10.0 ** math.floor(math.log10(span / 1000.0)))


def make_control(
    name: str,
    section: Section,
    units: str,
    limits: tuple[float | None, float | None],
    base: Any,
    elements: Sequence[str] = (),
    *,
    start: float = DEFAULT_START,
) -> Control:
    """A control for one model variable with limits ``limits`` and starting path ``base``.

    Open limits are closed at ten times the largest value of the starting path (at least 1).
    """
    top = max(1.0, 10.0 * max((abs(v) for v in _all_values(base)), default=0.0))
    lo = 0.0 if limits[0] is None and limits[1] is not None and limits[1] > 0 else (
        limits[0] if limits[0] is not None else -top)
    hi = limits[1] if limits[1] is not None else top
    low, high = float(lo), float(hi)
    elements = tuple(elements)
    if elements:
        share = shares(base, elements, float(start))
        biggest = max(share.values())
        high = high / biggest if biggest > 0 else high * len(elements)
        low = low * len(elements) if low < 0 else low
    timed = "".join(units.split()).lower() != "year"
    step = 1.0 if not timed else nice_step(low, high)
    return Control(name=name, section=section, family=family_of(name, section), units=units,
                   low=low, high=high, element_limits=(float(lo), float(hi)), step=step, timed=timed,
                   elements=elements, base=base)


def _all_values(base: Any) -> list[float]:
    if isinstance(base, dict):
        return [v for p in base.values() for v in schema.path_values(p)]
    return schema.path_values(base)


# --- sampling the starting path ----------------------------------------------------------------
def sample(base: Any, times: NDArray[np.float64], elements: Sequence[str] = ()) -> NDArray[np.float64]:
    """The starting path at ``times``; a subscripted one summed over ``elements``. Shape ``(T,)``."""
    if isinstance(base, dict):
        return np.asarray(np.sum([schema.sample(base[e], times) for e in elements], axis=0), dtype=np.float64)
    return schema.sample(base, times)


def value_at(path: schema.SinglePath, t: float) -> float:
    """One path's value at year ``t``."""
    return float(schema.sample(path, np.array([float(t)]))[0])


def shares(base: Any, elements: Sequence[str], t: float) -> dict[str, float]:
    """Each element's share of the total at year ``t`` (equal shares when the total is 0)."""
    if not isinstance(base, dict):
        return {e: 1.0 / len(elements) for e in elements}
    vals = {e: value_at(base[e], t) for e in elements}
    total = sum(vals.values())
    if not total > 0:
        return {e: 1.0 / len(elements) for e in elements}
    return {e: v / total for e, v in vals.items()}


def base_level(control: Control, setting_start: float, ramp: float = 0.0) -> float:
    """The starting scenario's value (a subscripted lever: its total) at ``start + ramp``."""
    t = setting_start + ramp if control.timed else setting_start
    return float(sample(control.base, np.array([float(t)]), control.elements)[0])


# --- checking a setting ----------------------------------------------------------------------------
def parse_setting(control: Control, raw: Mapping[str, Any], final_time: float) -> Setting:
    """A :class:`Setting` from client data; every problem at once in a :class:`SettingError`."""
    problems: list[str] = []
    unknown = sorted(set(raw) - {"level", "start", "ramp"})
    if unknown:
        problems.append(f"{control.name}: unknown setting(s) {', '.join(unknown)}; allowed: level, start, ramp")
    level = _number(raw.get("level"), f"{control.name}.level", problems)
    start = _number(raw.get("start", DEFAULT_START), f"{control.name}.start", problems)
    ramp = _number(raw.get("ramp", 0), f"{control.name}.ramp", problems)
    if level is not None and not control.low <= level <= control.high:
        problems.append(f"{control.name}: level {level:g} outside the model's limits "
                        f"[{control.low:g}, {control.high:g}] {control.units}".rstrip())
    if control.timed:
        if start is not None and not (start.is_integer() and FIRST_START <= start <= final_time):
            problems.append(f"{control.name}: start {start:g} must be a whole year in "
                            f"[{FIRST_START}, {final_time:g}]")
        if ramp is not None and not (ramp.is_integer() and 0 <= ramp <= MAX_RAMP):
            problems.append(f"{control.name}: ramp {ramp:g} must be a whole number of years in [0, {MAX_RAMP}]")
    if control.elements and level is not None and start is not None and not problems:
        lo, hi = control.element_limits
        for e, s in shares(control.base, control.elements, start).items():
            if not lo <= level * s <= hi:
                problems.append(f"{control.name}[{e}]: {level * s:g} outside the model's limits "
                                f"[{lo:g}, {hi:g}] {control.units}")
    if problems:
        raise SettingError(problems)
    assert level is not None and start is not None and ramp is not None  # noqa: S101 - narrowed above
    if not control.timed:
        return Setting(level=level, start=DEFAULT_START, ramp=0)
    return Setting(level=level, start=int(start), ramp=int(ramp))


def _number(value: Any, key: str, problems: list[str]) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append(f"{key}: expected a finite number, given {value!r}")
        return None
    return float(value)


# --- a setting as a scenario path ----------------------------------------------------------------
def _clean(x: float) -> float | int:
    """``x`` to 10 significant digits, whole numbers as ints (a readable YAML file)."""
    y = float(f"{x:.10g}")
    return int(y) if y.is_integer() and abs(y) < 1e15 else y


def _knots(path: schema.SinglePath) -> tuple[dict[float, float], str] | None:
    """Knots and interpolation of a knots or ramp path; None for a constant."""
    if isinstance(path, schema.KnotsPath):
        return dict(path.knots), path.interpolation
    if isinstance(path, schema.RampPath):
        r = path.ramp
        return {r.start: r.from_, r.end: r.to}, "linear"
    return None


def single_path(
    base: schema.SinglePath, level: float, start: float, ramp: float, t0: float, dt: float
) -> Any:
    """A plain-data path: ``base`` before ``start``, then to ``level`` over ``ramp`` years.

    Parameters
    ----------
    base
        The starting path (schema object or number), in the model's units.
    level
        The value reached at ``start + ramp``.
    start, ramp
        Years (whole numbers).
    t0, dt
        The model's INITIAL TIME and TIME STEP (Year).
    """
    old = value_at(base, start)
    grid = np.asarray(t0 + dt * np.arange(max(0, int(round((start - t0) / dt))) + 1), dtype=np.float64)
    grid = grid[grid < start]
    knots_interp = _knots(base)
    flat = grid.size == 0 or bool(np.all(schema.sample(base, grid) == old))
    if knots_interp is None or flat:
        if start <= t0:
            return _clean(level) if ramp == 0 else {
                "ramp": {"start": _clean(start), "end": _clean(start + ramp), "from": _clean(old), "to": _clean(level)}}
        if ramp == 0:
            return {"knots": {_clean(t0): _clean(old), _clean(start): _clean(level)}, "interpolation": "step"}
        return {"ramp": {"start": _clean(start), "end": _clean(start + ramp), "from": _clean(old),
                         "to": _clean(level)}}
    knots, interp = knots_interp
    out: dict[float | int, float | int] = {}
    if interp == "step":
        before = {y: v for y, v in knots.items() if y < start}
        if not before and t0 < start:
            before = {t0: value_at(base, t0)}
        out.update({_clean(y): _clean(v) for y, v in before.items()})
        if ramp == 0:
            out[_clean(start)] = _clean(level)
        else:
            for k in range(int(ramp) + 1):
                out[_clean(start + k)] = _clean(old + (level - old) * k / ramp)
        return {"knots": out, "interpolation": "step"}
    edge = start - dt if ramp == 0 else start
    before = {y: v for y, v in knots.items() if y < edge}
    out.update({_clean(y): _clean(v) for y, v in before.items()})
    if ramp == 0:
        out[_clean(edge)] = _clean(value_at(base, edge))
        out[_clean(start)] = _clean(level)
    else:
        out[_clean(start)] = _clean(old)
        out[_clean(start + ramp)] = _clean(level)
    return {"knots": out, "interpolation": "linear"}


def control_path(control: Control, setting: Setting, t0: float, dt: float) -> Any:
    """The plain-data path a setting gives (``{element: path}`` for a subscripted lever)."""
    if not control.timed:
        value = _clean(setting.level)
        if control.elements:
            return {e: _clean(setting.level * s) for e, s in
                    shares(control.base, control.elements, DEFAULT_START).items()}
        return value
    if control.elements:
        split = shares(control.base, control.elements, setting.start)
        base = control.base if isinstance(control.base, dict) else {e: control.base for e in control.elements}
        return {e: single_path(base[e], setting.level * split[e], setting.start, setting.ramp, t0, dt)
                for e in control.elements}
    return single_path(control.base, setting.level, setting.start, setting.ramp, t0, dt)


def changed_paths(
    controls: Mapping[str, Control],
    settings: Mapping[str, Mapping[str, Any]],
    *,
    t0: float,
    dt: float,
    final_time: float,
) -> dict[Section, dict[str, Any]]:
    """``{"levers": {name: path}, "assumptions": {name: path}}`` for the changed controls.

    Raises :class:`SettingError` with every problem (unknown names, out-of-bounds settings).
    """
    out: dict[Section, dict[str, Any]] = {"levers": {}, "assumptions": {}}
    problems: list[str] = []
    for name, raw in settings.items():
        control = controls.get(name)
        if control is None:
            problems.append(f"{name}: not a lever or assumption of the model")
            continue
        if not isinstance(raw, Mapping):
            problems.append(f"{name}: expected {{level, start, ramp}}, given {raw!r}")
            continue
        try:
            setting = parse_setting(control, raw, final_time)
        except SettingError as exc:
            problems += exc.messages
            continue
        out[control.section][name] = control_path(control, setting, t0, dt)
    if problems:
        raise SettingError(problems)
    return out


def describe_change(control: Control, raw: Mapping[str, Any], label: str) -> str:
    """One line for a saved scenario's description, e.g. ``CO₂ levy: 200 EUR/tCO2 from 2027``."""
    level = float(raw["level"])
    if not control.timed:
        return f"{label}: {_clean(level)} {control.units}".rstrip()
    start, ramp = int(raw.get("start", DEFAULT_START)), int(raw.get("ramp", 0))
    when = f"from {start}" if ramp == 0 else f"from {start}, reached in {start + ramp}"
    what = "total " if control.elements else ""
    return f"{label}: {what}{_clean(level)} {control.units} {when}"
