"""The compiled single-run path: the same IR as the numpy engine, as scalar code compiled by numba.

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

import hashlib
import importlib.util
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

CODE_VERSION = "4"

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
        if name in self.layout.cin:
            base = self.layout.cin[name]
            return [f"{ind}{self.v(name, e)} = CIN[mc, {base + e}]" for e in range(self.size[name])]
        if name in self.layout.tin:
            base = self.layout.tin[name]
            return [f"{ind}{self.v(name, e)} = TIN[k, mt, {base + e}]" for e in range(self.size[name])]
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
