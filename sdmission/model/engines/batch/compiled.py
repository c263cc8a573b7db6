"""The compiled single-run paths: the same IR as the numpy engine, as scalar code compiled by numba
or (the default fast path, :class:`CFunction`, at the end of this module) by the system C compiler.

The numba path below stays opt-in (``BatchEngine.compiled("numba")``): its compile of the project
model took up to 926 s under load, the C path's ≈ 5 s on a quiet machine, for the same machine code
speed. The rest of this docstring describes the numba path; the C path shares its statements.

Why numba: the model is already Python source generated from the IR, numba compiles such source to
machine code with no C toolchain on the user's machine (it ships LLVM in its wheel), and its
``cache=True`` keeps the machine code on disk next to the generated module, so the compile cost
(seconds) is paid once per model version. The numpy engine spends its time in per-operation
Python overhead (≈ 1 µs per array operation); here every element of every variable is a scalar
local, so one run of a few hundred equations over a few hundred steps takes well under a
millisecond, and ensemble members run in parallel on the cores (``prange``).

Layout of the generated function ``run(times, flags, dt, CIN, TIN, DS, OUT, SAVE)`` (one per model
and set of overridden non-literal inputs; the returned variables are chosen at run time):

``CIN (rows, nc)``
    every literal constant (and every overridden constant), flattened; ``rows`` is 1 or N;
``TIN (T, rows, nt)``
    time-path inputs on the integration grid;
``DS (T, nd)``
    data series (GET … DATA) sampled on the grid;
``OUT (n_save, N, no)``, ``SAVE (no,)``
    every returned variable, flattened, at the save times; ``SAVE`` holds their slots in the
    member's work array ``W``.

Statefuls follow ``codegen`` exactly (PySD's Euler scheme and initialisation order); delays keep
their stages in small per-member arrays so that PySD's lowering of the delay order is decided at
run time.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import math
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sdmission.errors import ModelError, UnsupportedFunctionError
from sdmission.io import atomic_write_bytes
from sdmission.model.cache import check_file, note
from sdmission.model.engines.batch import artefacts, codegen, ir
from sdmission.model.translate import model_cache_folder

CODE_VERSION = "5"

PRELUDE = """
import numpy as np
from numba import njit, prange

