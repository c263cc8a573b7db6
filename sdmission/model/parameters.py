"""The model's parameter table, read from the tags in its equation comments.

Every constant of a project model carries a tag at the start of its comment:

``[parameter]``   uncertain parameter; the comment names its source or says 'assumption' and ends
                  with ``range [low, high]`` (absolute), ``[0.7x, 1.3x]`` (relative factors),
                  ``[+-50 %]`` (relative) or ``[+-0.15]`` (absolute offset);
``[calibrated]``  as ``[parameter]``, fitted by ``python -m sdmission calibrate --fit``;
``[data]``        an observed value, not sampled;
``[structure]``   a structural flag, index or unit conversion;
``[lever]`` / ``[assumption]``  scenario inputs (see ``sdmission.scenario``).

The table (one row per parameter and subscript element) feeds the uncertainty analysis (low/high)
and the model README.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sdmission.errors import ModelError
from sdmission.model import translate

TAGS = ("parameter", "calibrated", "data", "structure", "lever", "assumption")
UNCERTAIN_TAGS = ("parameter", "calibrated")
_TAG = re.compile(r"^\s*\[(\w+)\]")
_RANGE = re.compile(r"range\s*\[([^\]]+)\]", re.IGNORECASE)
_NUM = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"


@dataclass(frozen=True)
class Parameter:
    """One row of the parameter table (a scalar, or one element of a subscripted constant)."""

    name: str  # PySD python name
    real_name: str
    element: str  # "" for scalars, "a" or "a,b" for subscripted constants
    value: float
    units: str
    low: float
    high: float
    kind: str  # one of TAGS
    source: str


def tag_of(comment: str) -> str | None:
    """The tag a comment starts with (``parameter``, ``lever``, …), or None."""
    m = _TAG.match(comment or "")
    return m.group(1).lower() if m and m.group(1).lower() in TAGS else None


def parse_range(text: str, value: float) -> tuple[float, float]:
    """Low and high from a range spec (``'1, 2.5'``, ``'0.7x, 1.3x'``, ``'+-50 %'``, ``'+-0.15'``)."""
    spec = text.strip()
    if m := re.fullmatch(rf"\+-\s*({_NUM})\s*%", spec):
        d = abs(value) * float(m.group(1)) / 100
        return value - d, value + d
    if m := re.fullmatch(rf"\+-\s*({_NUM})", spec):
        d = float(m.group(1))
        return value - d, value + d
    if m := re.fullmatch(rf"({_NUM})\s*x\s*,\s*({_NUM})\s*x", spec):
        a, b = value * float(m.group(1)), value * float(m.group(2))
        return min(a, b), max(a, b)
    if m := re.fullmatch(rf"({_NUM})\s*,\s*({_NUM})", spec):
        return float(m.group(1)), float(m.group(2))
    raise ValueError(f"cannot read range [{text}]")


def parameter_table(mdl_path: Path | str) -> list[Parameter]:
    """Rows for every tagged constant of the model (levers and assumptions excluded).

    Raises ModelError listing every constant without a tag and every uncertain parameter without a
    readable range or with its value outside the range.
    """
    model = translate.load(mdl_path)
    doc = model.doc
    rows: list[Parameter] = []
    problems: list[str] = []
    for _, r in doc.iterrows():
        if r["Type"] != "Constant" or r["Py Name"] in ("initial_time", "final_time", "time_step", "saveper"):
            continue
        comment = str(r["Comment"]) if isinstance(r["Comment"], str) else ""
        kind = tag_of(comment)
        if kind is None:
            problems.append(f"{r['Real Name']}: constant without a tag ([parameter], [data], …)")
            continue
        if kind in ("lever", "assumption"):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = getattr(model.components, r["Py Name"])()
        values: list[tuple[str, float]]
        if hasattr(raw, "dims") and raw.dims:
            flat = raw.stack(_e=raw.dims) if len(raw.dims) > 1 else raw.rename({raw.dims[0]: "_e"})
            values = [
                (",".join(map(str, np.atleast_1d(k))) if len(raw.dims) > 1 else str(k), float(v))
                for k, v in zip(flat["_e"].values, flat.values)
            ]
        else:
            values = [("", float(raw))]
        body = _TAG.sub("", comment, count=1).strip()
        ranges = _RANGE.findall(body)
        for element, value in values:
            low = high = value
            if kind in UNCERTAIN_TAGS:
                if not ranges:
                    problems.append(f"{r['Real Name']}: [{kind}] without 'range [low, high]'")
                    continue
                try:
                    low, high = parse_range(ranges[-1], value)
                except ValueError as exc:
                    problems.append(f"{r['Real Name']}: {exc}")
                    continue
                if not low <= value <= high:
                    problems.append(
                        f"{r['Real Name']}{'[' + element + ']' if element else ''}: value {value:g} "
                        f"outside its range [{low:g}, {high:g}]"
                    )
            rows.append(
                Parameter(
                    name=r["Py Name"], real_name=r["Real Name"], element=element, value=value,
                    units=str(r["Units"]), low=low, high=high, kind=kind,
                    source=" ".join(body.replace("\\", " ").split()),
                )
            )
    if problems:
        raise ModelError("parameter table problems in " + str(mdl_path) + ":\n  " + "\n  ".join(problems))
    return rows


def to_csv(rows: list[Parameter]) -> str:
    """The table as CSV text (columns: name, element, value, units, low, high, kind, source)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "element", "value", "units", "low", "high", "kind", "source"])
    for p in rows:
        w.writerow([p.name, p.element, f"{p.value:.6g}", p.units, f"{p.low:.6g}", f"{p.high:.6g}", p.kind, p.source])
    return buf.getvalue()
