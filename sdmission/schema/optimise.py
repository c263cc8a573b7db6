"""The ``optimise:`` block of a scenario file (schema only; the solver is :mod:`sdmission.analysis.optimise`).

Frozen pydantic models, unknown keys rejected. Importing this module imports no SciPy.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sdmission.schema.uncertainties import Sampler

#: Scenario-file key of the block.
BLOCK_KEY = "optimise"

_FROZEN = ConfigDict(frozen=True, extra="forbid")


def _check_window(window: tuple[int, int] | None) -> None:
    if window is not None and window[1] < window[0]:
        raise ValueError(f"window [{window[0]}, {window[1]}] is reversed; give [first, last]")


class LeverSearch(BaseModel):
    """One lever to search: its knot years and bounds (in the lever's model units)."""

    model_config = _FROZEN
    knots: tuple[int, ...] | None = Field(
        None, description="Years whose values are decision variables (increasing, >= start); "
        "omit for a lever that is one constant over the whole run.")
    bounds: tuple[float, float] | tuple[tuple[float, float], ...] = Field(
        description="[low, high] for every knot, or one [low, high] per knot.")

    @model_validator(mode="after")
    def _check(self) -> LeverSearch:
        knots = self.knots or ()
        found: list[str] = []  # every problem of the lever at once
        if any(b <= a for a, b in zip(knots, knots[1:], strict=False)):
            found.append(f"knot years must increase (given {list(knots)})")
        if not self.bounds:
            found.append("bounds must not be empty; give [low, high] or one [low, high] per knot")
        elif isinstance(self.bounds[0], tuple) and len(self.bounds) != max(1, len(knots)):
            found.append(f"{len(self.bounds)} bound pairs for {len(knots)} knots; give one pair "
                         "for all knots or one per knot")
        else:
            found += [f"bounds need low < high, both finite (given [{lo:g}, {hi:g}])"
                      for lo, hi in self.pairs()
                      if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo)]
        if found:
            raise ValueError("; ".join(found))
        return self

    def pairs(self) -> list[tuple[float, float]]:
        """One ``(low, high)`` per decision variable."""
        n = max(1, len(self.knots or ()))
        if isinstance(self.bounds[0], tuple):
            return [(float(a), float(b)) for a, b in self.bounds]
        lo, hi = self.bounds
        return [(float(lo), float(hi))] * n


class ObjectiveSpec(BaseModel):
    """What to minimise."""

    model_config = _FROZEN
    metric: str = Field("public_cost_total", description="Result variable (a rate, e.g. MEUR/Year).")
    kind: Literal["npv", "sum"] = Field("npv", description="'npv' discounts; 'sum' does not.")
    discount_rate: float = Field(ge=0.0, le=0.5, description="Real discount rate per year (0.03 = 3 %).")
    base_year: int | None = Field(None, description="Year discounted to (default: start).")
    window: tuple[int, int] | None = Field(None, description="[first, last] year summed "
                                           "(default: [start, final time]).")

    @model_validator(mode="after")
    def _window(self) -> ObjectiveSpec:
        _check_window(self.window)
        return self


class MethodSpec(BaseModel):
    """Differential-evolution and polish settings."""

    model_config = _FROZEN
    popsize: int = Field(10, ge=4, le=200, description="Population = popsize x decisions.")
    maxiter: int = Field(60, ge=1, le=10_000, description="DE generations at most.")
    tol: float = Field(1e-3, gt=0, description="DE relative convergence tolerance.")
    polish: bool = Field(True, description="SLSQP polish from the DE best.")
    seed: int = Field(1, ge=0, description="Random seed (the CLI's --seed overrides it).")


class ParetoSpec(BaseModel):
    """Trade-off between the objective and a second metric, subject to the targets."""

    model_config = _FROZEN
    metric: str = Field("industry_ghg", description="Second metric (a result variable).")
    aggregate: Literal["sum", "mean", "min", "max", "final"] = Field(
        "sum", description="'sum' over whole years = cumulative (e.g. Mt over the window).")
    sense: Literal["min", "max"] = Field("min", description="Whether less or more is better.")
    window: tuple[int, int] = Field((2020, 2050), description="[first, last] year.")

    @model_validator(mode="after")
    def _window(self) -> ParetoSpec:
        _check_window(self.window)
        return self
    points: int = Field(7, ge=3, le=40, description="Points on the front including both ends.")


class RobustSpec(BaseModel):
    """Chance constraints: every target met in at least a fraction ``p`` of sampled futures."""

    model_config = _FROZEN
    p: float = Field(gt=0.0, le=1.0, description="Required probability of meeting each target.")
    members: int = Field(64, ge=2, le=100_000, description="Futures N, drawn once and held fixed.")
    sampler: Sampler = Field("lhs", description="'lhs', 'sobol' or 'mc' (see sdmission.analysis.uncertainty).")
    seed: int = Field(1, ge=0, description="Seed of the futures (apart from the DE seed).")


class OptimiseSpec(BaseModel):
    """The ``optimise:`` block of a scenario file."""

    model_config = _FROZEN
    targets: str | None = Field(None, description="Target set (default: the scenario's, else 'design').")
    start: int = Field(description="First year a searched lever may differ from its base path.")
    levers: dict[str, LeverSearch] = Field(min_length=1, description="Levers by py name.")
    objective: ObjectiveSpec = Field(description="What to minimise, with the discount rate.")
    method: MethodSpec = Field(default_factory=lambda: MethodSpec.model_validate({}))
    pareto: ParetoSpec | None = Field(None, description="Omit to skip the trade-off front.")
    robust: RobustSpec | None = Field(None, description="Chance constraints over sampled futures "
                                      "(the scenario's uncertainties: block); omit for one future.")

    @model_validator(mode="after")
    def _knots_after_start(self) -> OptimiseSpec:
        found = [f"lever '{name}': first knot {lev.knots[0]} is before start {self.start}"
                 for name, lev in self.levers.items() if lev.knots and lev.knots[0] < self.start]
        if found:
            raise ValueError("; ".join(found))
        return self