from sdmission.model.engines.batch.numba_helpers import *  # noqa: F403
"""

_SCALAR_FN = {
    "exp": "np.exp", "log": "np.log", "sqrt": "np.sqrt", "power": "np.power", "sin": "np.sin",
    "cos": "np.cos", "tan": "np.tan", "arcsin": "np.arcsin", "arccos": "np.arccos",
    "arctan": "np.arctan", "sinh": "np.sinh", "cosh": "np.cosh", "tanh": "np.tanh",
}
_TIME_FUNCS = ("step", "ramp", "pulse", "pulse_train")
_REDUCE_OP = {"sum": "+", "prod": "*"}


@dataclass(frozen=True)
class Layout:
    """Where each flattened input/output lives in the packed arrays."""

    cin: dict[str, int]  # const input -> offset in CIN
    tin: dict[str, int]  # time input -> offset in TIN
    ds: dict[int, int]  # data series -> offset in DS
    out: dict[str, int]  # output -> offset in OUT
    nc: int
    nt: int
    nd: int
    no: int


class _Scalar(codegen._Gen):
    """Renders the IR element by element (scalars) instead of array by array."""

    def __init__(self, model: ir.ModelIR, plan: codegen.Plan, literals: Sequence[str]):
        plan = codegen.Plan(plan.const_inputs | frozenset(literals), plan.time_inputs, plan.outputs)
        super().__init__(model, plan)
        self.vid = {n: i for i, n in enumerate(model.variables)}
        size = {n: int(np.prod(model.shape(v.dims))) for n, v in model.variables.items()}
        self.size = size
        off = 0
        cin: dict[str, int] = {}
        for n in sorted(plan.const_inputs):
            cin[n], off = off, off + size[n]
        nc, off = off, 0
        tin: dict[str, int] = {}
        for n in sorted(plan.time_inputs):
            tin[n], off = off, off + size[n]
        nt, off = off, 0
        ds: dict[int, int] = {}
        for i, (_, _, shape, _) in enumerate(model.data):
            ds[i], off = off, off + int(np.prod(shape[1:]))
        nd, off = off, 0
        out: dict[str, int] = {}
        for n in plan.outputs:
            out[n], off = off, off + size[n]
        self.layout = Layout(cin, tin, ds, out, nc, nt, nd, off)
        self.tables_used: set[int] = set()

    # -- names ------------------------------------------------------------------------------------
    def v(self, name: str, flat: int) -> str:
        return f"v{self.vid[name]}_{flat}"

    @staticmethod
    def _flat(pos: Sequence[int], shape: Sequence[int]) -> int:
        return int(np.ravel_multi_index(tuple(pos), tuple(shape))) if len(shape) else 0

    def _positions(self, layout: tuple[str, ...]) -> list[tuple[int, ...]]:
        return list(np.ndindex(*self.m.shape(layout)))

    # -- expressions --------------------------------------------------------------------------------
    def s(self, node: ir.Node, layout: tuple[str, ...], pos: tuple[int, ...]) -> str:
        method = getattr(self, f"_s_{type(node).__name__}")
        code: str = method(node, layout, pos)
        return code

    def _s_Num(self, node: ir.Num, layout: tuple[str, ...], pos: tuple[int, ...]) -> str:
        return codegen.render_number(node.value)

    def _s_ArrayLit(self, node: ir.ArrayLit, layout: tuple[str, ...], pos: tuple[int, ...]) -> str:
        shape, values = self.m.arrays[node.index]
        return codegen.render_number(values[self._flat(pos, shape)])

    def _s_TimeRef(self, node: ir.TimeRef, layout: tuple[str, ...], pos: tuple[int, ...]) -> str:
        return "t"

    def _s_StRef(self, node: ir.StRef, layout: tuple[str, ...], pos: tuple[int, ...]) -> str:
        st = self.m.statefuls[node.index]
        return f"o{node.index}_{self._flat(pos, self.m.shape(st.layout))}"

    def _ref_index(self, node: ir.Ref, layout: tuple[str, ...], pos: tuple[int, ...]) -> int:
        idx: list[int] = []
        for sel in node.sel:
            if sel[0] == "elem":
                idx.append(sel[1])
            elif sel[0] == "all":
                idx.append(pos[layout.index(sel[1])])
            else:
                idx.append(sel[2][pos[layout.index(sel[1])]])
        return self._flat(idx, self.m.shape(self.m.variables[node.name].dims))

    def _s_Ref(self, node: ir.Ref, layout: tuple[str, ...], pos: tuple[int, ...]) -> str:
        return self.v(node.name, self._ref_index(node, layout, pos))

    def _s_Op(self, node: ir.Op, layout: tuple[str, ...], pos: tuple[int, ...]) -> str:
        return codegen.render_op(node.ops, [self.s(a, layout, pos) for a in node.args])

    def _s_Call(self, node: ir.Call, layout: tuple[str, ...], pos: tuple[int, ...]) -> str:
        args = [self.s(a, layout, pos) for a in node.args]
        if node.fn in _SCALAR_FN:
            return f"{_SCALAR_FN[node.fn]}({', '.join(args)})"
        if node.fn in _TIME_FUNCS:
            if node.fn == "ramp" and len(args) == 2:
                args.append("np.inf")
            args = ["t", "dt"] + args
        return f"_{node.fn}({', '.join(args)})"

    def _s_Reduce(self, node: ir.Reduce, layout: tuple[str, ...], pos: tuple[int, ...]) -> str:
        inner = layout + node.labels
        terms = [self.s(node.arg, inner, pos + tuple(extra)) for extra in np.ndindex(*self.m.shape(node.labels))]
        if node.fn in _REDUCE_OP:
            return "(" + f" {_REDUCE_OP[node.fn]} ".join(terms) + ")"
        fn = "_minimum" if node.fn == "min" else "_maximum"
        code = terms[0]
        for term in terms[1:]:
            code = f"{fn}({code}, {term})"
        return code

    def _table(self, t: int) -> tuple[str, str]:
        self.tables_used.add(t)
        return f"_TX{t}", f"_TY{t}"

    def _s_Lookup(self, node: ir.Lookup, layout: tuple[str, ...], pos: tuple[int, ...]) -> str:
        xs, ys = self._table(node.table)
        return f"np.interp({self.s(node.x, layout, pos)}, {xs}, {ys})"

    def _s_LookupN(self, node: ir.LookupN, layout: tuple[str, ...], pos: tuple[int, ...]) -> str:
        if not isinstance(node.ids, ir.Ref):
            raise UnsupportedFunctionError("a subscripted lookup selected by an expression", "?")
        element = self._ref_index(node.ids, layout, pos)  # the table is known when generating
        xs, ys = self._table(self.m.lookup_groups[node.group][element])
        return f"np.interp({self.s(node.x, layout, pos)}, {xs}, {ys})"

    def _s_DataSeries(self, node: ir.DataSeries, layout: tuple[str, ...], pos: tuple[int, ...]) -> str:
        shape = self.m.data[node.index][2][1:]
        return f"DS[k, {self.layout.ds[node.index] + self._flat(pos, shape)}]"

    # -- variables ----------------------------------------------------------------------------------
    def var_lines(self, name: str, ind: str) -> list[str]:
        var = self.m.variables[name]
        shape = self.m.shape(var.dims)
        # A literal constant given as a time path has a CIN slot too (every literal has one); the
        # path wins, as on the numpy path.
        if name in self.layout.tin:
            base = self.layout.tin[name]
            return [f"{ind}{self.v(name, e)} = TIN[k, mt, {base + e}]" for e in range(self.size[name])]
        if name in self.layout.cin:
            base = self.layout.cin[name]
            return [f"{ind}{self.v(name, e)} = CIN[mc, {base + e}]" for e in range(self.size[name])]
        assigned: dict[int, str] = {}
        order: list[int] = []
        for c in var.components:
            mask = None
            if c.mask is not None:
                mshape, mvalues = self.m.arrays[c.mask]
                mask = np.asarray(mvalues).reshape(mshape)
            for lpos in self._positions(c.layout):
                if mask is not None and not mask[lpos]:
                    continue
                full: list[int] = []
                it = iter(lpos)
                for ix in c.index:
                    if ix[0] == "elem":
                        full.append(ix[1])
                    elif ix[0] == "all":
                        full.append(next(it))
                    else:
                        full.append(ix[1][next(it)])
                e = self._flat(full, shape)
                if e not in assigned:
                    order.append(e)
                assigned[e] = self.s(c.expr, c.layout, tuple(lpos))
        lines = [f"{ind}{self.v(name, e)} = {assigned[e]}" for e in order]
        lines += [f"{ind}{self.v(name, e)} = np.nan" for e in range(self.size[name]) if e not in assigned]
        return lines

    # -- statefuls ----------------------------------------------------------------------------------
    def _sarg(self, k: int, role: str, e: int) -> str:
        st = self.m.statefuls[k]
        pos = self._positions(st.layout)[e]
        return self.s(st.args[role], st.layout, tuple(pos))

    def _n(self, k: int) -> int:
        return int(np.prod(self.m.shape(self.m.statefuls[k].layout)))

    def st_init(self, k: int, ind: str) -> list[str]:
        st = self.m.statefuls[k]
        L: list[str] = []
        for e in range(self._n(k)):
            L += getattr(self, f"_i_{st.kind}")(k, st, e)
        if st.kind in ("delay", "delay_n"):
            # PySD lowers the order from the smallest delay time of the object (per member here)
            n = self._n(k)
            tmin = ", ".join(f"T{k}_{e}" for e in range(n))
            pre = [f"T{k}_{e} = {self._sarg(k, 'time', e)}" for e in range(n)]
            low = f"n{k} = _lower({st.order}, dt, min([{tmin}]))" if n > 1 else f"n{k} = _lower({st.order}, dt, T{k}_0)"
            L = pre + [low] + L
        return [ind + x for x in L]

    def _i_integ(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        return [f"s{k}_{e} = {self._sarg(k, 'init', e)}", f"o{k}_{e} = s{k}_{e}"]

    _i_integ_nonneg = _i_integ
    _i_initial = _i_integ

    def _i_smooth(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        L = [f"_i = {self._sarg(k, 'init', e)}"]
        L += [f"s{k}_{e}_{j} = _i" for j in range(st.order)]
        return L + [f"o{k}_{e} = s{k}_{e}_{st.order - 1}"]

    def _i_delay(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        L = [f"s{k}_{e} = np.empty({st.order})", f"s{k}_{e}[:] = {self._sarg(k, 'init', e)} * T{k}_{e}"]
        if st.kind == "delay_n":
            L += [f"m{k}_{e} = np.empty({st.order})", f"m{k}_{e}[:] = T{k}_{e}",
                  f"o{k}_{e} = s{k}_{e}[n{k} - 1] / m{k}_{e}[0]"]
        else:
            L.append(f"o{k}_{e} = s{k}_{e}[n{k} - 1] / T{k}_{e}")
        return L

    _i_delay_n = _i_delay

    def _i_delay_fixed(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        return [f"n{k}_{e} = _fixed_order({self._sarg(k, 'time', e)}, dt)",
                f"o{k}_{e} = {self._sarg(k, 'init', e)}",
                f"p{k}_{e} = np.empty(n{k}_{e})", f"p{k}_{e}[:] = o{k}_{e}", f"q{k}_{e} = 0"]

    def _i_trend(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        inp, tm = self._sarg(k, "input", e), self._sarg(k, "time", e)
        return [f"s{k}_{e} = {inp} / (1 + {self._sarg(k, 'trend', e)} * {tm})",
                f"o{k}_{e} = _zidz({inp} - s{k}_{e}, {tm} * abs(s{k}_{e}))"]

    def _i_sample_if_true(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        return [f"s{k}_{e} = {self._sarg(k, 'init', e)}",
                f"o{k}_{e} = _where({self._sarg(k, 'cond', e)}, {self._sarg(k, 'input', e)}, s{k}_{e})"]

    def _i_forecast(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        return [f"s{k}_{e} = {self._sarg(k, 'input', e)} / (1 + {self._sarg(k, 'trend', e)})",
                self._forecast(k, e)]

    def _forecast(self, k: int, e: int) -> str:
        inp, tm, hz = self._sarg(k, "input", e), self._sarg(k, "time", e), self._sarg(k, "horizon", e)
        return f"o{k}_{e} = {inp} * (1 + _zidz({inp} - s{k}_{e}, {tm} * s{k}_{e}) * {hz})"

    def _i_active_initial(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        return [f"o{k}_{e} = {self._sarg(k, 'init', e)}"]

    def st_output(self, k: int, ind: str) -> list[str]:
        st = self.m.statefuls[k]
        L: list[str] = []
        for e in range(self._n(k)):
            if st.kind == "delay":
                L.append(f"o{k}_{e} = s{k}_{e}[n{k} - 1] / ({self._sarg(k, 'time', e)})")
            elif st.kind == "trend":
                inp, tm = self._sarg(k, "input", e), self._sarg(k, "time", e)
                L.append(f"o{k}_{e} = _zidz({inp} - s{k}_{e}, {tm} * abs(s{k}_{e}))")
            elif st.kind == "sample_if_true":
                L.append(f"o{k}_{e} = _where({self._sarg(k, 'cond', e)}, {self._sarg(k, 'input', e)}, s{k}_{e})")
            elif st.kind == "forecast":
                L.append(self._forecast(k, e))
            elif st.kind == "active_initial":
                L.append(f"o{k}_{e} = {self._sarg(k, 'input', e)}")
        return [ind + x for x in L]

    def st_ddt(self, k: int, ind: str) -> list[str]:
        st = self.m.statefuls[k]
        L: list[str] = []
        for e in range(self._n(k)):
            L += getattr(self, f"_d_{st.kind}")(k, st, e)
        return [ind + x for x in L]

    def _d_integ(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        return [f"d{k}_{e} = {self._sarg(k, 'input', e)}"]

    _d_integ_nonneg = _d_integ
    _d_delay_fixed = _d_integ

    def _d_initial(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        return []

    _d_active_initial = _d_initial

    def _d_smooth(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        n = st.order
        L = [f"_x = {self._sarg(k, 'input', e)}"]
        if st.int_init:
            L += ["if k == 0:", "    _x = np.trunc(_x)"]
        L.append(f"_T = {self._sarg(k, 'time', e)}")
        L.append(f"d{k}_{e}_0 = (_x - s{k}_{e}_0) * {n} / _T")
        L += [f"d{k}_{e}_{j} = (s{k}_{e}_{j - 1} - s{k}_{e}_{j}) * {n} / _T" for j in range(1, n)]
        return L

    def _d_delay(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        s = f"s{k}_{e}"
        L = []
        if st.kind == "delay_n":
            m = f"m{k}_{e}"
            L += [f"for _j in range(n{k} - 1, 0, -1):", f"    {m}[_j] = {m}[_j - 1]",
                  f"{m}[0] = {self._sarg(k, 'time', e)}"]
            here, before, first = f"{m}[_j]", f"{m}[_j - 1]", f"{m}[0]"
        else:
            L.append(f"_T = {self._sarg(k, 'time', e)}")
            here = before = first = "_T"
        L += [f"d{k}_{e} = np.empty(n{k})",
              f"d{k}_{e}[0] = ({self._sarg(k, 'input', e)} - {s}[0] / {first}) * n{k}",
              f"for _j in range(1, n{k}):",
              f"    d{k}_{e}[_j] = ({s}[_j - 1] / {before} - {s}[_j] / {here}) * n{k}"]
        return L

    _d_delay_n = _d_delay

    def _d_trend(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        return [f"d{k}_{e} = ({self._sarg(k, 'input', e)} - s{k}_{e}) / {self._sarg(k, 'time', e)}"]

    _d_forecast = _d_trend

    def _d_sample_if_true(self, k: int, st: ir.Stateful, e: int) -> list[str]:
        return [f"d{k}_{e} = _where({self._sarg(k, 'cond', e)}, {self._sarg(k, 'input', e)}, s{k}_{e})"]

    def st_update(self, k: int, ind: str) -> list[str]:
        st = self.m.statefuls[k]
        L: list[str] = []
        for e in range(self._n(k)):
            s, d, o = f"s{k}_{e}", f"d{k}_{e}", f"o{k}_{e}"
            if st.kind in ("integ", "trend", "forecast"):
                L.append(f"{s} = {s} + {d} * dt")
            elif st.kind == "integ_nonneg":
                L.append(f"{s} = _maximum({s} + {d} * dt, 0.0)")
            elif st.kind == "smooth":
                L += [f"{s}_{j} = {s}_{j} + {d}_{j} * dt" for j in range(st.order)]
                L.append(f"{o} = {s}_{st.order - 1}")
            elif st.kind in ("delay", "delay_n"):
                L += [f"for _j in range(n{k}):", f"    {s}[_j] = {s}[_j] + {d}[_j] * dt"]
                if st.kind == "delay_n":
                    L.append(f"{o} = {s}[n{k} - 1] / m{k}_{e}[0]")
            elif st.kind == "delay_fixed":
                L += [f"p{k}_{e}[q{k}_{e}] = {d}", f"q{k}_{e} = (q{k}_{e} + 1) % n{k}_{e}", f"{o} = p{k}_{e}[q{k}_{e}]"]
            elif st.kind == "sample_if_true":
                L.append(f"{s} = {d}")
            if st.kind in ("integ", "integ_nonneg"):
                L.append(f"{o} = {s}")
        return [ind + x for x in L]

    # -- the function -------------------------------------------------------------------------------
    def _groups(self) -> dict[str, list[list[str]]]:
        """Statement groups (a group never splits across functions) of each phase of a member's run."""
        for st in self.m.statefuls:
            if st.kind in ("delay", "delay_n", "delay_fixed"):
                raise UnsupportedFunctionError(f"{st.kind.upper().replace('_', ' ')} on the compiled path", st.owner)
        roots = [("v", n) for n in self._of_class(codegen.DYN)] + [("s", k) for k in range(len(self.m.statefuls))]
        time_vars = self._ordered(self._of_class(codegen.TIME))
        g: dict[str, list[list[str]]] = {"init": [], "step": [], "body": [], "ddt": [], "update": []}
        for n in self._ordered(self._of_class(codegen.CONST)) + time_vars:
            g["init"].append(self.var_lines(n, ""))
        for kind, key in self._order(roots, init=True):
            g["init"].append(self.var_lines(key, "") if kind == "v" else self.st_init(key, ""))  # type: ignore[arg-type]
        for n in time_vars:
            g["step"].append(self.var_lines(n, ""))
        for kind, key in self._order(roots, init=False):
            g["body"].append(self.var_lines(key, "") if kind == "v" else self.st_output(key, ""))  # type: ignore[arg-type]
        for k in range(len(self.m.statefuls)):
            g["ddt"].append(self.st_ddt(k, ""))
            g["update"].append(self.st_update(k, ""))
        return g

    def generate_scalar(self) -> str:
        """Module source: every value of a member lives in one work array ``W`` (a slot per element,
        state and derivative); the phases are split into small functions (numba compiles many small
        functions far faster than one huge one) called from a per-member driver."""
        groups = self._groups()
        slots: dict[str, int] = {}

        def slot(mt: re.Match[str]) -> str:
            return f"W[{slots.setdefault(mt.group(0), len(slots))}]"

        funcs: list[str] = []
        calls: dict[str, list[str]] = {}
        args = "W, t, dt, k, mc, mt, CIN, TIN, DS"
        for phase, glist in groups.items():
            calls[phase] = []
            chunk: list[str] = []
            for grp in glist + [None]:
                if grp is None or (chunk and len(chunk) + len(grp) > _CHUNK):
                    if chunk:
                        name = f"_{phase}{len(calls[phase])}"
                        body = "\n".join("    " + _SLOT.sub(slot, x) for x in chunk)
                        funcs.append(f"@njit(**_J)\ndef {name}({args}):\n{body}\n")
                        calls[phase].append(f"{name}({args})")
                    chunk = []
                if grp is not None:
                    chunk.extend(grp)

        def call(phase: str, ind: str) -> list[str]:
            return [ind + c for c in calls[phase]] or [ind + "pass"]

        L = ["@njit(**_J)", "def _member(times, flags, dt, CIN, TIN, DS, OUT, SAVE, mi):",
             f"    W = np.empty({max(len(slots), 1)})",
             "    mc = mi if CIN.shape[0] > 1 else np.int64(0)",
             "    mt = mi if TIN.shape[1] > 1 else np.int64(0)",
             "    T = times.shape[0]", "    last = T - 1", "    k = 0", "    j = 0", "    t = times[0]"]
        L += call("init", "    ")
        L += ["    for k in range(T):", "        t = times[k]", "        if k:"]
        L += call("step", "            ")
        active = any(st.kind == "active_initial" for st in self.m.statefuls)
        L += call("body", "        " if active else "            ")
        # the returned variables are chosen at run time: SAVE holds their slots in W
        L += ["        if flags[k]:", "            for q in range(SAVE.shape[0]):", "                OUT[j, mi, q] = W[SAVE[q]]",
              "            j += 1"]
        L += ["        if k == last:", "            break"] + call("ddt", "        ") + call("update", "        ")
        L += ["", "", "@njit(**_J)", "def run(times, flags, dt, CIN, TIN, DS, OUT, SAVE):",
              "    for m in range(OUT.shape[1]):", "        _member(times, flags, dt, CIN, TIN, DS, OUT, SAVE, np.int64(m))",
              "    return OUT", "", "",
              "@njit(parallel=True, **_J)", "def run_parallel(times, flags, dt, CIN, TIN, DS, OUT, SAVE):",
              "    for m in prange(OUT.shape[1]):",
              "        _member(times, flags, dt, CIN, TIN, DS, OUT, SAVE, np.int64(m))", "    return OUT"]
        self.slots = {n: [slots[self.v(n, e)] for e in range(self.size[n])]
                      for n in self.m.variables if all(self.v(n, e) in slots for e in range(self.size[n]))}
        tables = [f"_TX{t} = _C['_TX{t}']\n_TY{t} = _C['_TY{t}']" for t in sorted(self.tables_used)]
        # the tables' arrays are checked and handed over by the loader (artefacts.py, issue #13)
        head = PRELUDE + "\n_C = _SDM_TABLES\n" + "\n".join(tables) + "\n\n\n"
        return head + "\n\n".join(funcs) + "\n\n" + "\n".join(L) + "\n"


