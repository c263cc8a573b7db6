"""A Vensim ``.mdl`` read once per content hash: text, abstract model, controls, equations, sketch.

Every reader of a model file in ``sdmission.model`` asks this module; nothing else parses the
``.mdl``. ``read(path)`` returns a ``ModelSource`` cached in memory by the file's SHA-256
(``translate.model_hash``): a changed file gets a fresh entry, an unchanged one is never parsed
twice. What it offers:

- ``text`` (the whole file), ``equations_text`` (before the sketch marker) and ``sketch`` (the
  sketch section, ``''`` when none);
- ``abstract()``: PySD's abstract model (``VensimFile(path).parse()`` → ``get_abstract_model()``;
  no code is written or run), and ``elements`` of its main section;
- ``equations``: one ``RawEquation`` per equation as written (name, subscripts, text, units, group,
  line) and ``groups`` (each variable's Vensim group);
- ``variables``: one ``EquationInfo`` per variable (real name, py name, expression text, units,
  limits, comment, tag such as ``lever``/``assumption``);
- ``controls``: INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER as numbers — the one place they are
  defined. A control given by an expression (``SAVEPER = TIME STEP``) is evaluated when it refers
  only to numbers and other constants; otherwise a ``ModelError`` says which control and why;
- ``grid()`` and ``default_path(py_name)``: the time grid and the default time path of a lever
  (a number or ``WITH LOOKUP(Time, …)``), as the optimiser needs them.
"""

from __future__ import annotations

import copy
import functools
import re
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sdmission.errors import InputError, ModelError, Problem
from sdmission.model.hashing import content_hash

if TYPE_CHECKING:  # PySD is imported only when a model is parsed
    from pysd.translators.structures.abstract_model import AbstractElement, AbstractModel

FloatArray = NDArray[np.float64]

SKETCH_MARKER = "\\\\\\---///"
DEFAULT_GROUP = "Model"

#: The control variables: py name -> Vensim name.
CONTROLS: dict[str, str] = {
    "initial_time": "INITIAL TIME",
    "final_time": "FINAL TIME",
    "time_step": "TIME STEP",
    "saveper": "SAVEPER",
}
#: The control variables and ``time`` (PySD's names).
CONTROL_VARS = frozenset({*CONTROLS, "time"})

