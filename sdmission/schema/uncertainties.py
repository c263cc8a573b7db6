"""The ``uncertainties:`` block of a scenario file (schema only).

Its resolution against a model's parameter table and the sampling live in
:mod:`sdmission.analysis.uncertainty`; importing this module imports no SciPy.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Scenario-file key of the block.
BLOCK_KEY: Final = "uncertainties"

Distribution = Literal["uniform", "triangular", "truncnormal", "discrete"]
Sampler = Literal["lhs", "sobol", "mc"]
SAMPLERS: Final[tuple[str, ...]] = ("lhs", "sobol", "mc")

Number = Annotated[float, Field(strict=False, allow_inf_nan=False)]
_ONLY_FOR: Final[dict[str, tuple[str, ...]]] = {
    "low": ("uniform", "triangular", "truncnormal"),
    "high": ("uniform", "triangular", "truncnormal"),
    "mode": ("triangular",),
    "mean": ("truncnormal",),
    "sd": ("truncnormal",),
    "values": ("discrete",),
    "weights": ("discrete",),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class UncertaintyEntry(_Frozen):
    """One uncertain parameter (or one element of it) and its distribution."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="PySD python name.")
    element: str | None = Field(
        None, description="Element of a subscripted parameter ('a' or 'a,b'); omitted = every element."
    )
    distribution: Distribution = Field("uniform", description="Distribution family.")
    low: Number | None = Field(None, description="Lower bound (default: the table's low).")
    high: Number | None = Field(None, description="Upper bound (default: the table's high).")
    mode: Number | None = Field(None, description="Triangular mode (default: the model's value).")
    mean: Number | None = Field(None, description="Truncated-normal mean (default: model value).")
    sd: Number | None = Field(None, gt=0, description="Truncated-normal sd (default: range / 4).")
    values: tuple[Number, ...] | None = Field(None, min_length=1, description="Discrete values.")
    weights: tuple[Annotated[float, Field(ge=0, allow_inf_nan=False)], ...] | None = Field(
        None, description="Discrete weights (default: equal); normalised to sum 1."
    )

    @model_validator(mode="after")
    def _keys_fit_distribution(self) -> UncertaintyEntry:
        wrong = [k for k, fams in _ONLY_FOR.items()
                 if getattr(self, k) is not None and self.distribution not in fams]
        if wrong:
            raise ValueError(
                f"key(s) {', '.join(wrong)} do not apply to distribution '{self.distribution}' "
                f"(given {', '.join(wrong)}; allowed for {self.distribution}: "
                f"{', '.join(k for k, f in _ONLY_FOR.items() if self.distribution in f) or 'none'})"
            )
        if self.distribution == "discrete":
            if self.values is None:
                raise ValueError("distribution 'discrete' needs 'values' (a list of numbers)")
            if self.weights is not None:
                if len(self.weights) != len(self.values):
                    raise ValueError(
                        f"'weights' must have one entry per value (given {len(self.weights)} "
                        f"weights for {len(self.values)} values)")
                if sum(self.weights) <= 0:
                    raise ValueError("'weights' must not all be zero")
        return self


class UncertaintiesBlock(_Frozen):
    """The ``uncertainties:`` block of a scenario file."""

    defaults: Literal["all", "none"] = Field(
        "none", description="'all': every uncertain row of the parameter table, uniform low..high."
    )
    exclude: tuple[str, ...] = Field(
        (), description="Parameters (py names) left out of 'defaults: all'."
    )
    parameters: tuple[UncertaintyEntry, ...] = Field(
        (), description="Explicit entries; they replace the default entry of the same parameter."
    )