_CHUNK = 120
_SLOT = re.compile(r"\b(?:v\d+_\d+|o\d+_\d+|[sd]\d+_\d+(?:_\d+)?)\b")


def _load_module(path: Path, tables: dict[str, np.ndarray]) -> Any:
    name = f"sdmission_compiled_{path.stem.replace('-', '_')}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ModelError(f"cannot load generated module {path}")
    module = importlib.util.module_from_spec(spec)
    module._SDM_TABLES = tables  # type: ignore[attr-defined]
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class CompiledFunction:
    """One plan of one model, compiled (or loaded from the on-disk cache)."""

    def __init__(self, model: ir.ModelIR, plan: codegen.Plan, literals: Sequence[str]):
        gen = _Scalar(model, plan, literals)
        src = gen.generate_scalar()
        self.layout = gen.layout
        self.slots = gen.slots  # {variable: its elements' slots in the work array}
        self.classes = dict(gen.cls)
        key = hashlib.sha256((CODE_VERSION + src).encode()).hexdigest()[:16]
        folder = model_cache_folder(model.source_hash)
        self.path = folder / f"compiled-{key}.py"
        # Imported from disk (numba caches beside it): only when its bytes are the code just
        # generated from the checked IR; anything else is rewritten (issue #13).
        if self.path.exists() and (not check_file(self.path) or self.path.read_bytes() != src.encode()):
            note(f"cached compiled module {self.path} differs from the generated code; rewriting it")
            self.path.unlink(missing_ok=True)
        arrays = artefacts.table_arrays(model, gen.tables_used)
        npz = self.path.with_suffix(".npz")
        tables = artefacts.read_tables(npz, artefacts.content_digest(arrays))
        if tables is None:
            artefacts.write_tables(npz, arrays)
            tables = arrays
        if not self.path.exists():
            atomic_write_bytes(self.path, src.encode(), mode=0o600)
        artefacts.check_numba_cache(self.path)  # numba's cache is pickles: only files we signed
        module = _load_module(self.path, tables)
        self.fn, self.fn_parallel = module.run, module.run_parallel
        self.compile_seconds: float | None = None
        self._signed: set[Any] = set()

    def __call__(self, times: np.ndarray, flags: np.ndarray, dt: float, cin: np.ndarray, tin: np.ndarray,
                 ds: np.ndarray, out: np.ndarray, save: np.ndarray) -> np.ndarray:
        fn = self.fn_parallel if out.shape[1] > 1 else self.fn  # members in parallel on the cores
        if self.compile_seconds is None:
            t0 = time.perf_counter()
            result = fn(times, flags, dt, cin, tin, ds, out, save)
            self.compile_seconds = time.perf_counter() - t0
        else:
            result = fn(times, flags, dt, cin, tin, ds, out, save)
        if fn not in self._signed:  # numba wrote (or reused) its cache for this function
            self._signed.add(fn)
            artefacts.sign_numba_cache(self.path)
        return np.asarray(result)


