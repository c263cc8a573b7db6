"""Frozen schema of a scenario file and of the time paths levers and assumptions take.

A *path* is one of

- a number: a constant, e.g. ``127``;
- ``{value: 127, units: EUR/tCO2}``: a constant with its units stated (checked against the model);
- ``{knots: {2021: 30.48, 2030: 127}, interpolation: linear|step}``: values at given years, held
  constant before the first and after the last knot; ``step`` keeps each knot's value until the next;
- ``{ramp: {start: 2025, end: 2030, from: 0, to: 100}}``: ``from`` until ``start``, linear to ``to``
  at ``end``, held after;
- for subscripted variables, also ``{element: path, …}`` naming every element of the subscript
  (a plain path applies to all elements).

Every path form except a bare number takes an optional ``units`` that must equal the model's units.

**History is shared.** A scenario's levers take effect from ``policy_start`` (default
:data:`DEFAULT_POLICY_START` = 2025, the first year after the last observed data, 2024). Before it,
every scenario follows the historical lever paths of the *history scenario*: ``baseline`` in the
scenario's folder, or the scenario named by ``history:``. A lever neither sets follows the model's
default before ``policy_start``. ``validate`` reports a lever whose own path would change a year
before ``policy_start`` (the part that is not used); ``counterfactual_history: true`` says that the
scenario deliberately rewrites history, and then its own paths are used for every year.

Optional top-level blocks (``optimise:``, ``uncertainties:``) are declared in :data:`BLOCKS`, from
the schema modules beside this one (no analysis code is imported to read a scenario file); tests and
plug-ins may add more with :func:`register_block`. Unregistered top-level keys are rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from sdmission.schema import optimise, uncertainties

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
DEFAULT_POLICY_START = 2025.0
"""First year levers take effect by default: the year after the last observed data (2024)."""
DEFAULT_HISTORY = "baseline"
"""The scenario whose lever paths every other scenario follows before ``policy_start``."""


class Frozen(BaseModel):
    """Base of every schema model: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ValuePath(Frozen):
    """A constant with its units stated."""

    value: Number = Field(description="The constant value, in the model's units.")
    units: str | None = Field(None, description="Units; must equal the model's units if given.")

    def sample(self, times: NDArray[np.float64]) -> NDArray[np.float64]:
        """Values at ``times`` (shape ``(T,)``)."""
        return np.full(times.shape, self.value, dtype=float)

    def values(self) -> list[float]:
        """Every number the path can take (for the limits check)."""
        return [self.value]


class KnotsPath(Frozen):
    """Values at given years, interpolated between them and held outside them."""

    knots: dict[Number, Number] = Field(
        description="Year -> value, years strictly increasing.", min_length=1
    )
    interpolation: Literal["linear", "step"] = Field(
        "linear", description="'linear' between knots, or 'step' (hold until the next knot)."
    )
    units: str | None = Field(None, description="Units; must equal the model's units if given.")

    @model_validator(mode="after")
    def _increasing(self) -> KnotsPath:
        years = list(self.knots)
        for a, b in zip(years, years[1:], strict=False):
            if not b > a:
                raise ValueError(
                    f"knot years must increase (given {a:g} then {b:g}; allowed: each year "
                    "greater than the one before)"
                )
        return self

    def sample(self, times: NDArray[np.float64]) -> NDArray[np.float64]:
        """Values at ``times`` (shape ``(T,)``)."""
        years = np.array(list(self.knots), dtype=float)
        vals = np.array(list(self.knots.values()), dtype=float)
        if self.interpolation == "linear":
            return np.interp(times, years, vals)
        idx = np.searchsorted(years, times, side="right") - 1
        return vals[np.clip(idx, 0, len(vals) - 1)]

    def values(self) -> list[float]:
        """Every knot value (interpolation never leaves their range)."""
        return list(self.knots.values())


class Ramp(Frozen):
    """Linear change from ``from`` at ``start`` to ``to`` at ``end``."""

    start: Number = Field(description="Year the ramp starts.")
    end: Number = Field(description="Year the ramp ends (after start).")
    from_: Number = Field(alias="from", description="Value until start.")
    to: Number = Field(description="Value from end on.")

    @model_validator(mode="after")
    def _ordered(self) -> Ramp:
        if not self.end > self.start:
            raise ValueError(
                f"ramp end must come after start (given start {self.start:g}, end {self.end:g})"
            )
        return self


class RampPath(Frozen):
    """A ramp between two levels."""

    ramp: Ramp
    units: str | None = Field(None, description="Units; must equal the model's units if given.")

    def sample(self, times: NDArray[np.float64]) -> NDArray[np.float64]:
        """Values at ``times`` (shape ``(T,)``)."""
        r = self.ramp
        return np.interp(times, [r.start, r.end], [r.from_, r.to])

    def values(self) -> list[float]:
        """Both levels."""
        return [self.ramp.from_, self.ramp.to]


def _path_tag(v: Any) -> str | None:
    if isinstance(v, bool):
        return "constant"  # lets the number validator reject it with a clear type error
    if isinstance(v, int | float | str) or v is None:
        return "constant"
    if isinstance(v, BaseModel):
        return {ValuePath: "value", KnotsPath: "knots", RampPath: "ramp"}.get(type(v))
    if isinstance(v, dict):
        for key in ("knots", "ramp", "value"):
            if key in v:
                return key
        return "by_element"
    return None


