"""The model's time grid and default lever paths, read from the ``.mdl`` text.

# moves to model.source (engineer D): the one reader of a ``.mdl`` will offer the control
# variables and the default time paths; until then these functions keep their behaviour.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from sdmission.analysis.optimise.problem import FloatArray, Grid
from sdmission.errors import InputError, ModelError, Problem

_CONTROL = {"initial": "INITIAL TIME", "final": "FINAL TIME", "step": "TIME STEP", "saveper": "SAVEPER"}


def _py_name(real: str) -> str:
    return re.sub(r"\s+", "_", real.strip().lower())


def _equations(mdl_text: str) -> dict[str, str]:
    """``{py name: right-hand side}`` for un-subscripted equations of a Vensim model."""
    body = mdl_text.split("\\\\\\---///")[0]
    out: dict[str, str] = {}
    for chunk in body.split("|"):
        eq = chunk.split("~")[0].strip()
        if eq.startswith("{UTF-8}"):
            eq = eq[len("{UTF-8}"):].strip()
        m = re.match(r"^([A-Za-z][\w .]*?)\s*=\s*(.+)$", eq, re.S)
        if m and "[" not in m.group(1):
            out[_py_name(m.group(1))] = m.group(2).replace("\\\n", " ")
    return out


def read_grid(mdl_path: Path | str) -> Grid:
    """The four control variables of a ``.mdl`` (numbers only)."""
    eqs = _equations(Path(mdl_path).read_text(encoding="utf-8"))
    vals: dict[str, float] = {}
    for key, real in _CONTROL.items():
        rhs = eqs.get(_py_name(real), "")
        try:
            vals[key] = float(rhs.strip())
        except ValueError:
            raise ModelError(f"{mdl_path}: {real} must be a number for the optimiser "
                             f"(given '{rhs.strip()}')") from None
    return Grid(**vals)


def model_default_path(mdl_path: Path | str, py_name: str) -> tuple[FloatArray, FloatArray]:
    """Breakpoints ``(years, values)`` of a lever's default: a number or ``WITH LOOKUP(Time, …)``."""
    eqs = _equations(Path(mdl_path).read_text(encoding="utf-8"))
    rhs = eqs.get(py_name)
    if rhs is None:
        raise InputError([Problem(f"'{py_name}' is not a scalar variable of {mdl_path}",
                                  key=f"optimise.levers.{py_name}")])
    try:
        v = float(rhs.strip())
        return np.array([0.0]), np.array([v])
    except ValueError:
        pass
    m = re.match(r"\s*WITH\s+LOOKUP\s*\(\s*Time\s*,\s*\((.*)\)\s*\)\s*$", rhs, re.S | re.I)
    if not m:
        raise InputError([Problem(
            f"lever '{py_name}' must be a number or WITH LOOKUP(Time, …) in the model to be "
            f"optimised (given '{rhs.strip()[:60]}')", key=f"optimise.levers.{py_name}")])
    pts = re.findall(r"\(\s*([-+\d.eE]+)\s*,\s*([-+\d.eE]+)\s*\)", re.sub(r"\[.*?\]", "", m.group(1)))
    return np.array([float(x) for x, _ in pts]), np.array([float(y) for _, y in pts])

