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
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from sdmission.errors import ModelError, UnsupportedFunctionError
from sdmission.model.engines.batch import externals, ir

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
    "sinh": ("sinh", (1,)),
    "cosh": ("cosh", (1,)),
    "tanh": ("tanh", (1,)),
    "quantum": ("quantum", (2,)),
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
    return _Compiler(abstract, source_hash, Path(mdl_path).resolve().parent).run()


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


class _Compiler:
    def __init__(self, abstract: Any, source_hash: str, root: Path | None = None):
        from pysd.builders.python.python_model_builder import SectionBuilder

        # Macros are inlined at each call (``_inline_macro``): one copy of their equations per call.
        self.macros = {sec.name: sec for sec in abstract.sections[1:]}
        self.scope: dict[str, str] | None = None  # inside a macro: its names -> hidden variables
        self.extra: dict[str, ir.Variable] = {}
        self.n_macro = 0
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
        self.lookup_groups: dict[str, int] = {}  # subscripted lookups -> ModelIR.lookup_groups
        self.groups: list[tuple[int, ...]] = []
        self.data: list[tuple[tuple[float, ...], tuple[float, ...], tuple[int, ...], str]] = []
        self.externals: dict[str, str] = {}
        self.root = root or Path.cwd()
        self.owner = ""

    # -- driver ---------------------------------------------------------------------------------
    def run(self) -> ir.ModelIR:
        elements = self.sb.elements
        variables: dict[str, ir.Variable] = {}
        for el in elements:  # named lookups first: equations call them
            if el.components and all(c.type == "Lookup" for c in el.components):
                self.owner = el.identifier
                lk = self._lookup_element(el)
                if lk is not None:
                    variables[el.identifier] = lk
        for el in elements:
            name = el.identifier
            self.owner = name
            if name in self.named_lookups or name in self.lookup_groups:
                continue
            comps = [self._component(name, c) for c in el.components]
            constant = all(_is_number(c.ast) or isinstance(c.ast, np.ndarray)
                           or type(c.ast).__name__ == "GetConstantsStructure" for c in el.components)
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
        variables.update(self.extra)
        return ir.ModelIR(
            source_hash=self.source_hash,
            variables=variables,
            statefuls=tuple(self.statefuls),
            tables=tuple(self.tables),
            subscripts=self.subs,
            arrays=tuple(self.arrays),
            named_lookups=frozenset(self.named_lookups),
            lookup_groups=tuple(self.groups),
            data=tuple(self.data),
            externals=tuple(sorted(self.externals.items())),
        )

    # -- lookups ----------------------------------------------------------------------------------
    def _lookup_element(self, el: Any) -> ir.Variable | None:
        """A scalar lookup becomes one table; a subscripted one a table per element plus an
        internal variable holding the element numbers (so references select tables like values)."""
        name = el.identifier
        dims = self.dims[name]
        if not dims and len(el.components) == 1 and type(el.components[0].ast).__name__ == "LookupsStructure":
            self.named_lookups[name] = self._table(el.components[0].ast)
            return None
        shape = tuple(len(self.subs[d]) for d in dims)
        tables = np.full(shape, -1, dtype=int)
        for c in el.components:
            index, layout, _ = self._lhs(name, c.subscripts[0])
            positions = self._lhs_positions(index, dims)
            if type(c.ast).__name__ == "GetLookupsStructure":
                xs, ys = self._external_lookup(c.ast, name, c.subscripts[0])
                flat = ys.reshape(len(xs), -1)
                for j, pos in enumerate(np.ndindex(*[len(p) for p in positions])):
                    cell = tuple(p[i] for p, i in zip(positions, pos, strict=True))
                    tables[cell] = self._table_xy(xs, flat[:, j])
            else:
                t = self._table(c.ast)
                tables[np.ix_(*positions)] = t
        if (tables < 0).any():  # elements without a table give NaN, as in PySD
            tables[tables < 0] = self._table_nan()
        self.groups.append(tuple(int(t) for t in tables.reshape(-1)))
        self.lookup_groups[name] = len(self.groups) - 1
        ids = self._array(np.arange(tables.size, dtype=float), dims)
        full = tuple(("all",) for _ in dims)
        return ir.Variable(py_name=name, real_name=el.name, units=el.units or "", doc="", dims=dims,
                           components=(ir.Component(full, dims, ids),), internal=True)

    def _lhs_positions(self, index: list[tuple], dims: tuple[str, ...]) -> list[list[int]]:
        out: list[list[int]] = []
        for ix, d in zip(index, dims, strict=True):
            if ix[0] == "all":
                out.append(list(range(len(self.subs[d]))))
            elif ix[0] == "elem":
                out.append([ix[1]])
            else:
                out.append(list(ix[1]))
        return out

    def _coords(self, name: str, lhs: list[str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        dims = self.dims[name]
        coords = {d: list(self.subs[s]) if s in self.subs else [s] for d, s in zip(dims, lhs, strict=True)}
        return coords, {d: list(self.subs[d]) for d in dims}

    def _note_file(self, file: str) -> None:
        path, digest = externals.file_digest(self.root, file)
        self.externals[path] = digest

    def _external_lookup(self, ast: Any, name: str, lhs: list[str]) -> tuple[np.ndarray, np.ndarray]:
        self._note_file(ast.file)
        coords, final = self._coords(name, lhs)
        return externals.lookup(ast, coords, final, self.root, name)

    def _table_nan(self) -> int:
        self.tables.append(((0.0,), (float("nan"),)))
        return len(self.tables) - 1

    def _table_xy(self, xs: np.ndarray, ys: np.ndarray) -> int:
        keep = ~(np.isnan(xs) | np.isnan(ys))
        self.tables.append((tuple(float(x) for x in xs[keep]), tuple(float(y) for y in ys[keep])))
        return len(self.tables) - 1

    def _lhs(self, name: str, lhs: list[str]) -> tuple[list[tuple], tuple[str, ...], dict[str, str]]:
        dims = self.dims[name]
        if len(lhs) != len(dims):
            raise ModelError(f"'{name}': equation has {len(lhs)} subscripts, variable has {len(dims)}")
        index: list[tuple] = []
        layout: list[str] = []
        fixed: dict[str, str] = {}
        for d, s in zip(dims, lhs, strict=True):
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
        return index, tuple(layout), fixed

    def _component(self, name: str, comp: Any) -> ir.Component:
        lhs, excepts = comp.subscripts
        index, layout, fixed = self._lhs(name, lhs)
        kind = type(comp.ast).__name__
        expr: ir.Node
        if kind == "GetConstantsStructure":
            self._note_file(comp.ast.file)
            coords, final = self._coords(name, lhs)
            values = externals.constant(comp.ast, coords, final, self.root, name)
            expr = self._array(values, layout)
        elif kind == "GetDataStructure":
            self._note_file(comp.ast.file)
            coords, final = self._coords(name, lhs)
            times, values = externals.data(comp.ast, getattr(comp, "keyword", None), coords, final,
                                           self.root, name)
            shape = (len(times),) + tuple(self._label_size(d) for d in layout)
            method = getattr(comp, "keyword", None) or "interpolate"
            self.data.append((tuple(times.tolist()), tuple(values.reshape(-1).tolist()), shape, method))
            expr = ir.DataSeries(len(self.data) - 1)
        elif kind == "DataStructure":
            raise UnsupportedFunctionError("a data variable without GET … DATA (its values come from a "
                                           "data file given at run time)", name)
        else:
            expr = self._expr(comp.ast, layout, fixed)
        mask = self._except_mask(lhs, excepts, layout) if excepts else None
        return ir.Component(index=tuple(index), layout=layout, expr=expr, mask=mask)

    def _except_mask(self, lhs: list[str], excepts: list[list[str]], layout: tuple[str, ...]) -> int:
        """``:EXCEPT:``: an array over the equation's layout, 1 where it applies, 0 where excepted."""
        shape = tuple(len(self.subs[label]) for label in layout)
        keep = np.ones(shape, dtype=float)
        for exc in excepts:
            if len(exc) != len(lhs):
                raise ModelError(f"'{self.owner}': :EXCEPT: with {len(exc)} subscripts, equation has {len(lhs)}")
            sel: list[Any] = []
            applies = True
            for s, e in zip(lhs, exc, strict=True):
                excluded = set(self.subs[e]) if e in self.subs else {e}
                if s in self.subs:
                    sel.append([i for i, el in enumerate(self.subs[s]) if el in excluded])
                elif s not in excluded:
                    applies = False
            if applies and sel:
                keep[np.ix_(*sel)] = 0.0
            elif applies:
                keep[...] = 0.0
        self.arrays.append((shape, tuple(keep.reshape(-1).tolist())))
        return len(self.arrays) - 1

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
        if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
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
        for d, s in zip(dims, subs, strict=True):
            base = s.rstrip("!")
            if base in self.subs:
                label = s
                mapped = self._mapped(base, d, layout, subs) if label not in layout else None
                if mapped is not None:
                    sel.append(mapped)
                    continue
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

    def _mapped(self, base: str, dim: str, layout: tuple[str, ...], subs: list[str]) -> tuple | None:
        """A subscript mapping (``DimC: c1, c2 -> DimB``): the reference's range ``base`` runs
        along the equation's mapped range, element by element (PySD's positional mapping)."""
        for target in self.sb.subscripts.mapping.get(base, []):
            if target in layout and target not in subs:
                n = len(self.subs[target])
                if len(self.subs[base]) != n:
                    raise UnsupportedFunctionError(f"subscript mapping {base} -> {target} of unequal sizes",
                                                   self.owner)
                if base == dim:
                    return ("sub", target, tuple(range(n)))
                return ("sub", target, self._positions(base, dim, self.owner))
        return None

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
            return self._array(np.asarray(ast, dtype=float), layout)
        kind = type(ast).__name__
        handler = getattr(self, f"_x_{kind}", None)
        if handler is None:
            raise UnsupportedFunctionError(_UNSUPPORTED_STRUCTURES.get(kind, kind), self.owner)
        node: ir.Node = handler(ast, layout, fixed)
        return node

    def _array(self, arr: np.ndarray, layout: tuple[str, ...]) -> ir.ArrayLit:
        shape = tuple(self._label_size(d) for d in layout)
        if arr.size != int(np.prod(shape)):
            raise ModelError(f"'{self.owner}': array literal of {arr.size} values for shape {shape}")
        self.arrays.append((shape, tuple(arr.reshape(-1).tolist())))
        return ir.ArrayLit(len(self.arrays) - 1)

    def _label_size(self, label: str) -> int:
        return len(self.subs[label.rstrip("!")])

    def _x_ReferenceStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        if ast.reference == "time":
            return ir.TimeRef()
        in_scope = self.scope is not None and ast.reference in self.scope
        if not in_scope and ast.reference not in self.sb.namespace.cleanspace:
            return self._subscript_value(ast.reference, layout)
        name = self._name(ast.reference)
        if name in self.named_lookups:
            raise ModelError(f"'{self.owner}': lookup '{name}' used without an argument")
        subs = list(ast.subscripts.subscripts) if ast.subscripts is not None else None
        return self._ref(name, subs, layout, fixed)

    def _subscript_value(self, reference: str, layout: tuple[str, ...]) -> ir.Node:
        """A subscript range or element used as a number: its 1-based position(s), as PySD does."""
        s2n = self.sb.subscripts.subscript2num
        if reference not in s2n:
            raise ModelError(f"'{self.owner}': unknown variable '{reference}'")
        code, subs = s2n[reference]
        if not subs:
            return ir.Num(float(code))
        (rng,) = subs
        if rng not in layout:
            raise UnsupportedFunctionError(f"subscript '{rng}' used as a value outside the equation's subscripts",
                                           self.owner)
        values = np.asarray(eval(code, {"np": np, "_subscript_dict": self.subs}), dtype=float)  # noqa: S307
        shape = [1] * len(layout)
        shape[layout.index(rng)] = len(values)
        full = np.broadcast_to(values.reshape(shape), tuple(self._label_size(d) for d in layout))
        return self._array(np.ascontiguousarray(full), layout)

    def _x_ArithmeticStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        args = tuple(self._expr(a, layout, fixed) for a in ast.arguments)
        return ir.Op(tuple(ast.operators), args)

    _x_LogicStructure = _x_ArithmeticStructure

    def _x_CallStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        fname = ast.function.reference
        if fname in _REDUCERS:
            return self._reduce(fname, ast.arguments, layout, fixed)
        if fname in _CALLS:
            fn, nargs = _CALLS[fname]
            if len(ast.arguments) not in nargs:
                raise ModelError(f"'{self.owner}': {fname.upper()} with {len(ast.arguments)} arguments")
            return ir.Call(fn, tuple(self._expr(a, layout, fixed) for a in ast.arguments))
        if fname == "elmcount":
            return self._elmcount(ast.arguments)
        if fname == "active_initial":
            if len(ast.arguments) != 2:
                raise ModelError(f"'{self.owner}': ACTIVE INITIAL takes two arguments")
            return self._hoist("active_initial", {"input": ast.arguments[0], "init": ast.arguments[1]}, 1,
                               layout, fixed)
        if fname in self.macros:
            return self._inline_macro(self.macros[fname], ast.arguments, layout, fixed)
        cleaned = self.sb.namespace.cleanspace.get(fname)
        if cleaned in self.lookup_groups:
            if len(ast.arguments) != 1:
                raise ModelError(f"'{self.owner}': lookup '{cleaned}' takes one argument")
            subs = ast.function.subscripts
            ids = self._ref(cleaned, list(subs.subscripts) if subs is not None else None, layout, fixed)
            return ir.LookupN(self.lookup_groups[cleaned], ids, self._expr(ast.arguments[0], layout, fixed))
        if cleaned in self.named_lookups:
            if len(ast.arguments) != 1:
                raise ModelError(f"'{self.owner}': lookup '{cleaned}' takes one argument")
            return ir.Lookup(self.named_lookups[cleaned], self._expr(ast.arguments[0], layout, fixed))
        raise UnsupportedFunctionError(fname.upper().replace("_", " "), self.owner)

    def _inline_macro(self, sec: Any, arguments: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        """One private copy of the macro's equations for this call; its value is the copy of the
        equation named like the macro. Its internal variables are never returned."""
        if layout or sec.returns or sec.subscripts:
            raise UnsupportedFunctionError(f"MACRO {sec.name} with subscripts or several outputs", self.owner)
        if len(arguments) != len(sec.params):
            raise ModelError(f"'{self.owner}': macro {sec.name} takes {len(sec.params)} arguments")
        self.n_macro += 1
        prefix = f"_macro{self.n_macro}_{sec.name}_"
        scope: dict[str, str] = {}
        for param, arg in zip(sec.params, arguments, strict=True):
            hidden = prefix + _clean(param)
            self._hidden(hidden, param, ir.Component((), (), self._expr(arg, (), fixed)))
            scope[_clean(param)] = hidden
        for el in sec.elements:
            scope[_clean(el.name)] = prefix + _clean(el.name)
            self.dims[prefix + _clean(el.name)] = ()
        outer, owner = self.scope, self.owner
        self.scope = scope
        try:
            for el in sec.elements:
                hidden = prefix + _clean(el.name)
                self.owner = hidden
                if any(c.subscripts[0] for c in el.components):
                    raise UnsupportedFunctionError(f"MACRO {sec.name} with subscripted equations", owner)
                comps = [self._component(hidden, c) for c in el.components]
                self._hidden(hidden, el.name, *comps)
        finally:
            self.scope, self.owner = outer, owner
        ret = scope.get(_clean(sec.name))
        if ret is None:
            raise ModelError(f"macro {sec.name} has no equation named like it")
        return ir.Ref(ret, (), ())

    def _hidden(self, name: str, real: str, *comps: ir.Component) -> None:
        self.dims[name] = ()
        self.extra[name] = ir.Variable(py_name=name, real_name=real, units="", doc="", dims=(),
                                       components=tuple(comps), internal=True)

    def _reduce(self, fname: str, arguments: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        if len(arguments) != 1:
            raise ModelError(f"'{self.owner}': {fname.upper()} takes one argument")
        bangs = self._bangs(arguments[0], layout)
        if not bangs:
            raise ModelError(f"'{self.owner}': {fname.upper()} without a '!' subscript")
        arg = self._expr(arguments[0], layout + tuple(bangs), fixed)
        return ir.Reduce(_REDUCERS[fname], arg, len(bangs), tuple(bangs))

    def _elmcount(self, arguments: Any) -> ir.Node:
        ref = arguments[0] if len(arguments) == 1 else None
        key = getattr(ref, "reference", None)
        entry = self.sb.subscripts.subscript2num.get(key) if key is not None else None
        if entry is None or not entry[1]:
            raise UnsupportedFunctionError("ELMCOUNT of something other than a subscript range", self.owner)
        (elems,) = entry[1].values()
        return ir.Num(float(len(elems)))

    def _x_InlineLookupsStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        return ir.Lookup(self._table(ast.lookups), self._expr(ast.argument, layout, fixed))

    def _x_IntegStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        kind: ir.StatefulKind = "integ_nonneg" if ast.non_negative else "integ"
        return self._hoist(kind, {"input": ast.flow, "init": ast.initial}, 1, layout, fixed)

    def _x_SmoothStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        return self._smooth(ast, int(ast.order), layout, fixed)

    def _x_SmoothNStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        return self._smooth(ast, self._literal_order(ast.order, "SMOOTH N"), layout, fixed)

    def _smooth(self, ast: Any, order: int, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        int_init = isinstance(ast.initial, (int, np.integer)) and not isinstance(ast.initial, bool)
        return self._hoist("smooth", {"input": ast.input, "time": ast.smooth_time, "init": ast.initial},
                           order, layout, fixed, int_init)

    def _literal_order(self, order: Any, what: str) -> int:
        if not _is_number(order) or float(order) != int(order) or int(order) < 1:
            raise UnsupportedFunctionError(f"{what} with an order that is not a positive integer literal",
                                           self.owner)
        return int(order)

    def _x_DelayStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        return self._hoist("delay", {"input": ast.input, "time": ast.delay_time, "init": ast.initial},
                           int(ast.order), layout, fixed)

    def _x_DelayNStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        return self._hoist("delay_n", {"input": ast.input, "time": ast.delay_time, "init": ast.initial},
                           self._literal_order(ast.order, "DELAY N"), layout, fixed)

    def _x_DelayFixedStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        return self._hoist("delay_fixed", {"input": ast.input, "time": ast.delay_time, "init": ast.initial},
                           1, layout, fixed)

    def _x_TrendStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        return self._hoist("trend", {"input": ast.input, "time": ast.average_time,
                                     "trend": ast.initial_trend}, 1, layout, fixed)

    def _x_ForecastStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        return self._hoist("forecast", {"input": ast.input, "time": ast.average_time, "horizon": ast.horizon,
                                        "trend": ast.initial_trend}, 1, layout, fixed)

    def _x_GameStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        return self._expr(ast.expression, layout, fixed)  # GAME: the model's own value when not gaming

    def _x_InitialStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        return self._hoist("initial", {"init": ast.initial}, 1, layout, fixed)

    def _x_SampleIfTrueStructure(self, ast: Any, layout: tuple[str, ...], fixed: dict[str, str]) -> ir.Node:
        return self._hoist("sample_if_true", {"cond": ast.condition, "input": ast.input,
                                              "init": ast.initial}, 1, layout, fixed)

    def _name(self, reference: str) -> str:
        if self.scope is not None:
            if reference in self.scope:
                return self.scope[reference]
            raise ModelError(f"'{self.owner}': unknown name '{reference}' inside a macro")
        name = self.sb.namespace.cleanspace.get(reference)
        if name is None or name not in self.dims:
            raise ModelError(f"'{self.owner}': unknown variable '{reference}'")
        return name


def _clean(name: str) -> str:
    """PySD's cleaned spelling of a name inside references (lower case, ``_`` for spaces)."""
    return re.sub(r"\s+", "_", name.strip()).lower()


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            yield from _walk(getattr(node, f.name))
    elif isinstance(node, (list, tuple)):
        for x in node:
            yield from _walk(x)