# == the C path ====================================================================================
# The same scalar statements as the numba path (``_Scalar._groups``), translated to C through
# Python's own parser (so precedence, chained comparisons and literals mean exactly what they mean
# in the generated Python) and compiled by the system C compiler into a shared library loaded with
# ctypes. Why C beside numba: on the project model (≈ 7,000 scalar statements) numba's type
# inference and LLVM passes take minutes to tens of minutes on a loaded 2-core machine, while
# ``cc -O1`` compiles the same code in seconds; the machine code is then as fast (well under a
# millisecond a run). IEEE semantics are kept: no ``-ffast-math``, no FMA contraction.

C_CODE_VERSION = "2"

_C_PRELUDE = r"""
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static inline double _where(double c, double a, double b) { return c != 0.0 ? a : b; }
static inline double _minimum(double a, double b) { return (isnan(a) || isnan(b)) ? NAN : (a < b ? a : b); }
static inline double _maximum(double a, double b) { return (isnan(a) || isnan(b)) ? NAN : (a > b ? a : b); }
static inline double _not(double a) { return a == 0.0 ? 1.0 : 0.0; }
static inline double _and(double a, double b) { return (a != 0.0 && b != 0.0) ? 1.0 : 0.0; }
static inline double _or(double a, double b) { return (a != 0.0 || b != 0.0) ? 1.0 : 0.0; }
static inline double _abs(double x) { return fabs(x); }
static inline double _zidz(double a, double b) { return fabs(b) < 1e-6 ? 0.0 : a / b; }
static inline double _xidz(double a, double b, double x) { return fabs(b) < 1e-6 ? x : a / b; }
static inline double _logb(double x, double base) { return log(x) / log(base); }
static inline double _integer(double x) { return trunc(x); }
static inline double _modulo(double x, double m) { return x - (m < 1e-6 ? x : m * trunc(x / m)); }
static inline double _quantum(double a, double b) { return b < 1e-6 ? a : b * trunc(a / b); }
static inline double _pymod(double a, double b) {
    double r = fmod(a, b);
    if (r != 0.0 && ((r < 0.0) != (b < 0.0))) r += b;
    return r;
}
static inline double _step(double t, double dt, double value, double tstep) {
    return value * (t + dt / 2 > tstep ? 1.0 : 0.0);
}
static inline double _ramp(double t, double dt, double slope, double start, double finish) {
    double final = (finish > t || isnan(t)) ? t : finish;
    return (t + 1e-6 > start ? 1.0 : 0.0) * slope * (final - start);
}
static inline double _pulse(double t, double dt, double start, double width) {
    return (start - 1e-6 <= t && t < start + width) ? 1.0 : 0.0;
}
static inline double _pulse_train(double t, double dt, double start, double repeat, double width, double end) {
    if (repeat == 0) return (start - 1e-6 <= t && t < start + width) ? 1.0 : 0.0;
    double r = _pymod(t - start + 1e-6, repeat);
    return (start <= t && t < end && r < width) ? 1.0 : 0.0;
}
/* numpy.interp for one value (numpy/_core/src/multiarray/compiled_base.c): flat beyond the ends. */
static double _interp(double x, const double *xp, const double *fp, int64_t n) {
    if (isnan(x)) return x;
    if (n == 1) return fp[0];
    if (x > xp[n - 1]) return fp[n - 1];
    if (x < xp[0]) return fp[0];
    if (x == xp[n - 1]) return fp[n - 1];
    int64_t lo = 0, hi = n - 1;
    while (hi - lo > 1) { int64_t mid = (lo + hi) / 2; if (x >= xp[mid]) lo = mid; else hi = mid; }
    if (x == xp[lo]) return fp[lo];
    double slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo]);
    double r = slope * (x - xp[lo]) + fp[lo];
    if (isnan(r)) {
        r = slope * (x - xp[lo + 1]) + fp[lo + 1];
        if (isnan(r) && fp[lo] == fp[lo + 1]) r = fp[lo];
    }
    return r;
}
"""

