"""Compile a Vensim ``.mdl`` into the batch engine's intermediate form (``ir.ModelIR``).

Why PySD's *abstract model* and not its generated Python: the abstract model keeps the structure
we need to vectorise (subscript references with their ranges, subranges and ``!`` sums, stateful
functions as separate nodes with their arguments, lookup tables as data), whereas the generated
Python has already committed to scalar control flow (``if`` for IF THEN ELSE, ``float(...)``,
``xarray.interp`` per call) and to xarray alignment by coordinate. We reuse PySD's parser for the
grammar, and its ``SectionBuilder`` for two things that must match PySD exactly: the Python names
(``NamespaceManager``) and each variable's final subscript ranges (``SubscriptManager``).

Anything the builder does not know raises ``UnsupportedFunctionError(function, variable)``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from sdmission.errors import ModelError, UnsupportedFunctionError
from sdmission.model.engines.batch import ir

# Vensim spelling of PySD structures we do not implement, for error messages.
_UNSUPPORTED_STRUCTURES = {
    "DelayNStructure": "DELAY N",
    "SmoothNStructure": "SMOOTH N",
    "ForecastStructure": "FORECAST",
    "GameStructure": "GAME",
    "AllocateAvailableStructure": "ALLOCATE AVAILABLE",
    "AllocateByPriorityStructure": "ALLOCATE BY PRIORITY",
    "GetLookupsStructure": "GET LOOKUPS",
    "GetDataStructure": "GET DATA",
    "GetConstantsStructure": "GET CONSTANTS",
    "DataStructure": "data equation",
}

# Vensim call name (PySD's cleaned spelling) -> (codegen function, allowed argument counts).
_CALLS: dict[str, tuple[str, tuple[int, ...]]] = {
    "if_then_else": ("where", (3,)),
    "min": ("minimum", (2,)),
    "max": ("maximum", (2,)),
    "abs": ("abs", (1,)),
    "exp": ("exp", (1,)),
    "ln": ("log", (1,)),
    "log": ("logb", (2,)),
    "sqrt": ("sqrt", (1,)),
    "power": ("power", (2,)),
    "sin": ("sin", (1,)),
    "cos": ("cos", (1,)),
    "tan": ("tan", (1,)),
    "arcsin": ("arcsin", (1,)),
    "arccos": ("arccos", (1,)),
    "arctan": ("arctan", (1,)),
    "integer": ("integer", (1,)),
    "modulo": ("modulo", (2,)),
    "zidz": ("zidz", (2,)),
    "xidz": ("xidz", (3,)),
    "step": ("step", (2,)),
    "ramp": ("ramp", (2, 3)),
    "pulse": ("pulse", (2,)),
    "pulse_train": ("pulse_train", (4,)),
}
_REDUCERS = {"sum": "sum", "prod": "prod", "vmin": "min", "vmax": "max"}
_CONTROL = ("initial_time", "final_time", "time_step", "saveper")


def parse_abstract(mdl_path: Path | str) -> Any:
    """PySD's abstract model of a ``.mdl``, read once per content by ``sdmission.model.source``."""
    from sdmission.model import source

    return source.read(mdl_path).abstract()


def compile_model(mdl_path: Path | str, source_hash: str = "") -> ir.ModelIR:
    """Compile a Vensim model file into a ``ModelIR``.

    Raises
    ------
    UnsupportedFunctionError
        The model uses a function the batch engine does not implement.
    ModelError
        The model cannot be parsed, or uses a subscript construct the batch engine does not handle.
    """
    abstract = parse_abstract(mdl_path)
    return _Compiler(abstract, source_hash).run()


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


