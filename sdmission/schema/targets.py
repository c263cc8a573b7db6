"""Schema of the target-set registry (``sdmission/data/targets.yaml``): frozen, unknown keys rejected.

Loading, cross-checks and the checks of results against targets are in :mod:`sdmission.study.targets`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Sense = Literal["<=", ">="]

_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class MetricSpec(BaseModel):
    """A result variable targets may name, with its units and plot labels."""

    model_config = _FROZEN
    units: str = Field(min_length=1, description="Units as in the model (Vensim units).")
    label: str = Field(min_length=1, description="Axis/legend label, English.")
    label_nl: str = Field(min_length=1, description="Axis/legend label, Dutch.")


class TargetSpec(BaseModel):
    """One target of a set: ``metric`` in ``year`` must be ``sense`` ``threshold``."""

    model_config = _FROZEN
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Unique within its set; kebab-case.")
    metric: str = Field(description="A name under `metrics:`.")
    year: int = Field(ge=1990, le=2100, description="Calendar year the target applies to.")
    sense: Sense = Field(description="'>=' at least, '<=' at most.")
    threshold: float = Field(allow_inf_nan=False, description="In the metric's units.")
    label: str = Field(min_length=1)
    label_nl: str = Field(min_length=1)


class SetSpec(BaseModel):
    """A named set of targets with its description and source."""

    model_config = _FROZEN
    description: str = Field(min_length=1)
    source: str = Field(min_length=1, description="Where the numbers come from (copied text, URLs).")
    targets: tuple[TargetSpec, ...] = Field(min_length=1)


class Registry(BaseModel):
    """The whole registry file (``sdmission/data/targets.yaml``)."""

    model_config = _FROZEN
    version: Literal[1]
    default: str
    metrics: dict[str, MetricSpec] = Field(min_length=1)
    sets: dict[str, SetSpec] = Field(min_length=1)

    @field_validator("sets")
    @classmethod
    def _set_names(cls, v: dict[str, SetSpec]) -> dict[str, SetSpec]:
        bad = [k for k in v if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", k)]
        if bad:
            raise ValueError(f"set names must be kebab-case (a-z, 0-9, '-'); got {bad}")
        return v