_C_FN = {
    "np.exp": "exp", "np.log": "log", "np.sqrt": "sqrt", "np.power": "pow", "np.sin": "sin",
    "np.cos": "cos", "np.tan": "tan", "np.arcsin": "asin", "np.arccos": "acos",
    "np.arctan": "atan", "np.sinh": "sinh", "np.cosh": "cosh", "np.tanh": "tanh",
    "np.trunc": "trunc", "abs": "fabs",
}
_C_HELPERS = frozenset({
    "_where", "_minimum", "_maximum", "_not", "_and", "_or", "_abs", "_zidz", "_xidz", "_logb",
    "_integer", "_modulo", "_quantum", "_step", "_ramp", "_pulse", "_pulse_train",
})
_C_BIN = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_C_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_C_ARRAYS = {"W": "W", "CIN": "cin", "TIN": "tin", "DS": "ds"}
_C_LOCALS = ("_i", "_x", "_T")


def _c_number(v: float) -> str:
    if math.isnan(v):
        return "NAN"
    if math.isinf(v):
        return "INFINITY" if v > 0 else "(-INFINITY)"
    return repr(float(v))


class _ToC:
    """One statement of the generated scalar Python as C (raises on anything it does not know)."""

    def __init__(self, tables: dict[str, int]):
        self.tables = tables  # _TX3 -> length of table 3

    def stmt(self, node: ast.stmt, ind: str) -> list[str]:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            return [f"{ind}{self.expr(node.targets[0])} = {self.expr(node.value)};"]
        if isinstance(node, ast.If):
            out = [f"{ind}if ({self.expr(node.test)}) {{"]
            for s in node.body:
                out += self.stmt(s, ind + "    ")
            if node.orelse:
                out.append(f"{ind}}} else {{")
                for s in node.orelse:
                    out += self.stmt(s, ind + "    ")
            return out + [f"{ind}}}"]
        raise UnsupportedFunctionError(f"statement '{ast.unparse(node)[:60]}' on the C path", "?")

    def expr(self, node: ast.expr) -> str:  # noqa: C901 - one case per Python construct
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return "1.0" if node.value else "0.0"
            if isinstance(node.value, (int, float)):
                return _c_number(float(node.value))
        elif isinstance(node, ast.Name):
            if node.id in ("t", "dt", "k") or node.id in _C_LOCALS:
                return node.id
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "np":
            const = {"inf": "INFINITY", "nan": "NAN", "pi": "M_PI", "e": "M_E"}.get(node.attr)
            if const:
                return const
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in _C_ARRAYS:
            idx = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            last = idx[-1]
            if isinstance(last, ast.Constant) and isinstance(last.value, int):
                return f"{_C_ARRAYS[node.value.id]}[{last.value}]"  # the row is chosen by the caller
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return f"(-{self.expr(node.operand)})"
            if isinstance(node.op, ast.UAdd):
                return f"(+{self.expr(node.operand)})"
            if isinstance(node.op, ast.Not):
                return f"_not({self.expr(node.operand)})"
        elif isinstance(node, ast.BinOp):
            a, b = self.expr(node.left), self.expr(node.right)
            if type(node.op) in _C_BIN:
                return f"({a} {_C_BIN[type(node.op)]} {b})"
            if isinstance(node.op, ast.Pow):
                return f"pow({a}, {b})"
            if isinstance(node.op, ast.Mod):
                return f"_pymod({a}, {b})"
        elif isinstance(node, ast.Compare):
            terms = [self.expr(node.left)] + [self.expr(c) for c in node.comparators]
            if all(type(op) in _C_CMP for op in node.ops):
                pairs = [f"({terms[i]} {_C_CMP[type(op)]} {terms[i + 1]})" for i, op in enumerate(node.ops)]
                return "((" + " && ".join(pairs) + ") ? 1.0 : 0.0)"
        elif isinstance(node, ast.BoolOp):
            op = " && " if isinstance(node.op, ast.And) else " || "
            return "((" + op.join(f"({self.expr(v)} != 0.0)" for v in node.values) + ") ? 1.0 : 0.0)"
        elif isinstance(node, ast.IfExp):
            return f"(({self.expr(node.test)}) != 0.0 ? {self.expr(node.body)} : {self.expr(node.orelse)})"
        elif isinstance(node, ast.Call) and not node.keywords:
            fn = ast.unparse(node.func)
            if fn == "np.interp" and len(node.args) == 3 and isinstance(node.args[1], ast.Name):
                tx, ty = node.args[1].id, ast.unparse(node.args[2])
                if tx in self.tables and ty == "_TY" + tx[3:]:
                    return f"_interp({self.expr(node.args[0])}, {tx}, {ty}, {self.tables[tx]})"
            args = [self.expr(a) for a in node.args]
            if fn in _C_FN:
                return f"{_C_FN[fn]}({', '.join(args)})"
            if fn in _C_HELPERS:
                return f"{fn}({', '.join(args)})"
        raise UnsupportedFunctionError(f"'{ast.unparse(node)[:60]}' on the C path", "?")


