"""The model's variable table: one row per variable, built from PySD's ``model.doc``.

The scenario layer checks names, kinds and limits against this table; the results layer takes
``units`` and ``long_name`` from it. The *kind* comes from the tag the model's comment starts with
(``[lever]``, ``[assumption]``) and otherwise from PySD's type (stocks, constants, auxiliaries).
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import textwrap
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sdmission.errors import ModelError

Kind = Literal["lever", "assumption", "parameter", "stock", "aux", "control"]
KINDS: tuple[Kind, ...] = ("lever", "assumption", "parameter", "stock", "aux", "control")

CONTROL_VARS = frozenset({"initial_time", "final_time", "time_step", "saveper", "time"})
_TAG = re.compile(r"^\s*\[(\w+)\]\s*")


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


def _str(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x)


def classify(py_name: str, comment: str, pysd_type: str, pysd_subtype: str) -> Kind:
    """The kind of a variable from its comment tag and PySD type."""
    if py_name in CONTROL_VARS:
        return "control"
    match = _TAG.match(comment)
    tag = match.group(1).lower() if match else ""
    if tag in ("lever", "assumption"):
        return tag  # type: ignore[return-value]
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

    @classmethod
    def from_pysd(cls, model: Any, *, source: str = "") -> Catalogue:
        """Build from a loaded PySD model (uses ``model.doc`` and ``model.get_coords``)."""
        doc = model.doc
        variables: dict[str, Variable] = {}
        for row in doc.to_dict("records"):
            py_name = _str(row.get("Py Name"))
            if not py_name:
                continue
            comment_raw = _str(row.get("Comment"))
            pysd_type = _str(row.get("Type"))
            pysd_subtype = _str(row.get("Subtype"))
            kind = classify(py_name, comment_raw, pysd_type, pysd_subtype)
            limits_raw = row.get("Limits")
            if isinstance(limits_raw, tuple | list) and len(limits_raw) == 2:
                limits = (_clean_limit(limits_raw[0]), _clean_limit(limits_raw[1]))
            else:
                limits = (None, None)
            dims: tuple[str, ...] = ()
            coords: dict[str, tuple[str, ...]] = {}
            func = getattr(model.components, py_name, None)
            if func is not None and kind != "control":
                got = model.get_coords(func)
                if got:
                    coord_map, dim_list = got
                    dims = tuple(dim_list)
                    coords = {d: tuple(str(e) for e in coord_map[d]) for d in dims}
            variables[py_name] = Variable(
                py_name=py_name,
                real_name=_str(row.get("Real Name")) or py_name,
                units=_str(row.get("Units")),
                limits=limits,
                kind=kind,
                dims=dims,
                coords=coords,
                comment=_TAG.sub("", comment_raw, count=1).strip(),
                pysd_type=pysd_type,
                pysd_subtype=pysd_subtype,
            )
        if not variables:
            raise ModelError(f"the model {source or ''} has no variables in its doc table")
        time = {name: float(getattr(model.components, name)()) for name in
                ("initial_time", "final_time", "time_step", "saveper")}
        return cls(variables, source=source, time=time)


def _pysd_comment(documentation: str | None) -> str:
    """The comment as PySD's ``model.doc`` shows it: its docstring, built and read back as text.

    PySD turns every backslash into a newline, indents the docstring inside the generated function
    and strips it; the same steps are done here on the string (nothing is compiled or run).
    """
    if not documentation:
        return ""
    doc = documentation.replace("\\", "\n")
    contents = f'"""\n{doc}\n"""\nreturn 0'.replace("\n", "\n" + " " * 16)
    text = textwrap.dedent(f"""
            @decorator
            def function():
                {contents}
            """)
    start = text.index('"""') + 3
    body = text[start:text.rindex('"""')]
    return body.strip().strip("\n").strip()


def _builder_limits(limits: Any) -> tuple[float | None, float | None]:
    """Limits as PySD's builder writes them into the generated code and the catalogue reads them."""
    if not limits or tuple(limits) == (None, None):
        return (None, None)
    return (_clean_limit(limits[0]), _clean_limit(limits[1]))


@functools.lru_cache(maxsize=16)
def _from_source(path: str, digest: str) -> Catalogue:
    """The catalogue from PySD's abstract model and builder (strings only: no generated code runs)."""
    from pysd.builders.python.python_model_builder import SectionBuilder

    from sdmission.model import source as model_source

    del digest  # part of the cache key only: a changed file gets a fresh table
    src = model_source.read(path)
    abstract = src.abstract()  # the builder only reads it (tests/unit/test_source.py checks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sb = SectionBuilder(abstract.sections[0])
        for el in sb.elements:  # the naming pass of SectionBuilder.build_section
            sb.namespace.add_to_namespace(el.name)
            el.identifier = sb.namespace.namespace[el.name]
            sb.subscripts.elements[el.identifier] = el.subscripts
        for el in sb.elements:
            el.build_element()
    subscript_dict = sb.subscripts.subscripts
    rows: dict[str, Variable] = {
        "Time": Variable(py_name="time", real_name="Time", units="", limits=(None, None), kind="control",
                         comment="Current time of the model."),
    }
    for el in sb.elements:
        comment_raw = _pysd_comment(el.documentation)
        kind = classify(el.identifier, comment_raw, el.type or "", el.subtype or "")
        dims: tuple[str, ...] = tuple(el.subscripts) if kind != "control" and el.subscripts else ()
        rows[el.name] = Variable(
            py_name=el.identifier, real_name=el.name or el.identifier, units=el.units or "",
            limits=_builder_limits(el.limits), kind=kind, dims=dims,
            coords={d: tuple(str(e) for e in subscript_dict[d]) for d in dims},
            comment=_TAG.sub("", comment_raw, count=1).strip(), pysd_type=el.type or "",
            pysd_subtype=el.subtype or "",
        )
    variables = {rows[name].py_name: rows[name] for name in sorted(rows)}
    return Catalogue(variables, source=path, time=dict(src.controls))


def load_catalogue(mdl_path: Path | str) -> Catalogue:
    """The catalogue of a ``.mdl``, built from PySD's abstract model (cached per file content).

    No code generated from the model is imported or run: a model file is data.
    """
    from sdmission.model import source as model_source

    src = model_source.read(mdl_path)
    return _from_source(str(Path(mdl_path).resolve()), src.digest)