class _Compiler:
    def __init__(self, abstract: Any, source_hash: str):
        from pysd.builders.python.python_model_builder import SectionBuilder

        if len(abstract.sections) > 1:
            macro = abstract.sections[1].name
            raise UnsupportedFunctionError("MACRO", macro)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.sb = SectionBuilder(abstract.sections[0])
            # Same naming pass as SectionBuilder.build_section, so python names equal PySD's.
            for el in self.sb.elements:
                self.sb.namespace.add_to_namespace(el.name)
                el.identifier = self.sb.namespace.namespace[el.name]
        self.source_hash = source_hash
        self.subs: dict[str, tuple[str, ...]] = {
            k: tuple(v) for k, v in self.sb.subscripts.subscripts.items()
        }
        self.dims: dict[str, tuple[str, ...]] = {
            el.identifier: tuple(el.subscripts) for el in self.sb.elements
        }
        self.statefuls: list[ir.Stateful] = []
        self.tables: list[tuple[tuple[float, ...], tuple[float, ...]]] = []
        self.arrays: list[tuple[tuple[int, ...], tuple[float, ...]]] = []
        self.named_lookups: dict[str, int] = {}
        self.owner = ""

    # -- driver ---------------------------------------------------------------------------------
    def run(self) -> ir.ModelIR:
        elements = self.sb.elements
        for el in elements:  # named lookups first: equations call them
            if el.components and all(c.type == "Lookup" for c in el.components):
                self.owner = el.identifier
                if self.dims[el.identifier] or len(el.components) > 1:
                    raise UnsupportedFunctionError("subscripted lookup table", el.identifier)
                self.named_lookups[el.identifier] = self._table(el.components[0].ast)
        variables: dict[str, ir.Variable] = {}
        for el in elements:
            name = el.identifier
            self.owner = name
            if name in self.named_lookups:
                continue
            comps = []
            constant = True
            for c in el.components:
                if c.type == "Data" or type(c.ast).__name__ == "DataStructure":
                    raise UnsupportedFunctionError("data variable", name)
                comps.append(self._component(name, c))
                constant = constant and (_is_number(c.ast) or isinstance(c.ast, np.ndarray))
            units = el.units or ""
            limits = tuple(None if (x is None or np.isnan(x)) else float(x) for x in el.limits)
            variables[name] = ir.Variable(
                py_name=name,
                real_name=el.name,
                units=units,
                doc=(el.documentation or "").strip(),
                dims=self.dims[name],
                components=tuple(comps),
                constant=constant and not el.control_var,
                control=bool(el.control_var) or name in _CONTROL,
                limits=(limits[0], limits[1]) if len(limits) == 2 else (None, None),
            )
        return ir.ModelIR(
            source_hash=self.source_hash,
            variables=variables,
            statefuls=tuple(self.statefuls),
            tables=tuple(self.tables),
            subscripts=self.subs,
            arrays=tuple(self.arrays),
            named_lookups=frozenset(self.named_lookups),
        )

    def _component(self, name: str, comp: Any) -> ir.Component:
        lhs, excepts = comp.subscripts
        if excepts:
            raise UnsupportedFunctionError(":EXCEPT:", name)
        dims = self.dims[name]
        if len(lhs) != len(dims):
            raise ModelError(f"'{name}': equation has {len(lhs)} subscripts, variable has {len(dims)}")
        index: list[tuple] = []
        layout: list[str] = []
        fixed: dict[str, str] = {}
        for d, s in zip(dims, lhs):
            if s in self.subs:
                if s == d:
                    index.append(("all",))
                else:
                    index.append(("sub", self._positions(s, d, name)))
                layout.append(s)
            else:
                if s not in self.subs[d]:
                    raise ModelError(f"'{name}': '{s}' is not an element of '{d}'")
                index.append(("elem", self.subs[d].index(s)))
                fixed[d] = s
        expr = self._expr(comp.ast, tuple(layout), fixed)
        return ir.Component(index=tuple(index), layout=tuple(layout), expr=expr)

    # -- helpers --------------------------------------------------------------------------------
    def _positions(self, sub: str, dim: str, name: str) -> tuple[int, ...]:
        elems = self.subs[dim]
        missing = [e for e in self.subs[sub] if e not in elems]
        if missing:
            raise ModelError(
                f"'{name}': subscript '{sub}' is neither '{dim}' nor a subrange of it "
                "(subscript mappings are not supported by the batch engine)"
            )
        return tuple(elems.index(e) for e in self.subs[sub])

    def _table(self, lk: Any) -> int:
        if type(lk).__name__ != "LookupsStructure":
            raise UnsupportedFunctionError(_UNSUPPORTED_STRUCTURES.get(type(lk).__name__, type(lk).__name__), self.owner)
        if lk.type != "interpolate":
            raise UnsupportedFunctionError(f"lookup type '{lk.type}'", self.owner)
        xs = tuple(float(x) for x in lk.x)
        ys = tuple(float(y) for y in lk.y)
        if any(b <= a for a, b in zip(xs, xs[1:])):
            raise ModelError(f"'{self.owner}': lookup x values must increase strictly")
        self.tables.append((xs, ys))
        return len(self.tables) - 1

    def _bangs(self, ast: Any, layout: tuple[str, ...]) -> list[str]:
        """``!`` subscripts used in ``ast`` that the enclosing layout does not have, in order."""
        found: list[str] = []
        for node in _walk(ast):
            if type(node).__name__ == "SubscriptsReferenceStructure":
                for s in node.subscripts:
                    if s.endswith("!") and s not in layout and s not in found:
                        found.append(s)
        return found

    def _ref(self, name: str, subs: list[str] | None, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Ref:
        dims = self.dims[name]
        if subs is None:
            subs = list(dims)
        if len(subs) != len(dims):
            raise ModelError(f"'{self.owner}': reference to '{name}' has {len(subs)} subscripts, it has {len(dims)}")
        sel: list[tuple] = []
        for d, s in zip(dims, subs):
            base = s.rstrip("!")
            if base in self.subs:
                label = s
                if label not in layout:
                    elem = fixed.get(base) or next(
                        (e for e in fixed.values() if e in self.subs[base]), None
                    )
                    if s.endswith("!") or elem is None or elem not in self.subs[d]:
                        raise ModelError(
                            f"'{self.owner}': subscript '{s}' in the reference to '{name}' is not "
                            "one of the equation's subscripts"
                        )
                    sel.append(("elem", self.subs[d].index(elem)))
                elif base == d:
                    sel.append(("all", label))
                else:
                    sel.append(("sub", label, self._positions(base, d, self.owner)))
            elif s in self.subs[d]:
                sel.append(("elem", self.subs[d].index(s)))
            else:
                raise ModelError(f"'{self.owner}': '{s}' is not an element of '{d}' (reference to '{name}')")
        return ir.Ref(name=name, sel=tuple(sel), layout=layout)

    def _hoist(self, kind: ir.StatefulKind, args: dict[str, Any], order: int, layout: tuple[str, ...],
               fixed: dict[str, str], int_init: bool = False) -> ir.StRef:
        built = {k: self._expr(v, layout, fixed) for k, v in args.items()}
        self.statefuls.append(ir.Stateful(kind, built, order, layout, self.owner, int_init))
        return ir.StRef(len(self.statefuls) - 1)

    # -- expressions ----------------------------------------------------------------------------
    def _expr(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        if _is_number(ast):
            return ir.Num(float(ast))
        if isinstance(ast, np.ndarray):
            shape = tuple(len(self.subs[d]) for d in layout)
            arr = np.asarray(ast, dtype=float)
            if arr.size != int(np.prod(shape)):
                raise ModelError(f"'{self.owner}': array literal of {arr.size} values for shape {shape}")
            self.arrays.append((shape, tuple(arr.reshape(-1).tolist())))
            return ir.ArrayLit(len(self.arrays) - 1)
        kind = type(ast).__name__
        if kind == "ReferenceStructure":
            if ast.reference == "time":
                return ir.TimeRef()
            name = self._name(ast.reference)
            if name in self.named_lookups:
                raise ModelError(f"'{self.owner}': lookup '{name}' used without an argument")
            subs = list(ast.subscripts.subscripts) if ast.subscripts is not None else None
            return self._ref(name, subs, layout, fixed)
        if kind in ("ArithmeticStructure", "LogicStructure"):
            args = tuple(self._expr(a, layout, fixed) for a in ast.arguments)
            return ir.Op(tuple(ast.operators), args)
        if kind == "CallStructure":
            fname = ast.function.reference
            if fname in _REDUCERS:
                if len(ast.arguments) != 1:
                    raise ModelError(f"'{self.owner}': {fname.upper()} takes one argument")
                bangs = self._bangs(ast.arguments[0], layout)
                if not bangs:
                    raise ModelError(f"'{self.owner}': {fname.upper()} without a '!' subscript")
                arg = self._expr(ast.arguments[0], layout + tuple(bangs), fixed)
                return ir.Reduce(_REDUCERS[fname], arg, len(bangs))
            if fname in _CALLS:
                fn, nargs = _CALLS[fname]
                if len(ast.arguments) not in nargs:
                    raise ModelError(f"'{self.owner}': {fname.upper()} with {len(ast.arguments)} arguments")
                return ir.Call(fn, tuple(self._expr(a, layout, fixed) for a in ast.arguments))
            cleaned = self.sb.namespace.cleanspace.get(fname)
            if cleaned in self.named_lookups:
                if len(ast.arguments) != 1:
                    raise ModelError(f"'{self.owner}': lookup '{cleaned}' takes one argument")
                return ir.Lookup(self.named_lookups[cleaned], self._expr(ast.arguments[0], layout, fixed))
            raise UnsupportedFunctionError(fname.upper().replace("_", " "), self.owner)
        if kind == "InlineLookupsStructure":
            return ir.Lookup(self._table(ast.lookups), self._expr(ast.argument, layout, fixed))
        if kind == "IntegStructure":
            if ast.non_negative:
                raise UnsupportedFunctionError("non-negative INTEG", self.owner)
            return self._hoist("integ", {"input": ast.flow, "init": ast.initial}, 1, layout, fixed)
        if kind == "SmoothStructure":
            order = int(ast.order)
            int_init = isinstance(ast.initial, (int, np.integer)) and not isinstance(ast.initial, bool)
            return self._hoist("smooth", {"input": ast.input, "time": ast.smooth_time, "init": ast.initial},
                               order, layout, fixed, int_init)
        if kind == "DelayStructure":
            return self._hoist("delay", {"input": ast.input, "time": ast.delay_time, "init": ast.initial},
                               int(ast.order), layout, fixed)
        if kind == "DelayFixedStructure":
            return self._hoist("delay_fixed",
                               {"input": ast.input, "time": ast.delay_time, "init": ast.initial},
                               1, layout, fixed)
        if kind == "TrendStructure":
            return self._hoist("trend", {"input": ast.input, "time": ast.average_time,
                                         "trend": ast.initial_trend}, 1, layout, fixed)
        if kind == "InitialStructure":
            return self._hoist("initial", {"init": ast.initial}, 1, layout, fixed)
        if kind == "SampleIfTrueStructure":
            return self._hoist("sample_if_true", {"cond": ast.condition, "input": ast.input,
                                                  "init": ast.initial}, 1, layout, fixed)
        raise UnsupportedFunctionError(_UNSUPPORTED_STRUCTURES.get(kind, kind), self.owner)

    def _name(self, reference: str) -> str:
        name = self.sb.namespace.cleanspace.get(reference)
        if name is None or name not in self.dims:
            raise ModelError(f"'{self.owner}': unknown variable '{reference}'")
        return name


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            yield from _walk(getattr(node, f.name))
    elif isinstance(node, (list, tuple)):
        for x in node:
            yield from _walk(x)
