"""Generate one numpy function from a ``ModelIR`` for a given set of overridden variables.

Every variable is put in one of three classes, which decide where its code goes:

``const``
    depends on nothing that changes in time: computed once, shape ``(N|1, *dims)``;
``time``
    depends on time (and constants) only, e.g. ``WITH LOOKUP(Time, …)`` levers and time-path inputs:
    computed for the whole integration grid at once before the loop, shape ``(T, N|1, *dims)``;
``dyn``
    depends on a stateful object: computed once per time step inside the loop.

The loop replays PySD's Euler scheme: at each grid time compute the stateful outputs and auxiliaries
(in dependency order), record them when it is a save time, evaluate every derivative from these
values, then update all states at once (``state + ddt * dt``). Initialisation evaluates, at the
initial time, every stateful's initial value in dependency order (PySD's initialisation order).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sdmission.errors import ModelError, UnsupportedFunctionError
from sdmission.model.engines.batch import ir

CONST, TIME, DYN = 0, 1, 2
SMALL_VENSIM = 1e-6

# Source of helper functions every generated module starts with (kept beside the generated code so
# the cached file is self-contained and readable).
PRELUDE = '''
import numpy as np

from sdmission.errors import ModelError, UnsupportedFunctionError

_where = np.where
_minimum = np.minimum
_maximum = np.maximum
_abs = np.abs
_exp = np.exp
_log = np.log
_sqrt = np.sqrt
_power = np.power
_sin = np.sin
_cos = np.cos
_tan = np.tan
_arcsin = np.arcsin
_arccos = np.arccos
_arctan = np.arctan
_sinh = np.sinh
_cosh = np.cosh
_tanh = np.tanh
_interp = np.interp
_not = np.logical_not
_and = np.logical_and
_or = np.logical_or
_take = np.take
_sum_reduce = np.add.reduce
_prod_reduce = np.multiply.reduce
_min_reduce = np.minimum.reduce
_max_reduce = np.maximum.reduce
_broadcast_to = np.broadcast_to
_transpose = np.transpose


def _zidz(a, b):
    return np.where(np.abs(b) < 1e-6, 0.0, a / b)


def _xidz(a, b, x):
    return np.where(np.abs(b) < 1e-6, x, a / b)


def _logb(x, base):
    return np.log(x) / np.log(base)


def _quantum(a, b):
    return np.where(b < 1e-6, a, b * np.trunc(a / b))


def _integer(x):
    return np.trunc(x)


def _modulo(x, m):
    return x - np.where(m < 1e-6, x, m * np.trunc(x / m))


def _step(t, dt, value, tstep):
    return value * (t + dt / 2 > tstep)


def _ramp(t, dt, slope, start, finish=None):
    final = t if finish is None else np.minimum(finish, t)
    return (t + 1e-6 > start) * slope * (final - start)


def _pulse(t, dt, start, width):
    return np.where((start - 1e-6 <= t) & (t < start + width), 1.0, 0.0)


def _pulse_train(t, dt, start, repeat, width, end):
    single = (start - 1e-6 <= t) & (t < start + width)
    train = (start <= t) & (t < end) & (np.mod(t - start + 1e-6, repeat) < width)
    return np.where(repeat == 0, single, train) * 1.0


def _interp_multi(x, ids, xs, ys, nx):
    # One table per lookup element: ids (broadcast with x) picks the table of each value.
    x, ids = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(ids).astype(np.intp))
    out = np.empty(x.shape)
    for e in np.unique(ids):
        m = ids == e
        out[m] = np.interp(x[m], xs[e, : nx[e]], ys[e, : nx[e]])
    return out


def _data_point(t, xs, ys, method):
    # PySD's pysd.py_backend.data.Data.__call__ for one time.
    hit = np.flatnonzero(xs == t)
    if hit.size:
        return ys[hit[0]]
    if method == "raw":
        return np.full(ys.shape[1:], np.nan)
    if t > xs[-1]:
        return ys[-1]
    if t < xs[0]:
        return ys[0]
    i = int(np.searchsorted(xs, t))
    if method == "look_forward":
        return ys[i]
    if method == "hold_backward":
        return ys[i - 1]
    w = (t - xs[i - 1]) / (xs[i] - xs[i - 1])
    return ys[i - 1] + w * (ys[i] - ys[i - 1])


def _data_at(t, xs, ys, method):
    t = np.asarray(t, dtype=float)
    lead = t.shape[:2] if t.ndim >= 2 else (1,)
    flat = t.reshape(-1)
    out = np.empty((flat.size,) + ys.shape[1:])
    for i in range(flat.size):
        out[i] = _data_point(flat[i], xs, ys, method)
    return out.reshape(lead + ys.shape[1:])


def _full(x, shape):
    x = np.asarray(x, dtype=float)
    return np.broadcast_to(x, np.broadcast_shapes(x.shape, shape))


def _state(x, shape):
    return np.array(np.broadcast_to(np.asarray(x, dtype=float), shape), dtype=float)


def _delay_order(order, dt, delay_time, name):
    # PySD lowers the order until order x TIME STEP <= the smallest delay time (fixed at
    # initialisation); members needing different orders cannot share one state array.
    t = np.asarray(delay_time, dtype=float)
    mins = t.reshape(t.shape[0], -1).min(axis=1) if t.ndim else t.reshape(1)
    orders = set()
    for m in mins:
        o = order
        while o > 1 and o * dt > m:
            o -= 1
        orders.add(o)
    if len(orders) > 1:
        raise UnsupportedFunctionError(
            "ensemble members whose delay times need different delay orders", name)
    return orders.pop()


def _stages(x, n, shape):
    return np.array(np.broadcast_to(np.asarray(x, dtype=float), (n,) + tuple(shape)), dtype=float)


def _delay_ddt(f, inp, n):
    d = np.empty_like(f)
    d[0] = (inp - f[0]) * n
    d[1:] = (f[:-1] - f[1:]) * n
    return d


def _roll_in(m, x):
    m = np.roll(m, 1, axis=0)
    m[0] = x
    return m


def _fixed_order(delay_time, dt, shape):
    # PySD: order = round(max(delay_time / dt, 1) + 1e-6), fixed at initialisation; here per member
    # (and element), so members with different delay times run side by side.
    orders = np.round(np.maximum(np.asarray(delay_time, dtype=float) / dt, 1) + 1e-6)
    return np.broadcast_to(orders, shape).astype(np.intp)


def _fixed_pipe(init, orders):
    pipe = np.empty((int(orders.max()),) + orders.shape)
    pipe[...] = init
    return pipe


def _fixed_push(pipe, ptr, orders, value):
    np.put_along_axis(pipe, ptr[None], np.broadcast_to(value, ptr.shape)[None], axis=0)
    ptr = (ptr + 1) % orders
    return ptr, np.take_along_axis(pipe, ptr[None], axis=0)[0]
'''


@dataclass(frozen=True)
class Plan:
    """What to generate: which variables are given, which are returned."""

    const_inputs: frozenset[str]
    time_inputs: frozenset[str]
    outputs: tuple[str, ...]


def _walk(node: ir.Node) -> Iterable[ir.Node]:
    yield node
    if isinstance(node, (ir.Op, ir.Call)):
        for a in node.args:
            yield from _walk(a)
    elif isinstance(node, ir.Reduce):
        yield from _walk(node.arg)
    elif isinstance(node, ir.Lookup):
        yield from _walk(node.x)
    elif isinstance(node, ir.LookupN):
        yield from _walk(node.ids)
        yield from _walk(node.x)


def _is_time(node: ir.Node) -> bool:
    """Does this node itself read the time (TIME, STEP/RAMP/PULSE…, a data series)?"""
    return (isinstance(node, (ir.TimeRef, ir.DataSeries))
            or (isinstance(node, ir.Call) and node.fn in _TIME_FUNCS))


def _refs(node: ir.Node) -> tuple[set[str], set[int], bool]:
    """Variables, statefuls and whether time are used directly by an expression."""
    names: set[str] = set()
    sts: set[int] = set()
    uses_time = False
    for n in _walk(node):
        if isinstance(n, ir.Ref):
            names.add(n.name)
        elif isinstance(n, ir.StRef):
            sts.add(n.index)
        elif _is_time(n):
            uses_time = True
    return names, sts, uses_time


_TIME_FUNCS = ("step", "ramp", "pulse", "pulse_train")
# Stateful argument roles needed to compute the output (rather than only the derivative).
_OUTPUT_ARGS = {"forecast": ("input", "time", "horizon"), "active_initial": ("input",), "delay": ("time",), "trend": ("input", "time"), "sample_if_true": ("cond", "input")}
# Roles needed to initialise the state and compute the first output.
_INIT_ARGS = {
    "integ": ("init",),
    "integ_nonneg": ("init",),
    "forecast": ("input", "trend", "time", "horizon"),
    "active_initial": ("init",),
    "initial": ("init",),
    "delay_n": ("init", "time"),
    "smooth": ("init",),
    "delay": ("init", "time"),
    "delay_fixed": ("init", "time"),
    "trend": ("input", "time", "trend"),
    "sample_if_true": ("init", "cond", "input"),
}


def render_number(v: float) -> str:
    """A literal. A negative one is written bare, as PySD writes it, so that Python's precedence
    gives PySD's (and Vensim's) result: ``30 ^ -30 ^ x`` is ``30 ** -(30 ** x)``."""
    if np.isnan(v):
        return "np.nan"
    if np.isinf(v):
        return "np.inf" if v > 0 else "(-np.inf)"
    return repr(v)


def render_op(ops: tuple[str, ...], args: list[str]) -> str:
    """An operator chain, built right to left exactly like PySD's OperationBuilder, so precedence
    and associativity are Python's, as in PySD's generated code."""
    if len(args) == 1:
        if ops[0] == "negative":
            return f"(-{args[0]})"
        if ops[0] == ":NOT:":
            return f"_not({args[0]})"
        raise ModelError(f"unknown unary operator {ops[0]}")
    args = list(args)
    right = args.pop()
    rest = list(ops)
    while rest:
        op = rest.pop()
        left = args.pop()
        if op == ":AND:":
            right = f"_and({left}, {right})"
        elif op == ":OR:":
            right = f"_or({left}, {right})"
        else:
            right = f"{left} {_PY_OPS.get(op, op)} {right}"
    return f"({right})"


_PY_OPS = {"^": "**", "=": "==", "<>": "!="}


class _Gen:
    def __init__(self, model: ir.ModelIR, plan: Plan):
        self.m = model
        self.plan = plan
        self.lines: list[str] = []
        self.consts: dict[str, np.ndarray] = {}
        self.cls: dict[str, int] = {}
        self._classify()
        # Loop-invariant subexpressions moved out of the time loop: constant ones are computed
        # once, time-only ones over the whole grid and read per step (same operations, same bits).
        self.hoisted: list[str] = []
        self.hoisted_time: list[str] = []
        self._hoist_names: dict[str, str] = {}

    # -- dependency analysis ------------------------------------------------------------------
    def _var_deps(self, name: str) -> tuple[set[str], set[int], bool]:
        names: set[str] = set()
        sts: set[int] = set()
        t = False
        for c in self.m.variables[name].components:
            a, b, c_t = _refs(c.expr)
            names |= a
            sts |= b
            t = t or c_t
        return names, sts, t

    def _st_deps(self, k: int, roles: Iterable[str]) -> tuple[set[str], set[int]]:
        names: set[str] = set()
        sts: set[int] = set()
        st = self.m.statefuls[k]
        for role in roles:
            if role in st.args:
                a, b, _ = _refs(st.args[role])
                names |= a
                sts |= b
        return names, sts

    def _given(self, name: str) -> int | None:
        if name in self.plan.time_inputs:
            return TIME
        if name in self.plan.const_inputs:
            return CONST
        return None

    def _classify(self) -> None:
        seen: set[str] = set()

        def visit(name: str, stack: tuple[str, ...]) -> int:
            if name in self.cls:
                return self.cls[name]
            if name in stack:
                raise ModelError("algebraic loop: " + " -> ".join(stack[stack.index(name):] + (name,)))
            given = self._given(name)
            if given is not None:
                self.cls[name] = given
                return given
            names, sts, uses_time = self._var_deps(name)
            level = DYN if sts else (TIME if uses_time else CONST)
            for n in sorted(names):
                level = max(level, visit(n, stack + (name,)))
            self.cls[name] = level
            seen.add(name)
            return level

        for name in self.m.variables:
            visit(name, ())

    def _order(self, roots: Sequence[tuple[str, object]], init: bool) -> list[tuple[str, object]]:
        """Topological order of dyn variables ('v', name) and statefuls ('s', k)."""
        out: list[tuple[str, object]] = []
        done: set[tuple[str, object]] = set()

        def deps(node: tuple[str, object]) -> list[tuple[str, object]]:
            kind, key = node
            if kind == "v":
                assert isinstance(key, str)
                if self._given(key) is not None:
                    return []
                names, sts, _ = self._var_deps(key)
            else:
                assert isinstance(key, int)
                st = self.m.statefuls[key]
                roles = _INIT_ARGS[st.kind] if init else _OUTPUT_ARGS.get(st.kind, ())
                names, sts = self._st_deps(key, roles)
            res: list[tuple[str, object]] = [("v", n) for n in sorted(names) if self.cls[n] == DYN]
            res += [("s", k) for k in sorted(sts)]
            return res

        def visit(node: tuple[str, object], stack: tuple[tuple[str, object], ...]) -> None:
            if node in done:
                return
            if node in stack:
                cyc = [str(k) for _, k in stack[stack.index(node):]] + [str(node[1])]
                raise ModelError("algebraic loop: " + " -> ".join(cyc))
            for d in deps(node):
                visit(d, stack + (node,))
            done.add(node)
            out.append(node)

        for r in roots:
            visit(r, ())
        return out

    # -- rendering ------------------------------------------------------------------------------
    def _const(self, prefix: str, value: np.ndarray) -> str:
        name = f"{prefix}{len(self.consts)}"
        self.consts[name] = value
        return name

    def _lead(self, name: str, mode: str) -> int:
        return 2 if (mode == "time" and self.cls[name] == TIME) else 1

    def _local(self, name: str, mode: str) -> str:
        return f"P_{name}" if (mode == "time" and self.cls[name] == TIME) else f"v_{name}"

    def _time(self, mode: str, nl: int) -> str:
        if mode == "time":
            return f"_tm{nl}"
        if mode == "loop":
            return "t"
        raise AssertionError("time used in a constant expression")

    def node_class(self, node: ir.Node) -> int:
        level = CONST
        for n in _walk(node):
            if isinstance(n, ir.StRef):
                return DYN
            if isinstance(n, ir.Ref):
                level = max(level, self.cls[n.name])
            elif _is_time(n):
                level = max(level, TIME)
        return level

    def render(self, node: ir.Node, mode: str, nl: int) -> str:
        if mode == "loop" and isinstance(node, (ir.Op, ir.Call, ir.Reduce, ir.Lookup, ir.LookupN, ir.Ref,
                                                ir.DataSeries)):
            level = self.node_class(node)
            if level == CONST and not (isinstance(node, ir.Ref) and not node.sel):
                code = self._render(node, "const", nl)
                if code.isidentifier():
                    return code
                if code not in self._hoist_names:
                    self._hoist_names[code] = f"_h{len(self._hoist_names)}"
                    self.hoisted.append(f"    {self._hoist_names[code]} = {code}")
                return self._hoist_names[code]
            if level == TIME and not isinstance(node, ir.Ref):
                code = self._render(node, "time", nl)
                key = "T:" + code
                if key not in self._hoist_names:
                    name = f"_h{len(self._hoist_names)}"
                    self._hoist_names[key] = name
                    self.hoisted.append(f"    _H{name} = _full({code}, (T, 1{', 1' * nl}))")
                    self.hoisted_time.append(name)
                return self._hoist_names[key]
        return self._render(node, mode, nl)

    def _render(self, node: ir.Node, mode: str, nl: int) -> str:
        method = getattr(self, f"_r_{type(node).__name__}", None)
        if method is None:
            raise ModelError(f"cannot render {type(node).__name__}")
        code: str = method(node, mode, nl)
        return code

    def _r_Num(self, node: ir.Num, mode: str, nl: int) -> str:
        return render_number(node.value)

    def _r_ArrayLit(self, node: ir.ArrayLit, mode: str, nl: int) -> str:
        shape, values = self.m.arrays[node.index]
        return self._const("_A", np.asarray(values, dtype=float).reshape((1,) + shape))

    def _r_TimeRef(self, node: ir.TimeRef, mode: str, nl: int) -> str:
        return self._time(mode, nl)

    def _r_StRef(self, node: ir.StRef, mode: str, nl: int) -> str:
        return f"o{node.index}"

    def _r_Ref(self, node: ir.Ref, mode: str, nl: int) -> str:
        return self._render_ref(node, mode)

    def _r_Op(self, node: ir.Op, mode: str, nl: int) -> str:
        return render_op(node.ops, [self.render(a, mode, nl) for a in node.args])

    def _r_Call(self, node: ir.Call, mode: str, nl: int) -> str:
        args = [self.render(a, mode, nl) for a in node.args]
        if node.fn in _TIME_FUNCS:
            args = [self._time(mode, nl), "dt"] + args
        return f"_{node.fn}({', '.join(args)})"

    def _r_Reduce(self, node: ir.Reduce, mode: str, nl: int) -> str:
        inner = self.render(node.arg, mode, nl + node.naxes)
        axes = tuple(range(-node.naxes, 0))
        axis = str(axes[0]) if len(axes) == 1 else str(axes)
        return f"_{node.fn}_reduce({inner}, axis={axis})"

    def _r_Lookup(self, node: ir.Lookup, mode: str, nl: int) -> str:
        xs, ys = self.m.tables[node.table]
        xn = self._const("_X", np.asarray(xs, dtype=float))
        yn = self._const("_Y", np.asarray(ys, dtype=float))
        return f"_interp({self.render(node.x, mode, nl)}, {xn}, {yn})"

    def _r_LookupN(self, node: ir.LookupN, mode: str, nl: int) -> str:
        xs, ys, nx = self._group_tables(node.group)
        ids = self.render(node.ids, mode, nl)
        return f"_interp_multi({self.render(node.x, mode, nl)}, {ids}, {xs}, {ys}, {nx})"

    def _r_DataSeries(self, node: ir.DataSeries, mode: str, nl: int) -> str:
        times, values, shape, method = self.m.data[node.index]
        tn = self._const("_DT", np.asarray(times, dtype=float))
        vn = self._const("_DV", np.asarray(values, dtype=float).reshape(shape))
        return f"_data_at({self._time(mode, nl)}, {tn}, {vn}, {method!r})"

    def _group_tables(self, group: int) -> tuple[str, str, str]:
        tables = [self.m.tables[t] for t in self.m.lookup_groups[group]]
        width = max(len(x) for x, _ in tables)
        xs = np.full((len(tables), width), np.nan)
        ys = np.full((len(tables), width), np.nan)
        for i, (x, y) in enumerate(tables):
            xs[i, : len(x)] = x
            ys[i, : len(y)] = y
        nx = np.asarray([len(x) for x, _ in tables], dtype=np.intp)
        return self._const("_LX", xs), self._const("_LY", ys), self._const("_LN", nx)

    def _render_ref(self, ref: ir.Ref, mode: str) -> str:
        expr = self._local(ref.name, mode)
        lead = self._lead(ref.name, mode)
        n = len(ref.sel)
        items: list[str] = []
        kept: list[str] = []
        for i, s in enumerate(ref.sel):
            if s[0] == "elem":
                items.append(str(s[1]))
            elif s[0] == "all":
                items.append(":")
                kept.append(s[1])
            else:
                pos = s[2]
                kept.append(s[1])
                if list(pos) == list(range(pos[0], pos[0] + len(pos))):
                    items.append(f"{pos[0]}:{pos[0] + len(pos)}")
                else:
                    idx = self._const("_I", np.asarray(pos, dtype=np.intp))
                    expr = f"_take({expr}, {idx}, axis={i - n})"
                    items.append(":")
        layout = ref.layout
        where = [layout.index(lab) for lab in kept]
        if where != sorted(where):
            # Reorder the kept axes to layout order first, then insert the missing ones.
            if any(it != ":" for it in items):
                expr = f"{expr}[{', '.join([':'] * lead + items)}]"
            perm = sorted(range(len(kept)), key=lambda j: where[j])
            axes = list(range(lead)) + [lead + p for p in perm]
            expr = f"_transpose({expr}, {tuple(axes)})"
            kept = [kept[p] for p in perm]
            items = [":"] * len(kept)
        # Interleave None for layout labels the reference does not have.
        out: list[str] = []
        ptr = 0
        ki = 0
        for it in items:
            if it.lstrip("-").isdigit():
                out.append(it)
                continue
            target = layout.index(kept[ki])
            while ptr < target:
                out.append("None")
                ptr += 1
            out.append(it)
            ptr += 1
            ki += 1
        while ptr < len(layout):
            out.append("None")
            ptr += 1
        if all(o == ":" for o in out):
            return expr
        return f"{expr}[{', '.join([':'] * lead + out)}]"

    # -- spans: which layout labels an expression fills ----------------------------------------
    def _spans(self, node: ir.Node, layout: tuple[str, ...]) -> tuple[set[str], bool]:
        """Labels a node has at full length, and whether it is an array with the lead axes."""
        if isinstance(node, ir.Num):
            return set(), False
        if isinstance(node, ir.TimeRef):
            return set(), False
        if isinstance(node, ir.ArrayLit):
            return set(layout), True
        if isinstance(node, ir.StRef):
            return set(self.m.statefuls[node.index].layout), True
        if isinstance(node, ir.Ref):
            return {s[1] for s in node.sel if s[0] != "elem"}, True
        if isinstance(node, (ir.Op, ir.Call)):
            labels: set[str] = set()
            arr = False
            for a in node.args:
                lab, is_arr = self._spans(a, layout)
                labels |= lab
                arr = arr or is_arr
            return labels, arr
        if isinstance(node, ir.Reduce):
            lab, arr = self._spans(node.arg, layout)
            return lab & set(layout), arr
        if isinstance(node, ir.Lookup):
            return self._spans(node.x, layout)
        if isinstance(node, ir.LookupN):
            (la, aa), (lx, ax) = self._spans(node.ids, layout), self._spans(node.x, layout)
            return la | lx, aa or ax
        if isinstance(node, ir.DataSeries):
            return set(layout), True
        raise ModelError(f"unknown node {type(node).__name__}")

    def _shape_expr(self, dims: tuple[str, ...], mode: str, lead: str) -> str:
        tail = self.m.shape(dims)
        return f"({lead}{''.join(f'{d}, ' for d in tail)})"

    # -- variables ------------------------------------------------------------------------------
    def _var_code(self, name: str, mode: str, indent: str) -> list[str]:
        var = self.m.variables[name]
        target = self._local(name, mode)
        lead_min = "T, 1, " if mode == "time" else "1, "
        lead_full = "T, N, " if mode == "time" else "N, "
        comps = var.components
        whole = len(comps) == 1 and all(ix[0] == "all" for ix in comps[0].index) and comps[0].mask is None
        if whole:
            c = comps[0]
            code = self.render(c.expr, mode, len(c.layout))
            labels, arr = self._spans(c.expr, c.layout)
            full_time = mode != "time" or self._has_time_axis(c.expr)
            if not (arr and labels >= set(c.layout) and full_time):
                if mode == "loop" and arr:
                    code = f"_broadcast_to({code}, {self._shape_expr(var.dims, mode, 'N, ')})"
                else:
                    code = f"_full({code}, {self._shape_expr(var.dims, mode, lead_min)})"
            return [f"{indent}{target} = {code}"]
        lines = [f"{indent}{target} = np.full({self._shape_expr(var.dims, mode, lead_full)}, np.nan)"]
        lead_items = ":, :" if mode == "time" else ":"
        for c in comps:
            items = []
            arrays = 0
            for ix in c.index:
                if ix[0] == "all":
                    items.append(":")
                elif ix[0] == "elem":
                    items.append(str(ix[1]))
                else:
                    pos = ix[1]
                    if list(pos) == list(range(pos[0], pos[0] + len(pos))):
                        items.append(f"{pos[0]}:{pos[0] + len(pos)}")
                    else:
                        arrays += 1
                        items.append(self._const("_I", np.asarray(pos, dtype=np.intp)))
            if arrays > 1:
                raise ModelError(f"'{name}': equation over two non-contiguous subranges is not supported")
            code = self.render(c.expr, mode, len(c.layout))
            where = f"{target}[{', '.join([lead_items] + items)}]"
            if c.mask is not None:  # :EXCEPT: keeps what other equations wrote there
                shape, values = self.m.arrays[c.mask]
                mask = self._const("_M", np.asarray(values, dtype=bool).reshape((1,) + shape))
                code = f"_where({mask}, {code}, {where})"
            lines.append(f"{indent}{where} = {code}")
        return lines

    def _has_time_axis(self, node: ir.Node) -> bool:
        for n in _walk(node):
            if _is_time(n):
                return True
            if isinstance(n, ir.Ref) and self.cls[n.name] == TIME:
                return True
        return False

    # -- statefuls ------------------------------------------------------------------------------
    def _arg(self, k: int, role: str) -> str:
        st = self.m.statefuls[k]
        return self.render(st.args[role], "loop", len(st.layout))

    def _state_shape(self, k: int) -> str:
        return self._shape_expr(self.m.statefuls[k].layout, "loop", "N, ")

    # Each stateful kind is four small renderers: init, output (before the save), ddt, update.
    # Delays keep their stages in one array with a leading stage axis, so that PySD's lowering of
    # the delay order (when order x TIME STEP exceeds the delay time) is decided at run time.
    def _st_init(self, k: int, indent: str) -> list[str]:
        st = self.m.statefuls[k]
        lines = getattr(self, f"_init_{st.kind}")(k, st, self._state_shape(k))
        return [indent + x for x in lines]

    def _init_integ(self, k: int, st: ir.Stateful, sh: str) -> list[str]:
        return [f"s{k} = _state({self._arg(k, 'init')}, {sh})", f"o{k} = s{k}"]

    _init_integ_nonneg = _init_integ
    _init_initial = _init_integ

    def _init_smooth(self, k: int, st: ir.Stateful, sh: str) -> list[str]:
        L = [f"_i = {self._arg(k, 'init')}"]
        L += [f"s{k}_{j} = _state(_i, {sh})" for j in range(st.order)]
        return L + [f"o{k} = s{k}_{st.order - 1}"]

    def _init_delay(self, k: int, st: ir.Stateful, sh: str) -> list[str]:
        L = [f"_T = {self._arg(k, 'time')}",
             f"n{k} = _delay_order({st.order}, dt, _T, {st.owner!r})",
             f"s{k} = _stages({self._arg(k, 'init')} * _T, n{k}, {sh})"]
        if st.kind == "delay_n":  # PySD's DelayN keeps each stage's delay time, rolled every step
            L.append(f"m{k} = _stages(_T, n{k}, {sh})")
            return L + [f"o{k} = s{k}[-1] / m{k}[0]"]
        return L + [f"o{k} = s{k}[-1] / _T"]

    _init_delay_n = _init_delay

    def _init_delay_fixed(self, k: int, st: ir.Stateful, sh: str) -> list[str]:
        return [f"n{k} = _fixed_order({self._arg(k, 'time')}, dt, {sh})",
                f"o{k} = _state({self._arg(k, 'init')}, {sh})",
                f"p{k} = _fixed_pipe(o{k}, n{k})",
                f"q{k} = np.zeros({sh}, dtype=np.intp)"]

    def _init_trend(self, k: int, st: ir.Stateful, sh: str) -> list[str]:
        inp, tm = self._arg(k, "input"), self._arg(k, "time")
        return [f"s{k} = _state({inp} / (1 + {self._arg(k, 'trend')} * {tm}), {sh})",
                f"o{k} = _zidz({inp} - s{k}, {tm} * _abs(s{k}))"]

    def _init_sample_if_true(self, k: int, st: ir.Stateful, sh: str) -> list[str]:
        return [f"s{k} = _state({self._arg(k, 'init')}, {sh})",
                f"o{k} = _where({self._arg(k, 'cond')}, {self._arg(k, 'input')}, s{k})"]

    def _init_forecast(self, k: int, st: ir.Stateful, sh: str) -> list[str]:
        return [f"s{k} = _state({self._arg(k, 'input')} / (1 + {self._arg(k, 'trend')}), {sh})",
                self._forecast_out(k)]

    def _forecast_out(self, k: int) -> str:
        inp, tm, hz = self._arg(k, "input"), self._arg(k, "time"), self._arg(k, "horizon")
        return f"o{k} = {inp} * (1 + _zidz({inp} - s{k}, {tm} * s{k}) * {hz})"

    def _init_active_initial(self, k: int, st: ir.Stateful, sh: str) -> list[str]:
        return [f"o{k} = _state({self._arg(k, 'init')}, {sh})"]

    def _st_output(self, k: int, indent: str) -> list[str]:
        st = self.m.statefuls[k]
        if st.kind == "forecast":
            return [indent + self._forecast_out(k)]
        if st.kind == "active_initial":
            return [f"{indent}o{k} = _state({self._arg(k, 'input')}, {self._state_shape(k)})"]
        if st.kind == "delay":
            return [f"{indent}o{k} = s{k}[-1] / {self._arg(k, 'time')}"]
        if st.kind == "trend":
            inp, tm = self._arg(k, "input"), self._arg(k, "time")
            return [f"{indent}o{k} = _zidz({inp} - s{k}, {tm} * _abs(s{k}))"]
        if st.kind == "sample_if_true":
            return [f"{indent}o{k} = _where({self._arg(k, 'cond')}, {self._arg(k, 'input')}, s{k})"]
        return []

    def _st_ddt(self, k: int, indent: str) -> list[str]:
        st = self.m.statefuls[k]
        lines = getattr(self, f"_ddt_{st.kind}")(k, st)
        return [indent + x for x in lines]

    def _ddt_integ(self, k: int, st: ir.Stateful) -> list[str]:
        return [f"d{k} = {self._arg(k, 'input')}"]

    _ddt_integ_nonneg = _ddt_integ
    _ddt_delay_fixed = _ddt_integ

    def _ddt_initial(self, k: int, st: ir.Stateful) -> list[str]:
        return []

    _ddt_active_initial = _ddt_initial

    def _ddt_forecast(self, k: int, st: ir.Stateful) -> list[str]:
        return [f"d{k} = ({self._arg(k, 'input')} - s{k}) / {self._arg(k, 'time')}"]

    def _ddt_smooth(self, k: int, st: ir.Stateful) -> list[str]:
        n = st.order
        L = [f"_x = {self._arg(k, 'input')}"]
        if st.int_init:
            # PySD keeps an integer state for an integer initial value and so truncates the
            # first input it stores; reproduced for agreement.
            L += ["if k == 0:", "    _x = np.trunc(_x)"]
        L.append(f"_T = {self._arg(k, 'time')}")
        L.append(f"d{k}_0 = (_x - s{k}_0) * {n} / _T")
        L += [f"d{k}_{j} = (s{k}_{j - 1} - s{k}_{j}) * {n} / _T" for j in range(1, n)]
        return L

    def _ddt_delay(self, k: int, st: ir.Stateful) -> list[str]:
        return [f"d{k} = _delay_ddt(s{k} / {self._arg(k, 'time')}, {self._arg(k, 'input')}, n{k})"]

    def _ddt_delay_n(self, k: int, st: ir.Stateful) -> list[str]:
        return [f"m{k} = _roll_in(m{k}, {self._arg(k, 'time')})",
                f"d{k} = _delay_ddt(s{k} / m{k}, {self._arg(k, 'input')}, n{k})"]

    def _ddt_trend(self, k: int, st: ir.Stateful) -> list[str]:
        return [f"d{k} = ({self._arg(k, 'input')} - s{k}) / {self._arg(k, 'time')}"]

    def _ddt_sample_if_true(self, k: int, st: ir.Stateful) -> list[str]:
        return [f"d{k} = _where({self._arg(k, 'cond')}, {self._arg(k, 'input')}, s{k})"]

    def _st_update(self, k: int, indent: str) -> list[str]:
        st = self.m.statefuls[k]
        kind = st.kind
        if kind in ("integ", "trend", "delay", "delay_n", "forecast"):
            L = [f"s{k} = s{k} + d{k} * dt"]
        elif kind == "integ_nonneg":
            L = [f"s{k} = np.maximum(s{k} + d{k} * dt, 0)"]
        elif kind == "smooth":
            L = [f"s{k}_{j} = s{k}_{j} + d{k}_{j} * dt" for j in range(st.order)]
            L.append(f"o{k} = s{k}_{st.order - 1}")
        elif kind == "delay_fixed":
            L = [f"q{k}, o{k} = _fixed_push(p{k}, q{k}, n{k}, d{k})"]
        elif kind == "sample_if_true":
            L = [f"s{k} = s{k} * 0 + d{k}"]
        else:
            L = []
        if kind in ("integ", "integ_nonneg"):
            L.append(f"o{k} = s{k}")
        elif kind == "delay_n":
            L.append(f"o{k} = s{k}[-1] / m{k}[0]")
        return [indent + x for x in L]

    # -- constants only -------------------------------------------------------------------------
    def generate_constants(self, names: Iterable[str]) -> str:
        """Source of ``constants(inputs) -> {name: array (1, *dims)}`` for constant variables."""
        order: list[str] = []
        done: set[str] = set()

        def visit(n: str) -> None:
            if n in done:
                return
            done.add(n)
            for d in sorted(self._var_deps(n)[0]):
                visit(d)
            order.append(n)

        wanted = list(names)
        for n in wanted:
            if self.cls[n] != CONST:
                raise UnsupportedFunctionError(f"{self.m.variables[n].real_name} that changes in time", n)
            visit(n)
        L = ["def constants(inputs):", "    dt = float(inputs['__dt__'])", "    N = 1  # one member: the defaults"]
        for n in order:
            L.extend(self._var_code(n, "const", "    "))
        L.append("    return {" + ", ".join(f"{n!r}: v_{n}" for n in wanted) + "}")
        return PRELUDE + "\n\n" + "\n".join(L) + "\n"

    # -- the function ---------------------------------------------------------------------------
    def _ordered(self, vars_: list[str]) -> list[str]:
        """Dependency order of variables of one class (given inputs have no dependencies)."""
        out: list[str] = []
        done: set[str] = set()

        def visit(n: str) -> None:
            if n in done:
                return
            done.add(n)
            if self._given(n) is None:
                for d in sorted(self._var_deps(n)[0]):
                    if self.cls[d] == self.cls[n]:
                        visit(d)
            out.append(n)

        for v in vars_:
            visit(v)
        return out

    def _of_class(self, level: int) -> list[str]:
        return [n for n in self.m.variables if self.cls[n] == level]

    def _used_time_paths(self) -> list[str]:
        """Time-path variables read inside the loop (by dyn variables or statefuls)."""
        used: set[str] = set()
        for n in self._of_class(DYN):
            used |= {d for d in self._var_deps(n)[0] if self.cls[d] == TIME}
        for k, st in enumerate(self.m.statefuls):
            used |= {d for d in self._st_deps(k, st.args)[0] if self.cls[d] == TIME}
        return sorted(used)

    def _gen_prologue(self) -> None:
        L = self.lines
        L += ["def run(N, times, save_flags, inputs):", "    T = len(times)", "    n_save = sum(save_flags)",
              "    dt = float(inputs['__dt__'])"]
        L += [f"    _tm{nl} = times.reshape((T, 1{', 1' * nl}))" for nl in range(0, 9)]
        L.append("    # 1. constants")
        for n in self._ordered(self._of_class(CONST)):
            if self._given(n) is not None:
                L.append(f"    v_{n} = inputs[{n!r}]")
            else:
                L.extend(self._var_code(n, "const", "    "))
        L.append("    # 2. time paths over the whole grid")
        for n in self._ordered(self._of_class(TIME)):
            if self._given(n) is not None:
                L.append(f"    P_{n} = inputs[{n!r}]")
            else:
                L.extend(self._var_code(n, "time", "    "))

    def _gen_init(self, used: list[str]) -> int:
        L = self.lines
        for n in self.plan.outputs:
            if self.cls[n] == DYN:
                shape = self._shape_expr(self.m.variables[n].dims, "loop", "n_save, N, ")
                L.append(f"    O_{n} = np.empty({shape})")
        L += ["    # 4. initialisation at the initial time (dependency order)", "    k = 0", "    t = times[0]"]
        L += [f"    v_{n} = P_{n}[0]" for n in used]
        at = len(L)
        roots = [("v", n) for n in self._of_class(DYN)] + [("s", k) for k in range(len(self.m.statefuls))]
        for kind, key in self._order(roots, init=True):
            if kind == "v":
                assert isinstance(key, str)
                if self._given(key) is None:
                    L.extend(self._var_code(key, "loop", "    "))
            else:
                assert isinstance(key, int)
                L.extend(self._st_init(key, "    "))
        return at

    def _gen_loop(self, used: list[str]) -> int:
        L = self.lines
        L += ["    j = 0", "    last = T - 1", "    for k in range(T):", "        if k:", "            t = times[k]"]
        L += [f"            v_{n} = P_{n}[k]" for n in used]
        at = len(L)
        # At the initial time the loop reuses the initialisation's values, except when an ACTIVE
        # INITIAL must switch from its initial to its active expression (then all is recomputed).
        active = any(st.kind == "active_initial" for st in self.m.statefuls)
        ind = "        " if active else "            "
        roots = [("v", n) for n in self._of_class(DYN)] + [("s", k) for k in range(len(self.m.statefuls))]
        body = 0
        for kind, key in self._order(roots, init=False):
            if kind == "v":
                assert isinstance(key, str)
                code = self._var_code(key, "loop", ind)
            else:
                assert isinstance(key, int)
                code = self._st_output(key, ind)
            L.extend(code)
            body += len(code)
        if not body and not active:
            L.append("            pass")
        L.append("        if save_flags[k]:")
        L += [f"            O_{n}[j] = v_{n}" for n in self.plan.outputs if self.cls[n] == DYN]
        L += ["            j += 1", "        if k == last:", "            break"]
        for k in range(len(self.m.statefuls)):
            L.extend(self._st_ddt(k, "        "))
        for k in range(len(self.m.statefuls)):
            L.extend(self._st_update(k, "        "))
        return at

    def _gen_return(self) -> None:
        L = self.lines
        L += ["    save_idx = np.flatnonzero(np.asarray(save_flags))", "    return {"]
        for n in self.plan.outputs:
            c = self.cls[n]
            if c == DYN:
                L.append(f"        {n!r}: O_{n},")
            elif c == TIME:
                L.append(f"        {n!r}: P_{n}[save_idx],")
            else:
                L.append(f"        {n!r}: v_{n}[None],")
        L.append("    }")

    def generate(self) -> str:
        """Source of ``run(N, times, save_flags, inputs)``: constants, time paths, then the loop."""
        L = self.lines
        self._gen_prologue()
        used = self._used_time_paths()
        hoist_at = len(L)
        L.append("    # 3. outputs")
        init_loads = self._gen_init(used)
        loop_loads = self._gen_loop(used)
        self._gen_return()
        # Splice the hoisted invariants (known only now that every expression has been rendered).
        L[loop_loads:loop_loads] = [f"            {h} = _H{h}[k]" for h in self.hoisted_time]
        L[init_loads:init_loads] = [f"    {h} = _H{h}[0]" for h in self.hoisted_time]
        L[hoist_at:hoist_at] = ["    # 2b. loop invariants"] + self.hoisted
        return PRELUDE + "\n\n" + "\n".join(L) + "\n"


def generate(model: ir.ModelIR, plan: Plan) -> tuple[str, dict[str, np.ndarray], dict[str, int]]:
    """Python source of ``run(N, times, save_flags, inputs)``, its constant tables and the classes.

    Returns
    -------
    source
        Module source defining ``run``.
    consts
        Arrays the source refers to by name (lookup tables, array literals, index arrays).
    classes
        ``{py_name: 0 const | 1 time | 2 dyn}``.
    """
    gen = _Gen(model, plan)
    src = gen.generate()
    return src, gen.consts, dict(gen.cls)


def constant_values(model: ir.ModelIR, names: Iterable[str]) -> dict[str, np.ndarray]:
    """Values of constant variables (number literals or expressions of other constants).

    Raises ``UnsupportedFunctionError`` for a variable that depends on time or on a stock.
    """
    gen = _Gen(model, Plan(frozenset(), frozenset(), ()))
    src = gen.generate_constants(names)
    namespace: dict[str, Any] = dict(gen.consts)
    exec(compile(src, f"<constants of {model.source_hash[:16]}>", "exec"), namespace)  # noqa: S102
    with np.errstate(all="ignore"):
        return dict(namespace["constants"]({"__dt__": 1.0}))


def check_plan(model: ir.ModelIR, plan: Plan) -> None:
    """Raise ``ModelError`` for inputs the batch engine cannot take (stocks, control variables)."""
    for name in plan.const_inputs | plan.time_inputs:
        var = model.variables.get(name)
        if var is None:
            raise ModelError(f"unknown variable '{name}'")
        if var.control:
            raise ModelError(f"'{name}' is a control variable; use final_time for FINAL TIME")
        if any(isinstance(c.expr, ir.StRef) for c in var.components):
            raise ModelError(f"'{name}' is a stateful variable (stock, smooth, delay…) and cannot be set")


def stateful_names(model: ir.ModelIR) -> Mapping[str, str]:
    """``{py_name: kind}`` of variables defined directly by a stateful function."""
    out: dict[str, str] = {}
    for name, var in model.variables.items():
        for c in var.components:
            if isinstance(c.expr, ir.StRef):
                out[name] = model.statefuls[c.expr.index].kind
    return out