ElementPath = Annotated[
    Annotated[Number, Tag("constant")] | Annotated[ValuePath, Tag("value")] | Annotated[KnotsPath, Tag("knots")] | Annotated[RampPath, Tag("ramp")],
    Discriminator(_path_tag),
]
"""A path for one variable or one element: number, value, knots or ramp."""

Path_ = Annotated[
    Annotated[Number, Tag("constant")] | Annotated[ValuePath, Tag("value")] | Annotated[KnotsPath, Tag("knots")] | Annotated[RampPath, Tag("ramp")] | Annotated[dict[str, ElementPath], Tag("by_element")],
    Discriminator(_path_tag),
]
"""A lever or assumption path: an element path, or ``{element: element path}``."""

PATH_TAGS = frozenset({"constant", "value", "knots", "ramp", "by_element"})
SinglePath = float | ValuePath | KnotsPath | RampPath
AnyPath = float | ValuePath | KnotsPath | RampPath | dict[str, Any]


def sample(path: SinglePath, times: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sample one (non-subscripted) path at ``times``; shape ``(T,)``."""
    if isinstance(path, int | float):
        return np.full(times.shape, float(path))
    return path.sample(times)


def path_values(path: SinglePath) -> list[float]:
    """The numbers a path can take (its range is their span)."""
    if isinstance(path, int | float):
        return [float(path)]
    return path.values()


def path_units(path: SinglePath) -> str | None:
    """Units stated in the path, if any."""
    return None if isinstance(path, int | float) else path.units


def is_constant(path: SinglePath) -> bool:
    """True for a number or ``{value: …}``."""
    return isinstance(path, int | float | ValuePath)


class TimeSettings(Frozen):
    """Overrides of the model's time settings."""

    final_time: Number | None = Field(
        None, description="Last simulated year (the model's INITIAL TIME and TIME STEP are kept)."
    )


class ScenarioFile(Frozen):
    """One scenario file as written (before ``extends`` is applied)."""

    name: str | None = Field(
        None, pattern=NAME_PATTERN, description="Scenario name; default: the file name's stem."
    )
    description: str = Field("", description="What the scenario represents.")
    sources: list[str] = Field(default_factory=list, description="Sources of the numbers used.")
    abstract: bool = Field(False, description="A base for others; `run` without arguments skips it.")
    model: str | None = Field(
        None, description="Model file relative to this file (default ../models/sdmission.mdl)."
    )
    extends: str | None = Field(
        None, description="Parent scenario: a name in the same folder or a relative path."
    )
    time: TimeSettings | None = Field(None, description="Overrides of the model's time settings.")
    levers: dict[str, Path_] = Field(default_factory=dict, description="Policy levers by py name.")
    assumptions: dict[str, Path_] = Field(
        default_factory=dict, description="Exogenous assumptions by py name."
    )
    targets: str | None = Field(None, description="Target set to check (default 'design').")
    label: str | None = Field(
        None, min_length=1, max_length=40,
        description="Display name in English figures (default: the shipped label or the name).",
    )
    label_nl: str | None = Field(
        None, min_length=1, max_length=40,
        description="Display name in Dutch figures (default: the shipped label or `label`).",
    )
    colour: str | None = Field(
        None, pattern=r"^#[0-9A-Fa-f]{6}$",
        description="Line colour in figures, '#RRGGBB' (default: a fixed colour per name).",
    )
    policy_start: Number | None = Field(
        None, description="First year the scenario's levers take effect; before it every lever "
        "follows the history scenario (default 2025, the year after the last observed data)."
    )
    history: str | None = Field(
        None, description="Scenario whose lever paths are the history before policy_start: a name "
        "in the same folder or a relative path (default 'baseline')."
    )
    counterfactual_history: bool | None = Field(
        None, description="true: the scenario rewrites history on purpose; its own lever paths are "
        "used for every year (default false)."
    )


# --- optional blocks ------------------------------------------------------------------------
BLOCKS: Mapping[str, type[BaseModel]] = {
    optimise.BLOCK_KEY: optimise.OptimiseSpec,
    uncertainties.BLOCK_KEY: uncertainties.UncertaintiesBlock,
}
"""The optional top-level blocks of a scenario file and the schema of each."""

_BLOCKS: dict[str, type[BaseModel]] = dict(BLOCKS)


def register_block(key: str, model: type[BaseModel]) -> None:
    """Allow a new top-level block (e.g. ``optimise``) validated by ``model``.

    The merged scenario keeps it in ``Scenario.blocks[key]``; a child's block replaces the
    parent's whole block.
    """
    if key in ScenarioFile.model_fields:
        raise ValueError(f"'{key}' is already a scenario field")
    _BLOCKS[key] = model


def registered_blocks() -> Mapping[str, type[BaseModel]]:
    """Optional top-level blocks: :data:`BLOCKS` plus any added with :func:`register_block`."""
    return dict(_BLOCKS)


def top_level_keys() -> list[str]:
    """Every top-level key a scenario file may use."""
    return [*ScenarioFile.model_fields, *_BLOCKS]


def allowed_keys(model: type[BaseModel]) -> list[str]:
    """Keys (aliases where set) of a schema model."""
    return [f.alias or name for name, f in model.model_fields.items()]