def c_compiler() -> str | None:
    """The C compiler the C path uses: ``$SDMISSION_CC``, else ``cc``/``gcc``/``clang`` on the PATH."""
    import os
    import shutil

    env = os.environ.get("SDMISSION_CC")
    if env:
        return shutil.which(env)
    for name in ("cc", "gcc", "clang"):
        found = shutil.which(name)
        if found:
            return found
    return None


def c_supported(model: ir.ModelIR) -> None:
    """Raise :class:`UnsupportedFunctionError` when the compiled paths refuse something of ``model``."""
    for st in model.statefuls:
        if st.kind in ("delay", "delay_n", "delay_fixed"):
            raise UnsupportedFunctionError(f"{st.kind.upper().replace('_', ' ')} on the compiled path", st.owner)


class _CScalar(_Scalar):
    """The scalar statements as one C translation unit with ``run`` as its entry point."""

    def generate_c(self) -> str:
        groups = self._groups()
        slots: dict[str, int] = {}

        def slot(mt: re.Match[str]) -> str:
            return f"W[{slots.setdefault(mt.group(0), len(slots))}]"

        tables = {f"_TX{t}": len(self.m.tables[t][0]) for t in sorted(self.tables_used)}
        conv = _ToC(tables)
        funcs: list[str] = []
        calls: dict[str, list[str]] = {}
        sig = ("double *restrict W, const double t, const double dt, const int64_t k, "
               "const double *restrict cin, const double *restrict tin, const double *restrict ds")
        for phase, glist in groups.items():
            calls[phase] = []
            chunk: list[str] = []
            for grp in glist + [None]:
                if grp is None or (chunk and len(chunk) + len(grp) > _C_CHUNK):
                    if chunk:
                        name = f"_{phase}{len(calls[phase])}"
                        tree = ast.parse("\n".join(_SLOT.sub(slot, x) for x in chunk))
                        body = [f"    double {', '.join(_C_LOCALS)};", f"    (void){_C_LOCALS[0]}; (void){_C_LOCALS[1]}; "
                                f"(void){_C_LOCALS[2]}; (void)t; (void)dt; (void)k; (void)cin; (void)tin; (void)ds;"]
                        for s in tree.body:
                            body += conv.stmt(s, "    ")
                        funcs.append(f"static void {name}({sig}) {{\n" + "\n".join(body) + "\n}\n")
                        calls[phase].append(f"{name}(W, t, dt, k, cin, tin, ds);")
                    chunk = []
                if grp is not None:
                    chunk.extend(grp)
        data = []
        for t in sorted(self.tables_used):
            xs, ys = self.m.tables[t]
            for tag, vals in (("X", xs), ("Y", ys)):
                data.append(f"static const double _T{tag}{t}[] = {{"
                            + ", ".join(_c_number(float(v)) for v in np.asarray(vals, dtype=float)) + "};")
        active = any(st.kind == "active_initial" for st in self.m.statefuls)

        def call(phase: str, ind: str) -> list[str]:
            return [ind + c for c in calls[phase]]

        nslots = max(len(slots), 1)
        L = [
            "/* one member: W holds every element, state and derivative (a slot each) */",
            "static void _member(int64_t T, const double *times, const uint8_t *flags, double dt,",
            "                    const double *cin, const double *TIN, int64_t trows, int64_t nt, int64_t mt,",
            "                    const double *DS, int64_t nd, double *OUT, int64_t N, int64_t no,",
            "                    const int64_t *SAVE, int64_t mi, double *W) {",
            "    int64_t k = 0, j = 0;",
            "    double t = times[0];",
            "    const double *tin = TIN + mt * nt;",
            "    const double *ds = DS;",
        ]
        L += call("init", "    ")
        L += ["    for (k = 0; k < T; k++) {", "        t = times[k];",
              "        tin = TIN + (k * trows + mt) * nt;", "        ds = DS + k * nd;", "        if (k) {"]
        L += call("step", "            ")
        if active:
            L += ["        }"] + call("body", "        ")
        else:
            L += call("body", "            ") + ["        }"]
        L += ["        if (flags[k]) {",
              "            for (int64_t q = 0; q < no; q++) OUT[(j * N + mi) * no + q] = W[SAVE[q]];",
              "            j++;", "        }", "        if (k == T - 1) break;"]
        L += call("ddt", "        ") + call("update", "        ")
        L += ["    }", "}", "",
              f"int64_t sdm_slots(void) {{ return {nslots}; }}", "",
              "int64_t sdm_run(int64_t T, const double *times, const uint8_t *flags, double dt,",
              "                int64_t crows, const double *CIN, int64_t nc,",
              "                int64_t trows, const double *TIN, int64_t nt,",
              "                const double *DS, int64_t nd, double *OUT, int64_t N, int64_t no,",
              "                const int64_t *SAVE) {",
              f"    double *W = (double *)malloc(sizeof(double) * {nslots});",
              "    if (!W) return -1;",
              "    for (int64_t m = 0; m < N; m++) {",
              "        _member(T, times, flags, dt, CIN + (crows > 1 ? m : 0) * nc, TIN, trows, nt,",
              "                trows > 1 ? m : 0, DS, nd, OUT, N, no, SAVE, m, W);",
              "    }",
              "    free(W);",
              "    return 0;",
              "}"]
        self.slots = {n: [slots[self.v(n, e)] for e in range(self.size[n])]
                      for n in self.m.variables if all(self.v(n, e) in slots for e in range(self.size[n]))}
        return (f"/* generated by sdmission (C path v{C_CODE_VERSION}); do not edit */\n" + _C_PRELUDE
                + "\n".join(data) + "\n\n" + "\n".join(funcs) + "\n" + "\n".join(L) + "\n")


