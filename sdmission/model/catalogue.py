"""The model's variable table: one row per variable, as PySD's ``model.doc`` lists them.

The scenario layer checks names, kinds and limits against this table; the results layer takes
``units`` and ``long_name`` from it. The *kind* comes from the tag the model's comment starts with
(``[lever]``, ``[assumption]``) and otherwise from PySD's type (stocks, constants, auxiliaries).

The table is built from PySD's abstract model and builder metadata (``model.section``): no code
generated from the model is imported or run, so a crafted ``.mdl`` comment cannot execute (issue
#13). ``tests/unit/test_catalogue.py`` checks it equals the table read from the loaded PySD model.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sdmission.errors import ModelError
from sdmission.model import source
from sdmission.model.source import CONTROL_VARS, strip_tag, tag_of

Kind = Literal["lever", "assumption", "parameter", "stock", "aux", "control"]
KINDS: tuple[Kind, ...] = ("lever", "assumption", "parameter", "stock", "aux", "control")



@dataclass(frozen=True)
class Variable:
    """One model variable.

    Attributes
    ----------
    py_name, real_name
        PySD python name and the Vensim name.
    units
        Vensim units string ('' when none).
    limits
        ``(low, high)`` from the units field; ``None`` for an open side.
    kind
        lever, assumption, parameter (constant), stock (INTEG), aux (everything else), control.
    dims
        Subscript dimension names in the model's order (``()`` for scalars).
    coords
        Elements per dim, e.g. ``{"cluster": ("Rotterdam_Moerdijk", …)}``.
    comment
        The Vensim comment without its ``[tag]``.
    pysd_type, pysd_subtype
        PySD's Type and Subtype columns ('' when missing).
    """

    py_name: str
    real_name: str
    units: str
    limits: tuple[float | None, float | None]
    kind: Kind
    dims: tuple[str, ...] = ()
    coords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    comment: str = ""
    pysd_type: str = ""
    pysd_subtype: str = ""

    def within_limits(self, value: float) -> bool:
        """True when ``value`` lies in ``[low, high]`` (open sides always pass)."""
        low, high = self.limits
        return (low is None or value >= low) and (high is None or value <= high)

    def limits_text(self) -> str:
        """Limits as ``[low, high]`` with ``-inf``/``inf`` for open sides."""
        low, high = self.limits
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        return f"[{lo}, {hi}]"


def _clean_limit(x: Any) -> float | None:
    if x is None:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def classify(py_name: str, comment: str, pysd_type: str, pysd_subtype: str) -> Kind:
    """The kind of a variable from its comment tag and PySD type."""
    if py_name in CONTROL_VARS:
        return "control"
    tag = tag_of(comment)
    if tag == "lever":
        return "lever"
    if tag == "assumption":
        return "assumption"
    if pysd_type == "Stateful" and pysd_subtype == "Integ":
        return "stock"
    if pysd_type == "Constant":
        return "parameter"
    return "aux"


class Catalogue(Mapping[str, Variable]):
    """Read-only mapping ``py_name -> Variable`` with look-up helpers."""

    def __init__(
        self,
        variables: Mapping[str, Variable],
        *,
        source: str = "",
        time: Mapping[str, float] | None = None,
    ):
        self._vars = dict(variables)
        self.source = source
        #: The model's control values: initial_time, final_time, time_step, saveper (Year).
        self.time: dict[str, float] = dict(time or {})

    def time_grid(self, final_time: float | None = None) -> NDArray[np.float64]:
        """Integration grid ``initial_time + k * time_step`` up to ``final_time`` (shape ``(T,)``)."""
        t0 = self.time["initial_time"]
        dt = self.time["time_step"]
        t1 = self.time["final_time"] if final_time is None else final_time
        n = int(round((t1 - t0) / dt))
        return t0 + dt * np.arange(n + 1, dtype=float)

    def __getitem__(self, key: str) -> Variable:
        return self._vars[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._vars)

    def __len__(self) -> int:
        return len(self._vars)

    def of_kind(self, *kinds: Kind) -> list[Variable]:
        """Variables of the given kinds, in table order."""
        return [v for v in self._vars.values() if v.kind in kinds]

    def suggest(self, name: str, *kinds: Kind, n: int = 1) -> list[str]:
        """Closest py names (optionally only of ``kinds``) to a misspelt ``name``."""
        pool = [v.py_name for v in self._vars.values() if not kinds or v.kind in kinds]
        return difflib.get_close_matches(name, pool, n=n, cutoff=0.6)


def _builder_limits(limits: Any) -> tuple[float | None, float | None]:
    """Limits as PySD's builder writes them into the generated code and the catalogue reads them."""
    if not limits or tuple(limits) == (None, None):
        return (None, None)
    return (_clean_limit(limits[0]), _clean_limit(limits[1]))


#: The row PySD adds for ``Time`` to every model's doc table.
TIME_ROW = Variable(py_name="time", real_name="Time", units="", limits=(None, None), kind="control",
                    comment="Current time of the model.")


@functools.lru_cache(maxsize=16)
def _from_source(path: str, digest: str) -> Catalogue:
    """The catalogue from PySD's abstract model and builder (strings only: no generated code runs)."""
    from sdmission.model.section import built_section

    del digest  # part of the cache key only: a changed file gets a fresh table
    section = built_section(path)
    rows: dict[str, Variable] = {TIME_ROW.real_name: TIME_ROW}
    for el in section.elements:
        kind = classify(el.py_name, el.comment, el.type, el.subtype)
        dims = el.dims if kind != "control" else ()
        rows[el.name] = Variable(
            py_name=el.py_name, real_name=el.name or el.py_name, units=el.units,
            limits=_builder_limits(el.limits), kind=kind, dims=dims, coords={d: el.coords[d] for d in dims},
            comment=strip_tag(el.comment), pysd_type=el.type, pysd_subtype=el.subtype,
        )
    if len(rows) == 1:
        raise ModelError(f"the model {path} has no variables")
    variables = {rows[name].py_name: rows[name] for name in sorted(rows)}  # PySD's doc is sorted by name
    return Catalogue(variables, source=path, time=dict(source.read(path).controls))


def load_catalogue(mdl_path: Path | str) -> Catalogue:
    """The catalogue of a ``.mdl``, built from PySD's abstract model (cached per file content).

    No code generated from the model is imported or run: a model file is data.
    """
    src = source.read(mdl_path)
    return _from_source(str(Path(mdl_path).resolve()), src.digest)
