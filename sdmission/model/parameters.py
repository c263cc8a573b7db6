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
from dataclasses import dataclass
from pathlib import Path

from sdmission.errors import ModelError
from sdmission.model import source
from sdmission.model.section import BuiltElement, built_section
from sdmission.model.source import CONTROLS, strip_tag

TAGS = ("parameter", "calibrated", "data", "structure", "lever", "assumption")
UNCERTAIN_TAGS = ("parameter", "calibrated")
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
    tag = source.tag_of(comment)
    return tag if tag in TAGS else None


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

    Built from the model as data (``model.section``): values are evaluated from the syntax tree, no
    generated code runs. Raises ModelError listing every constant without a tag and every uncertain
    parameter without a readable range or with its value outside the range.
    """
    section = built_section(mdl_path)
    rows: list[Parameter] = []
    problems: list[str] = []
    for el in sorted(section.elements, key=lambda e: e.name):  # PySD's doc order
        if el.type != "Constant" or el.py_name in CONTROLS:
            continue
        kind = tag_of(el.comment)
        if kind is None:
            problems.append(f"{el.name}: constant without a tag ([parameter], [data], …)")
            continue
        if kind in ("lever", "assumption"):
            continue
        try:
            values = section.constant_values(el)
        except ModelError as exc:
            problems.append(str(exc))
            continue
        rows += _rows(el, kind, values, problems)
    if problems:
        raise ModelError("parameter table problems in " + str(mdl_path) + ":\n  " + "\n  ".join(problems))
    return rows


def _rows(el: BuiltElement, kind: str, values: list[tuple[str, float]], problems: list[str]) -> list[Parameter]:
    """The table rows of one constant (one per subscript element); problems are appended."""
    body = strip_tag(el.comment)
    ranges = _RANGE.findall(body)
    rows: list[Parameter] = []
    for element, value in values:
        low = high = value
        if kind in UNCERTAIN_TAGS:
            if not ranges:
                problems.append(f"{el.name}: [{kind}] without 'range [low, high]'")
                continue
            try:
                low, high = parse_range(ranges[-1], value)
            except ValueError as exc:
                problems.append(f"{el.name}: {exc}")
                continue
            if not low <= value <= high:
                problems.append(
                    f"{el.name}{'[' + element + ']' if element else ''}: value {value:g} "
                    f"outside its range [{low:g}, {high:g}]"
                )
        rows.append(Parameter(
            name=el.py_name, real_name=el.name, element=element, value=value,
            units=el.units or "None",  # as str() of PySD's doc entry for a constant without units
            low=low, high=high, kind=kind, source=" ".join(body.replace("\\", " ").split()),
        ))
    return rows


def to_csv(rows: list[Parameter]) -> str:
    """The table as CSV text (columns: name, element, value, units, low, high, kind, source)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "element", "value", "units", "low", "high", "kind", "source"])
    for p in rows:
        w.writerow([p.name, p.element, f"{p.value:.6g}", p.units, f"{p.low:.6g}", f"{p.high:.6g}", p.kind, p.source])
    return buf.getvalue()