_C_CHUNK = 400
_C_FLAGS = ("-O1", "-shared", "-fPIC", "-ffp-contract=off", "-fno-fast-math", "-w")


class CFunction:
    """One plan of one model as a C shared library, compiled once and cached on disk.

    The library and a signed description of it (``clib-KEY.json``: layout, output slots and the
    library's SHA-256, HMAC-signed with the per-user key of :mod:`sdmission.model.cache`) are kept
    in the model's cache folder under a key of the plan, the IR version and the compiler flags, so
    a later process loads it in milliseconds without generating any code. A library whose digest
    does not match its signed description is never loaded (it is compiled again).

    Same call as :class:`CompiledFunction`; ``compile_seconds`` is the cost of generating and
    compiling the code (None when the library came from the cache).

    Raises
    ------
    LookupError
        With ``cached_only=True``, when the library is not in the cache.
    """

    def __init__(self, model: ir.ModelIR, plan: codegen.Plan, literals: Sequence[str], *,
                 ir_version: str = "", cached_only: bool = False):
        import ctypes

        cc = c_compiler()
        if cc is None:
            raise UnsupportedFunctionError("the C path without a C compiler (set SDMISSION_CC)", "?")
        ident = repr((C_CODE_VERSION, ir_version, _C_FLAGS, sorted(plan.const_inputs - set(literals)),
                      sorted(plan.time_inputs),
                      list(literals)))
        key = hashlib.sha256(ident.encode()).hexdigest()[:16]
        folder = model_cache_folder(model.source_hash)
        self.path = folder / f"clib-{key}.so"
        self._meta_path = folder / f"clib-{key}.json"
        self.compile_seconds: float | None = None
        meta = self._cached()
        if meta is None:
            if cached_only:
                raise LookupError(str(self.path))
            meta = self._build(model, plan, literals, cc, ident)
        lay = meta["layout"]
        self.layout = Layout(cin=dict(lay["cin"]), tin=dict(lay["tin"]), ds={int(k): v for k, v in lay["ds"].items()},
                             out=dict(lay["out"]), nc=lay["nc"], nt=lay["nt"], nd=lay["nd"], no=lay["no"])
        self.slots: dict[str, list[int]] = {k: list(v) for k, v in meta["slots"].items()}
        self.classes: dict[str, int] = dict(meta["classes"])
        try:
            lib = ctypes.CDLL(str(self.path))
        except OSError as exc:
            raise ModelError(f"cannot load the compiled library {self.path}: {exc}") from exc
        fn = lib.sdm_run
        i64, dbl, ptr = ctypes.c_int64, ctypes.c_double, ctypes.c_void_p
        fn.argtypes = [i64, ptr, ptr, dbl, i64, ptr, i64, i64, ptr, i64, ptr, i64, ptr, i64, i64, ptr]
        fn.restype = i64
        self._fn = fn
        self._lib = lib

    def _cached(self) -> dict[str, Any] | None:
        """The signed description of a cached library whose bytes match it, else None."""
        import json

        from sdmission.model.cache import read_signed

        if not (self.path.exists() and self._meta_path.exists()):
            return None
        raw = read_signed(self._meta_path)
        if raw is None or not check_file(self.path):
            note(f"cached C library {self.path} has no valid signed description; compiling it again")
            return None
        meta: dict[str, Any] = json.loads(raw)
        if meta.get("sha256") != hashlib.sha256(self.path.read_bytes()).hexdigest():
            note(f"cached C library {self.path} is not the one compiled here; compiling it again")
            return None
        return meta

    def _build(self, model: ir.ModelIR, plan: codegen.Plan, literals: Sequence[str], cc: str,
               ident: str) -> dict[str, Any]:
        import json
        import os
        import subprocess
        import tempfile

        from sdmission.model.cache import write_signed

        t0 = time.perf_counter()
        gen = _CScalar(model, plan, literals)
        src = gen.generate_c()
        c_file = self.path.with_suffix(".c")  # kept for reading; compiled from this copy
        atomic_write_bytes(c_file, src.encode(), mode=0o600)
        fd, tmp = tempfile.mkstemp(suffix=".so", dir=self.path.parent)
        os.close(fd)
        try:
            try:
                res = subprocess.run([cc, *_C_FLAGS, "-o", tmp, str(c_file), "-lm"],  # noqa: S603
                                     capture_output=True, text=True, check=False)
            except OSError as exc:
                raise ModelError(f"cannot run the C compiler {cc}: {exc}") from exc
            if res.returncode != 0:
                raise ModelError(f"C compile of {c_file} failed ({cc}):\n{res.stderr[-2000:]}")
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        lay = gen.layout
        meta = {"ident": ident, "sha256": hashlib.sha256(self.path.read_bytes()).hexdigest(),
                "layout": {"cin": lay.cin, "tin": lay.tin, "ds": {str(k): v for k, v in lay.ds.items()},
                           "out": lay.out, "nc": lay.nc, "nt": lay.nt, "nd": lay.nd, "no": lay.no},
                "slots": gen.slots, "classes": dict(gen.cls)}
        write_signed(self._meta_path, json.dumps(meta).encode())
        self.compile_seconds = time.perf_counter() - t0
        return meta

    def __call__(self, times: np.ndarray, flags: np.ndarray, dt: float, cin: np.ndarray, tin: np.ndarray,
                 ds: np.ndarray, out: np.ndarray, save: np.ndarray) -> np.ndarray:
        times = np.ascontiguousarray(times, dtype=np.float64)
        flags = np.ascontiguousarray(flags, dtype=np.uint8)
        cin = np.ascontiguousarray(cin, dtype=np.float64)
        tin = np.ascontiguousarray(tin, dtype=np.float64)
        ds = np.ascontiguousarray(ds, dtype=np.float64)
        save = np.ascontiguousarray(save, dtype=np.int64)
        if not (out.flags.c_contiguous and out.dtype == np.float64):
            raise ModelError("internal: the output array of the C path must be C-contiguous float64")
        T, N, no = times.shape[0], out.shape[1], out.shape[2]
        if cin.ndim != 2 or tin.ndim != 3 or ds.ndim != 2 or tin.shape[0] != T or ds.shape[0] != T:
            raise ModelError("internal: input arrays of the C path have the wrong shapes")
        rc = self._fn(T, times.ctypes.data, flags.ctypes.data, float(dt), cin.shape[0], cin.ctypes.data,
                      cin.shape[1], tin.shape[1], tin.ctypes.data, tin.shape[2], ds.ctypes.data, ds.shape[1],
                      out.ctypes.data, N, no, save.ctypes.data)
        if rc != 0:
            raise ModelError("the C path could not allocate its work array")
        return out