_TAG = re.compile(r"^\s*\[(\w+)\]\s*")
_LHS = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[^=:\[(~"]+?)\s*(\[[^\]]*\])?\s*(:=|==|=|:|\()', re.S)


def norm(name: str) -> str:
    """Vensim name as PySD references it: lower case, spaces as underscores."""
    return re.sub(r"\s+", "_", name.strip().strip('"').lower())


@dataclass(frozen=True)
class RawEquation:
    """One equation as written: ``name[subscripts] = text ~ units``."""

    name: str
    subscripts: tuple[str, ...]
    text: str
    units: str
    group: str
    line: int


@dataclass(frozen=True)
class EquationInfo:
    """One variable of the model: what its equations say, without evaluating anything.

    ``expression`` is the first equation's right-hand side as written (one line); ``tag`` the
    lower-case word of a leading ``[tag]`` in the comment (``''`` when none) and ``comment`` the
    comment as PySD reads it (tag included).
    """

    real_name: str
    py_name: str
    expression: str
    units: str
    limits: tuple[float | None, float | None]
    comment: str
    tag: str
    group: str


@dataclass(frozen=True)
class Grid:
    """The model's time settings (years)."""

    initial: float
    final: float
    step: float
    saveper: float

    @property
    def times(self) -> FloatArray:
        """Integration grid ``initial + k * step``; shape ``(T,)``."""
        n = int(round((self.final - self.initial) / self.step))
        return np.asarray(self.initial + self.step * np.arange(n + 1), dtype=np.float64)


def tag_of(comment: str) -> str:
    """The lower-case tag a comment starts with (``[lever] …`` -> ``'lever'``), ``''`` when none."""
    match = _TAG.match(comment or "")
    return match.group(1).lower() if match else ""


def strip_tag(comment: str) -> str:
    """The comment without its leading ``[tag]``."""
    return _TAG.sub("", comment, count=1).strip()


# --------------------------------------------------------------------------- the raw text


def _split_equations(text: str) -> list[RawEquation]:
    """Split the equations part of a ``.mdl`` into equations with their group and line."""
    group = DEFAULT_GROUP
    out: list[RawEquation] = []
    offset = 0
    for raw_chunk in text.split("|"):
        lead = len(raw_chunk) - len(raw_chunk.lstrip())
        if offset == 0 and raw_chunk.lstrip().startswith("{"):
            lead = raw_chunk.find("}") + 1
            lead += len(raw_chunk[lead:]) - len(raw_chunk[lead:].lstrip())
        line = text.count("\n", 0, offset + lead) + 1
        chunk = raw_chunk[lead:]
        offset += lead + len(chunk) + 1
        body = chunk.strip()
        if body.startswith("*"):
            m = re.search(r"^\s*\.(.+?)\s*$", body, re.M)
            group = m.group(1).strip() if m else group
        elif body:
            eq = _equation(body, group, line)
            if eq is not None:
                out.append(eq)
    return out


def _equation(body: str, group: str, line: int) -> RawEquation | None:
    parts = body.split("~")
    eq = parts[0].replace("\\\n", " ")
    m = _LHS.match(eq)
    if not m or m.group(3) == ":" and not m.group(0).endswith(":="):
        return None  # subscript range, macro or something we do not need
    name = m.group(1).strip().strip('"')
    subs = tuple(s.strip() for s in m.group(2)[1:-1].split(",")) if m.group(2) else ()
    rhs = eq[m.end() :] if m.group(3) != "(" else eq[m.end() - 1 :]
    units = parts[1].strip() if len(parts) > 1 else ""
    units = re.sub(r"\s*\[.*\]\s*$", "", units.replace("\\\n", " ")).strip()
    return RawEquation(name, subs, " ".join(rhs.split()), units, group, line)


# --------------------------------------------------------------------------- safe evaluation


def evaluate(node: Any, resolve: Mapping[str, Any] | None = None, _seen: frozenset[str] = frozenset()) -> float:
    """Value of a constant expression: numbers, ``+ - * / ^``, references to other constants.

    ``resolve`` maps referenced names (``norm`` spelling) to their syntax trees. Raises
    ``ValueError`` for anything else (a call, a stateful function, an unknown or circular name).
    Nothing is executed: the tree is walked.
    """
    from pysd.translators.structures import abstract_expressions as ae

    if isinstance(node, (bool, np.bool_)):
        raise ValueError("a logical value is not a number")
    if isinstance(node, (int, float, np.integer, np.floating)):
        return float(node)
    if isinstance(node, ae.ReferenceStructure) and not node.subscripts:
        name = node.reference
        if name in _seen:
            raise ValueError(f"'{name}' refers to itself")
        if resolve is None or name not in resolve:
            raise ValueError(f"'{name}' is not a constant")
        return evaluate(resolve[name], resolve, _seen | {name})
    if isinstance(node, ae.ArithmeticStructure):
        vals = [evaluate(a, resolve, _seen) for a in node.arguments]
        if node.operators == ["negative"]:
            return -vals[0]
        return _arith(vals, node.operators)
    raise ValueError(f"{type(node).__name__.replace('Structure', '')} is not a constant expression")


def _arith(vals: list[float], ops: list[str]) -> float:
    """Fold ``v0 op0 v1 op1 …`` with the usual precedence (as PySD's generated Python would)."""
    unknown = set(ops) - {"^", "*", "/", "+", "-"}
    if unknown:
        raise ValueError(f"operator {sorted(unknown)[0]} is not arithmetic")
    vals, ops = list(vals), list(ops)
    for i in range(len(ops) - 1, -1, -1):  # ^ first, grouping from the right
        if ops[i] == "^":
            vals[i:i + 2] = [_apply(vals[i], "^", vals[i + 1])]
            del ops[i]
    for level in ({"*", "/"}, {"+", "-"}):  # then left to right
        i = 0
        while i < len(ops):
            if ops[i] in level:
                vals[i:i + 2] = [_apply(vals[i], ops[i], vals[i + 1])]
                del ops[i]
            else:
                i += 1
    return vals[0]


def _apply(a: float, op: str, b: float) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b
    return float(a**b)


def _literal(node: Any) -> float | None:
    """A number written as a literal (``5``, ``-0.5``), else None."""
    from pysd.translators.structures import abstract_expressions as ae

    if isinstance(node, (bool, np.bool_)):
        return None
    if isinstance(node, (int, float, np.integer, np.floating)):
        return float(node)
    if isinstance(node, ae.ArithmeticStructure) and node.operators == ["negative"]:
        inner = _literal(node.arguments[0])
        return None if inner is None else -inner
    return None


# --------------------------------------------------------------------------- the source


class ModelSource:
    """One ``.mdl`` file, read once. Build with ``read(path)``, not directly."""

    def __init__(self, path: Path, data: bytes, digest: str):
        self.path = path
        self.digest = digest
        #: The file's bytes (what ``digest`` hashes).
        self.data = data
        #: The file as text (UTF-8, undecodable bytes replaced, newlines normalised to ``\\n``).
        self.text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
        cut = self.text.find(SKETCH_MARKER)
        #: The equations part (everything before the sketch marker).
        self.equations_text = self.text if cut < 0 else self.text[:cut]
        #: The sketch section ('' when the model has none).
        self.sketch = "" if cut < 0 else self.text[cut:]

    def __repr__(self) -> str:
        return f"ModelSource({str(self.path)!r}, {self.digest[:16]})"

    # -- PySD's abstract model

    @functools.cached_property
    def _abstract(self) -> AbstractModel:
        from pysd.translators.vensim.vensim_file import VensimFile

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                vf = VensimFile(self.path)
                vf.parse()
                return vf.get_abstract_model()
        except Exception as exc:  # noqa: BLE001 - the translator raises many types; wrap with the file name
            raise ModelError(f"PySD cannot parse {self.path}: {type(exc).__name__}: {exc}") from exc

    def abstract(self, *, private: bool = False) -> AbstractModel:
        """PySD's abstract model. Read-only; ``private=True`` returns a deep copy a builder may change."""
        return copy.deepcopy(self._abstract) if private else self._abstract

    @property
    def elements(self) -> list[AbstractElement]:
        """The elements of the model's main section (macros are ignored)."""
        return list(self._abstract.sections[0].elements)

    @functools.cached_property
    def _by_key(self) -> dict[str, AbstractElement]:
        keys = {self.py_names[el.name]: el for el in self.elements if el.name in self.py_names}
        keys.update({norm(el.name): el for el in self.elements})  # the norm spelling wins
        return keys

    def element(self, key: str) -> AbstractElement | None:
        """The abstract element of a variable (``norm`` name or PySD py name), or None."""
        return self._by_key.get(key)

    # -- the text

    @functools.cached_property
    def equations(self) -> list[RawEquation]:
        """Every equation as written, with its Vensim group (``.Name`` marker); no subscript ranges.

        Equations before the first group marker belong to ``DEFAULT_GROUP``.
        """
        return _split_equations(self.equations_text)

    @functools.cached_property
    def groups(self) -> dict[str, str]:
        """Each variable (``norm`` name) to its Vensim group, in file order."""
        groups: dict[str, str] = {}
        for eq in self.equations:
            groups.setdefault(norm(eq.name), eq.group)
        return groups

    @functools.cached_property
    def py_names(self) -> dict[str, str]:
        """Vensim name -> PySD py name, from PySD's own namespace manager (same names as PySD's code)."""
        from pysd.builders.python.namespace import NamespaceManager

        ns = NamespaceManager(self._abstract.sections[0].params)
        for el in self.elements:
            ns.add_to_namespace(el.name)
        return dict(ns.namespace)

    @functools.cached_property
    def variables(self) -> dict[str, EquationInfo]:
        """One entry per variable, keyed by ``norm`` name, in the abstract model's order."""
        first: dict[str, RawEquation] = {}
        for eq in self.equations:
            first.setdefault(norm(eq.name), eq)
        out: dict[str, EquationInfo] = {}
        for el in self.elements:
            key = norm(el.name)
            raw = first.get(key)
            doc = el.documentation or ""
            out[key] = EquationInfo(
                real_name=el.name, py_name=self.py_names.get(el.name, key),
                expression=raw.text if raw else "", units=el.units or "",
                limits=(_limit(el.limits[0]), _limit(el.limits[1])) if el.limits else (None, None),
                comment=doc, tag=tag_of(doc), group=self.groups.get(key, DEFAULT_GROUP),
            )
        return out

    # -- controls and time

    def _constant_trees(self) -> dict[str, Any]:
        """``norm`` name -> syntax tree of every element with one unsubscripted component."""
        trees: dict[str, Any] = {}
        for el in self.elements:
            comps = el.components
            if len(comps) == 1 and not comps[0].subscripts[0]:
                trees[norm(el.name)] = comps[0].ast
        return trees

    @functools.cached_property
    def controls(self) -> dict[str, float]:
        """``initial_time``, ``final_time``, ``time_step``, ``saveper`` as numbers (Year)."""
        trees = self._constant_trees()
        out: dict[str, float] = {}
        for key, real in CONTROLS.items():
            if key not in trees:
                raise ModelError(f"{self.path}: the model defines no {real}")
            try:
                out[key] = evaluate(trees[key], trees, frozenset({key}))
            except (ValueError, ZeroDivisionError, OverflowError) as exc:
                raise ModelError(f"{self.path}: {real} must be a number or an expression of other "
                                 f"constants ({exc})") from None
        return out

    def grid(self) -> Grid:
        """The model's time grid (the four control variables)."""
        c = self.controls
        return Grid(initial=c["initial_time"], final=c["final_time"], step=c["time_step"], saveper=c["saveper"])

    def default_path(self, py_name: str, *, key: str | None = None) -> tuple[FloatArray, FloatArray]:
        """Breakpoints ``(years, values)`` of a variable's default: a number or ``WITH LOOKUP(Time, …)``.

        A number gives ``([0.0], [value])``. ``key`` is the key path of the input error raised when
        the variable is not a scalar or its equation is neither (default: ``py_name``).
        """
        from pysd.translators.structures import abstract_expressions as ae

        where = key if key is not None else py_name
        el = self.element(py_name)
        comps = el.components if el is not None else []
        if el is None or len(comps) != 1 or comps[0].subscripts[0] or isinstance(comps[0].ast, ae.LookupsStructure):
            raise InputError([Problem(f"'{py_name}' is not a scalar variable of {self.path}", key=where)])
        ast = comps[0].ast
        value = _literal(ast)
        if value is not None:
            return np.array([0.0]), np.array([value])
        if isinstance(ast, ae.InlineLookupsStructure) and isinstance(ast.argument, ae.ReferenceStructure) and (
                ast.argument.reference == "time" and not ast.argument.subscripts):
            xs = np.array([float(x) for x in ast.lookups.x])
            ys = np.array([float(y) for y in ast.lookups.y])
            return xs, ys
        text = self.variables[norm(el.name)].expression
        raise InputError([Problem(
            f"lever '{py_name}' must be a number or WITH LOOKUP(Time, …) in the model to be "
            f"optimised (given '{text.strip()[:60]}')", key=where)])


def _limit(x: Any) -> float | None:
    if x is None:
        return None
    value = float(x)
    return None if np.isnan(value) else value


_CACHE: OrderedDict[tuple[str, str], ModelSource] = OrderedDict()
_CACHE_SIZE = 16


MODEL_SUFFIXES = (".mdl", ".xmile")
MAX_MODEL_BYTES = 64 * 1024 * 1024


def check_model_file(path: Path) -> None:
    """Refuse anything but a regular ``.mdl``/``.xmile`` file (also behind a symlink), before reading.

    The message names the file and never shows its content (issue #13: ``model:`` must not read
    system files into the cache or into an error message).
    """
    real = path.resolve()
    if path.suffix.lower() not in MODEL_SUFFIXES or real.suffix.lower() not in MODEL_SUFFIXES:
        raise ModelError(f"{path}: not a model file (allowed: a Vensim .mdl or .xmile file)")
    if not real.exists():
        raise ModelError(f"model file not found: {path}")
    if not real.is_file():
        raise ModelError(f"{path}: not a regular file (allowed: a Vensim .mdl or .xmile file)")
    size = real.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise ModelError(f"{path}: model file too large ({size} bytes; allowed at most "
                         f"{MAX_MODEL_BYTES} bytes)")


def read(mdl: Path | str) -> ModelSource:
    """The model file, read once per content (cached in memory by its SHA-256, ``model_hash``)."""
    path = Path(mdl)
    check_model_file(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror or exc}") from exc
    key = (str(path.resolve()), content_hash(data))
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = ModelSource(path, data, key[1])
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return found


def read_equations(mdl: Path | str) -> list[RawEquation]:
    """The equations of a model file as written (see ``ModelSource.equations``)."""
    return read(mdl).equations


def read_groups(mdl: Path | str) -> dict[str, str]:
    """Each variable (``norm`` name) to its Vensim group (see ``ModelSource.groups``)."""
    return read(mdl).groups


def abstract_model(mdl: Path | str) -> AbstractModel:
    """PySD's parsed abstract model of a ``.mdl`` (shared, read-only; no code is written)."""
    return read(mdl).abstract()


def read_grid(mdl: Path | str) -> Grid:
    """The model's time grid (drop-in for the optimiser's former regex reader)."""
    return read(mdl).grid()


def default_path(mdl: Path | str, py_name: str, *, key: str | None = None) -> tuple[FloatArray, FloatArray]:
    """A variable's default time path (see ``ModelSource.default_path``)."""
    return read(mdl).default_path(py_name, key=key)
