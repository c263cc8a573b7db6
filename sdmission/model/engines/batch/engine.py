"""The batch engine: N ensemble members of a Vensim model in one numpy time loop.

``BatchEngine(path)`` compiles the model once (cached by content hash under
``sdmission.model.translate.cache_dir()``) and implements ``sdmission.model.engines.protocol.Engine``.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from sdmission.constants import MEMBER, TIME
from sdmission.errors import ModelError
from sdmission.io import atomic_write_bytes
from sdmission.model.cache import check_file, model_cache_folder, note, read_signed, write_signed
from sdmission.model.engines.batch import codegen, ir, irstore
from sdmission.model.engines.batch.compiler import compile_model
from sdmission.model.hashing import model_hash

# Bump when the IR or the generated code changes meaning: old cache entries are then ignored.
IR_VERSION = "7"
# When the default (``auto``) run takes the C path: see BatchEngine.kernel_for. A cold compile of
# the project model costs ~5 s (C, -O1, quiet machine; 25 s at load 9); a numpy run ~60 ms plus
# ~8 ms a member: compiling pays from about 500 members, or about 80 runs of one plan.
C_MIN_MEMBERS = 500
C_MIN_REPEATS = 80
# PySD's relative precision for the final time and save times (pysd.py_backend.components.Time).
RPREC = 1e-5


def load_ir(mdl_path: Path | str) -> ir.ModelIR:
    """The model's IR, compiled on first use and cached by content hash (never beside the ``.mdl``).

    The cache entry is JSON (:mod:`sdmission.model.engines.batch.irstore`): reading it builds only
    the IR's own dataclasses and checks every name and number that reaches generated code, so it
    can never run code, even when forged with a leaked key. It is also signed (HMAC with the
    per-user key, :mod:`sdmission.model.cache`); a damaged, forged or stale entry is reported,
    deleted and rebuilt once (issue #13).
    """
    path = Path(mdl_path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    digest = model_hash(path)
    folder = model_cache_folder(digest)
    for old in folder.glob("batch-ir-v*.pkl"):  # pickles of older versions: never read
        old.unlink(missing_ok=True)
    cached = folder / f"batch-ir-v{IR_VERSION}.json"
    data = read_signed(cached)
    if data is not None:
        try:
            model = irstore.loads(data)
        except irstore.IRFormatError as exc:
            note(f"cache entry {cached} is not a valid IR ({exc}); rebuilding it")
        else:
            if model.source_hash == digest and _externals_unchanged(model, path.parent):
                return model
            if model.source_hash != digest:
                note(f"cache entry {cached} belongs to another model; rebuilding it")
        cached.unlink(missing_ok=True)
    model = compile_model(path, digest)
    write_signed(cached, irstore.dumps(model))
    return model


def _externals_unchanged(model: ir.ModelIR, root: Path) -> bool:
    """The data files next to the model still have the hashes recorded in the IR at compile time."""
    for name, digest in model.externals:
        p = root / name
        if not p.is_file() or hashlib.sha256(p.read_bytes()).hexdigest() != digest:
            return False
    return True


def time_grid(t0: float, dt: float, final: float, saveper: float) -> tuple[np.ndarray, list[bool], np.ndarray]:
    """PySD's integration grid, save flags and rounded save times.

    Time advances by repeated addition of ``dt`` (as PySD does); a grid time is saved when it is
    within ``dt * 1e-5`` of a multiple of ``saveper`` from ``t0``.

    Returns
    -------
    times
        Integration grid, shape ``(T,)``.
    flags
        ``T`` booleans, True at save times.
    save_times
        Saved times rounded like PySD's output index, shape ``(n_save,)``.
    """
    if not (dt > 0 and saveper > 0):
        raise ModelError(f"TIME STEP and SAVEPER must be positive (got {dt}, {saveper})")
    if final < t0:
        raise ModelError(f"FINAL TIME {final} is before INITIAL TIME {t0}")
    times = [t0]
    t = t0
    while t + dt * RPREC < final:
        t = t + dt
        times.append(t)
    prec = dt * RPREC
    flags = [((tt - t0) % saveper < prec) or ((-(tt - t0)) % saveper < prec) for tt in times]
    digits = -int(np.log10(dt * RPREC))
    saved = np.round(np.asarray([tt for tt, f in zip(times, flags, strict=True) if f]), digits)
    return np.asarray(times, dtype=float), flags, saved


class BatchEngine:
    """Vectorised engine for one model; see ``sdmission.model.engines.protocol.Engine``.

    Parameters
    ----------
    mdl_path
        Vensim model file.
    """

    name = "batch"

    def __init__(self, mdl_path: Path | str):
        self.path = Path(mdl_path)
        self.model = load_ir(self.path)
        self._fns: dict[codegen.Plan, tuple[Any, dict[str, int]]] = {}
        self._stateful = codegen.stateful_names(self.model)
        self._compiled: dict[str, CompiledEngine] = {}
        self._c_refused = False
        self._c_plans: dict[tuple[frozenset[str], frozenset[str]], bool] = {}  # plan -> C agrees
        self._plan_runs: dict[tuple[frozenset[str], frozenset[str]], int] = {}
        self._controls = self._control_values()

    # -- model facts ------------------------------------------------------------------------------
    def _control_values(self) -> dict[str, float]:
        """INITIAL TIME, FINAL TIME, TIME STEP, SAVEPER: numbers or expressions of constants."""
        names = ("initial_time", "final_time", "time_step", "saveper")
        missing = [n for n in names if n not in self.model.variables]
        if missing:
            raise ModelError(f"{self.path}: control variables missing: {', '.join(missing)}")
        values = codegen.constant_values(self.model, names)
        return {n: float(np.asarray(values[n]).reshape(-1)[0]) for n in names}

    @property
    def variables(self) -> tuple[str, ...]:
        """Python names of every variable a run can return (not control variables or lookups)."""
        return tuple(n for n, v in self.model.variables.items() if not (v.control or v.internal))

    @property
    def constants(self) -> tuple[str, ...]:
        """Python names of the model's constants (number or array literals)."""
        return tuple(n for n, v in self.model.variables.items() if v.constant)

    def doc(self) -> dict[str, dict[str, str]]:
        """``{py_name: {"real_name", "units", "doc"}}`` from the model's own documentation."""
        return {
            n: {"real_name": v.real_name, "units": v.units, "doc": v.doc}
            for n, v in self.model.variables.items()
        }

    def resolve(self, name: str) -> str:
        """Python name for a python or Vensim name; ``ModelError`` with a did-you-mean otherwise."""
        if name in self.model.variables:
            return name
        by_real = {v.real_name.lower(): n for n, v in self.model.variables.items()}
        if name.lower() in by_real:
            return by_real[name.lower()]
        close = difflib.get_close_matches(name, list(self.model.variables), n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ModelError(f"'{name}' is not a variable of {self.path.name}{hint}")

    # -- running ----------------------------------------------------------------------------------
    def _function(self, plan: codegen.Plan) -> tuple[Any, dict[str, int]]:
        if plan in self._fns:
            return self._fns[plan]
        src, consts, classes = codegen.generate(self.model, plan)
        key = hashlib.sha256(repr((IR_VERSION, sorted(plan.const_inputs), sorted(plan.time_inputs),
                                   plan.outputs)).encode()).hexdigest()[:16]
        file = model_cache_folder(self.model.source_hash) / f"batch-{key}.py"
        # kept for reading and for tracebacks; never imported from disk (run from ``src``)
        if not (file.is_file() and check_file(file) and file.read_bytes() == src.encode()):
            atomic_write_bytes(file, src.encode(), mode=0o600)
        namespace: dict[str, Any] = dict(consts)
        exec(compile(src, str(file), "exec"), namespace)  # noqa: S102 - our own generated code
        self._fns[plan] = (namespace["run"], classes)
        return self._fns[plan]

    def _prepare(self, name: str, da: xr.DataArray, grid: np.ndarray) -> tuple[np.ndarray, bool, int | None]:
        var = self.model.variables[name]
        if not isinstance(da, xr.DataArray):
            raise ModelError(f"input '{name}' must be an xarray.DataArray, got {type(da).__name__}")
        allowed = {MEMBER, TIME, *var.dims}
        extra = [d for d in da.dims if d not in allowed]
        if extra:
            raise ModelError(f"input '{name}' has dims {extra}; allowed: member, time, {list(var.dims)}")
        for d in var.dims:
            if d in da.dims and d in da.coords:
                elems = list(self.model.subscripts[d])
                labels = [str(x) for x in da.coords[d].values]
                if sorted(labels) != sorted(elems):
                    raise ModelError(f"input '{name}': coords of '{d}' are {labels}, expected {elems}")
                da = da.sel({d: elems})
        has_time = TIME in da.dims
        if has_time:
            tc = np.asarray(da.coords[TIME].values, dtype=float) if TIME in da.coords else None
            if tc is None or len(tc) < len(grid):
                raise ModelError(f"input '{name}': time path must cover the integration grid ({len(grid)} points)")
            idx = np.searchsorted(tc, grid - 1e-9)
            idx = np.clip(idx, 0, len(tc) - 1)
            if not np.allclose(tc[idx], grid, rtol=0, atol=1e-9 * max(1.0, float(np.abs(grid).max()))):
                raise ModelError(f"input '{name}': time coords must include every integration time step")
            da = da.isel({TIME: idx})
        order = ([TIME] if has_time else []) + ([MEMBER] if MEMBER in da.dims else []) + [d for d in var.dims if d in da.dims]
        arr = np.asarray(da.transpose(*order).values, dtype=float)
        shape = ([len(grid)] if has_time else []) + [da.sizes[MEMBER] if MEMBER in da.dims else 1]
        shape += [da.sizes[d] if d in da.dims else 1 for d in var.dims]
        arr = arr.reshape(shape)
        tail = self.model.shape(var.dims)
        arr = np.broadcast_to(arr, tuple(shape[: len(shape) - len(tail)]) + tail)
        n = da.sizes[MEMBER] if MEMBER in da.dims else None
        return arr, has_time, n

    def _setup(self, inputs: Mapping[str, xr.DataArray] | None, return_vars: Sequence[str] | None,
               final_time: float | None) -> _Setup:
        """Grid, prepared input arrays and the plan of one run (shared by numpy and compiled)."""
        c = self._controls
        final = float(final_time) if final_time is not None else c["final_time"]
        grid, flags, saved = time_grid(c["initial_time"], c["time_step"], final, c["saveper"])
        const_in: set[str] = set()
        time_in: set[str] = set()
        arrays: dict[str, Any] = {"__dt__": c["time_step"]}
        n_members: int | None = None
        member_coord: Any = None
        for raw, da in (inputs or {}).items():
            name = self.resolve(raw)
            var = self.model.variables[name]
            if var.control:
                raise ModelError(f"'{name}' is a control variable; use final_time for FINAL TIME")
            if name in self._stateful:
                raise ModelError(f"'{name}' is a {self._stateful[name]} variable and cannot be set")
            arr, has_time, n = self._prepare(name, da, grid)
            if n is not None:
                if n_members is not None and n != n_members:
                    raise ModelError(f"inputs disagree on the number of members ({n_members} vs {n})")
                n_members = n
                if member_coord is None and MEMBER in da.coords:
                    member_coord = da.coords[MEMBER].values
            (time_in if has_time else const_in).add(name)
            arrays[name] = arr
        if final_time is not None:
            const_in.add("final_time")
            arrays["final_time"] = np.full((1,), final)
        outputs = self.variables if return_vars is None else tuple(self.resolve(v) for v in return_vars)
        bad = [v for v in outputs if self.model.variables[v].control or self.model.variables[v].internal]
        if bad:
            raise ModelError(f"control variables cannot be returned: {bad}")
        plan = codegen.Plan(frozenset(const_in), frozenset(time_in), tuple(outputs))
        return _Setup(grid, flags, saved, arrays, plan, n_members or 1, member_coord)

    def _dataset(self, setup: _Setup, result: Mapping[str, np.ndarray]) -> xr.Dataset:
        n, saved = setup.n, setup.saved
        coords: dict[str, Any] = {
            MEMBER: setup.member_coord if setup.member_coord is not None else np.arange(n),
            TIME: saved,
        }
        data: dict[str, Any] = {}
        for name in setup.plan.outputs:
            var = self.model.variables[name]
            full = (len(saved), n) + self.model.shape(var.dims)
            a = np.moveaxis(np.broadcast_to(result[name], full), 1, 0)
            data[name] = ((MEMBER, TIME, *var.dims), a)
            for d in var.dims:
                coords.setdefault(d, list(self.model.subscripts[d]))
        return xr.Dataset(data, coords=coords)

    def run(
        self,
        inputs: Mapping[str, xr.DataArray] | None = None,
        *,
        return_vars: Sequence[str] | None = None,
        final_time: float | None = None,
    ) -> xr.Dataset:
        """Simulate all members at once.

        Parameters
        ----------
        inputs
            ``{py_name: DataArray}`` with optional ``member``, ``time`` (integration grid) and
            subscript dims; other variables keep the model's defaults.
        return_vars
            Python names to return; ``None`` returns every variable.
        final_time
            Override FINAL TIME.

        Returns
        -------
        xr.Dataset
            Dims ``(member, time, <subscripts>)``, time on the SAVEPER grid.
        """
        setup = self._setup(inputs, return_vars, final_time)
        result = self._run_compiled(setup)
        if result is None:
            result = self._run_numpy(setup)
        return self._dataset(setup, result)

    def _run_numpy(self, setup: _Setup) -> Mapping[str, np.ndarray]:
        fn, _ = self._function(setup.plan)
        with np.errstate(all="ignore"):
            result: Mapping[str, np.ndarray] = fn(setup.n, setup.grid, setup.flags, setup.arrays)
        return result

    # -- the compiled (C) path as the default where it pays and agrees ----------------------------
    def kernel_for(self, setup: _Setup) -> str:
        """``"c"`` or ``"numpy"``: the path :meth:`run` takes for this run.

        ``$SDMISSION_COMPILED``: ``0`` never compiles (numpy always), ``always`` compiles every
        plan, ``auto`` (the default) takes the C path when a C compiler is found, the model has
        nothing the C path refuses, and either the plan's library is already in the disk cache, or
        the run is an ensemble of at least :data:`C_MIN_MEMBERS` members, or the plan has been run
        :data:`C_MIN_REPEATS` times in this process (an optimiser, an explorer): a compile costs
        seconds, a numpy run of the project model tens of milliseconds. The first C run of a plan
        is checked against the numpy path on its first member (rtol 1e-9, every returned
        variable); a plan that disagrees stays on numpy (and a note says so).
        """
        import os

        mode = os.environ.get("SDMISSION_COMPILED", "auto").strip().lower()
        if mode in ("0", "off", "no", "numpy", "false") or self._c_refused:
            return "numpy"
        key = (setup.plan.const_inputs - frozenset(self.constants), setup.plan.time_inputs)
        if key in self._c_plans:
            return "c" if self._c_plans[key] else "numpy"
        from sdmission.model.engines.factory import fast_backend

        if fast_backend(self) != "c":
            self._c_refused = True
            return "numpy"
        self._plan_runs[key] = self._plan_runs.get(key, 0) + 1
        comp = self.compiled("c")
        try:
            comp.function(setup.plan, cached_only=True)
            return "c"
        except LookupError:
            pass
        if mode in ("always", "1", "c", "yes", "true") or setup.n >= C_MIN_MEMBERS \
                or self._plan_runs[key] >= C_MIN_REPEATS:
            return "c"
        return "numpy"

    def _run_compiled(self, setup: _Setup) -> Mapping[str, np.ndarray] | None:
        """The C path's result, or None when this run takes the numpy path."""
        from sdmission.errors import SdmissionError
        from sdmission.model.cache import note

        if self.kernel_for(setup) != "c":
            return None
        key = (setup.plan.const_inputs - frozenset(self.constants), setup.plan.time_inputs)
        comp = self.compiled("c")
        try:
            fn = comp.function(setup.plan)
            result = comp.call(setup, fn, comp.pack(setup, fn))
        except SdmissionError as exc:
            note(f"{self.path.name}: C path not used ({exc}); numpy path instead")
            self._c_plans[key] = False
            return None
        if key not in self._c_plans:
            first = _first_member(setup)
            ref = self._run_numpy(first)
            ok = all(agree(np.asarray(result[n])[:, :1], np.broadcast_to(ref[n], np.shape(result[n][:, :1])))
                     for n in setup.plan.outputs)
            self._c_plans[key] = ok
            if not ok:
                note(f"{self.path.name}: the C path differs from the numpy path (rtol 1e-9) on this plan; "
                     "numpy path instead")
                return None
        return result

    def prepare(self, inputs: Mapping[str, xr.DataArray] | None = None, *,
                return_vars: Sequence[str] | None = None, final_time: float | None = None,
                backend: str | None = None) -> PreparedRun:
        """A :class:`PreparedRun` of these inputs (``backend``: None = numpy, ``"c"``, ``"numba"``)."""
        return PreparedRun(self, inputs, return_vars=return_vars, final_time=final_time, backend=backend)

    def compiled(self, backend: str = "numba") -> CompiledEngine:
        """The same model on a compiled path: same inputs, same results (rtol 1e-9).

        ``backend`` is ``"numba"`` (LLVM in numba's wheel; minutes to compile a large model) or
        ``"c"`` (the system C compiler through ctypes; seconds), see :mod:`.compiled`.
        """
        if backend not in ("numba", "c"):
            raise ModelError(f"unknown compiled backend '{backend}'; choose numba or c")
        if backend not in self._compiled:
            self._compiled[backend] = CompiledEngine(self, backend)
        return self._compiled[backend]


def _first_member(setup: _Setup) -> _Setup:
    """The same run with only the first member's inputs."""
    arrays: dict[str, Any] = {}
    for k, v in setup.arrays.items():
        if k == "__dt__" or np.ndim(v) == 0:
            arrays[k] = v
        elif k in setup.plan.time_inputs:
            arrays[k] = np.asarray(v)[:, :1]
        else:
            arrays[k] = np.asarray(v)[:1]
    return dataclasses.replace(setup, arrays=arrays, n=1, member_coord=None)


def agree(a: Any, b: Any, rtol: float = 1e-9) -> bool:
    """The agreement tests' measure (``crosscheck.max_rel_diff``): same shape, non-finite entries at
    the same places, and ``|a - b| <= rtol * max(|b|, 1e-12)`` elsewhere."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        return False
    fx, fy = np.isfinite(x), np.isfinite(y)
    if not np.array_equal(fx, fy):
        return False
    return bool(np.all(np.abs(x[fx] - y[fx]) <= rtol * np.maximum(np.abs(y[fx]), 1e-12)))


@dataclass(frozen=True)
class _Setup:
    grid: np.ndarray
    flags: list[bool]
    saved: np.ndarray
    arrays: dict[str, Any]
    plan: codegen.Plan
    n: int
    member_coord: Any


class CompiledEngine:
    """``BatchEngine`` on the compiled path (``compiled.py``); implements the same ``run``.

    The compiled function takes every literal constant as an input (so drawing constants for an
    ensemble needs no new compile); a new set of returned variables or time-path inputs compiles
    once more (seconds, then cached on disk).
    """

    name = "compiled"

    def __init__(self, batch: BatchEngine, backend: str = "numba"):
        self.batch = batch
        self.backend = backend
        self.literals = tuple(batch.constants)
        self.defaults = codegen.constant_values(batch.model, self.literals) if self.literals else {}
        self._fns: dict[tuple[frozenset[str], frozenset[str], tuple[()]], Any] = {}
        self.compile_seconds: dict[tuple[str, ...], float] = {}
        self._sizes = {n: int(np.prod(batch.model.shape(v.dims))) for n, v in batch.model.variables.items()}
        self._cin: dict[int, np.ndarray] = {}
        self._ds: dict[tuple[int, int, float, float], np.ndarray] = {}

    def function(self, plan: codegen.Plan, *, cached_only: bool = False) -> Any:
        """The compiled function of this plan (generated, compiled or loaded from the disk cache).

        With ``cached_only`` (C backend), raises ``LookupError`` instead of compiling.
        """
        from sdmission.model.engines.batch.compiled import CFunction, CompiledFunction

        key = (plan.const_inputs - frozenset(self.literals), plan.time_inputs, ())
        if key not in self._fns:
            gen_plan = codegen.Plan(plan.const_inputs, plan.time_inputs, ())
            if self.backend == "c":
                self._fns[key] = CFunction(self.batch.model, gen_plan, self.literals, ir_version=IR_VERSION,
                                           cached_only=cached_only)
            else:
                self._fns[key] = CompiledFunction(self.batch.model, gen_plan, self.literals)
        return self._fns[key]

    def _base_cin(self, fn: Any) -> np.ndarray:
        """The literal constants' defaults packed as one CIN row (once per compiled function)."""
        key = id(fn)
        if key not in self._cin:
            row = np.empty((1, fn.layout.nc))
            for name, off in fn.layout.cin.items():
                if name in self.defaults:
                    size = self._sizes[name]
                    row[0, off:off + size] = np.asarray(self.defaults[name], dtype=float).reshape(-1)[:size]
            self._cin[key] = row
        return self._cin[key]

    def _data_series(self, fn: Any, grid: np.ndarray) -> np.ndarray:
        """``DS``: every data series sampled on the grid (once per function and grid)."""
        key = (id(fn), len(grid), float(grid[0]), float(grid[-1]))
        if key not in self._ds:
            b = self.batch
            ds = np.empty((len(grid), fn.layout.nd))
            for i, off in fn.layout.ds.items():
                times, values, shape, method = b.model.data[i]
                series = codegen_data_at(grid, np.asarray(times), np.asarray(values).reshape(shape), method)
                ds[:, off:off + series.shape[1]] = series
            self._ds[key] = ds
        return self._ds[key]

    def pack(self, setup: _Setup, fn: Any) -> _Packed:
        """The packed input arrays, output array and save slots of one run."""
        lay = fn.layout
        T, n = len(setup.grid), setup.n
        rows = n if any(np.shape(setup.arrays[k])[0] > 1 for k in setup.plan.const_inputs) else 1
        base = self._base_cin(fn)
        cin = np.array(np.broadcast_to(base, (rows, lay.nc)))
        for name in setup.plan.const_inputs:
            self.put_const(cin, fn, name, setup.arrays[name])
        trows = max((np.shape(setup.arrays[k])[1] for k in setup.plan.time_inputs), default=1)
        tin = np.empty((T, trows, lay.nt))
        for name in setup.plan.time_inputs:
            self.put_time(tin, fn, name, setup.arrays[name])
        offsets: dict[str, int] = {}
        save: list[int] = []
        for name in setup.plan.outputs:
            offsets[name] = len(save)
            save += fn.slots[name]
        out = np.empty((int(sum(setup.flags)), n, len(save)))
        return _Packed(cin, tin, self._data_series(fn, setup.grid), out, np.asarray(save, dtype=np.int64),
                       offsets, np.asarray(setup.flags, dtype=np.bool_))

    def put_const(self, cin: np.ndarray, fn: Any, name: str, value: Any) -> None:
        """Write a constant input (``(rows | 1, *dims)``) into its CIN columns."""
        off, size = fn.layout.cin[name], self._sizes[name]
        if size:
            value = np.asarray(value, dtype=float)
            cin[:, off:off + size] = np.broadcast_to(value.reshape(value.shape[0], -1), (cin.shape[0], size))

    def put_time(self, tin: np.ndarray, fn: Any, name: str, value: Any) -> None:
        """Write a time-path input (``(T, rows | 1, *dims)``) into its TIN columns."""
        off, size = fn.layout.tin[name], self._sizes[name]
        value = np.asarray(value, dtype=float)
        T, trows = tin.shape[:2]
        tin[:, :, off:off + size] = np.broadcast_to(value.reshape(T, value.shape[1], -1), (T, trows, size))

    def call(self, setup: _Setup, fn: Any, p: _Packed) -> dict[str, np.ndarray]:
        """Run the compiled function on packed arrays; ``{output: (n_save, n, *dims)}``."""
        b = self.batch
        with np.errstate(all="ignore"):
            fn(setup.grid, p.flags, float(b._controls["time_step"]), p.cin, p.tin, p.ds, p.out, p.save)
        if fn.compile_seconds is not None:
            self.compile_seconds.setdefault(setup.plan.outputs, fn.compile_seconds)
        result = {}
        n_save, n = p.out.shape[:2]
        for name, off in p.offsets.items():
            shape = b.model.shape(b.model.variables[name].dims)
            result[name] = p.out[:, :, off:off + self._sizes[name]].reshape((n_save, n) + shape)
        return result

    def run(
        self,
        inputs: Mapping[str, xr.DataArray] | None = None,
        *,
        return_vars: Sequence[str] | None = None,
        final_time: float | None = None,
    ) -> xr.Dataset:
        """Simulate; see ``BatchEngine.run``."""
        b = self.batch
        setup = b._setup(inputs, return_vars, final_time)
        fn = self.function(setup.plan)
        return b._dataset(setup, self.call(setup, fn, self.pack(setup, fn)))


@dataclass
class _Packed:
    cin: np.ndarray
    tin: np.ndarray
    ds: np.ndarray
    out: np.ndarray
    save: np.ndarray
    offsets: dict[str, int]
    flags: np.ndarray


class PreparedRun:
    """One plan of one model with its inputs prepared once, for many runs that change a few inputs.

    The explorer's runs (and an optimiser's) pass the same set of inputs every time and change the
    values of a few: ``run(changed)`` prepares only those and reuses everything else (the grid,
    the other inputs, and on a compiled path the packed arrays and the compiled function). The
    numbers are those of ``engine.run`` with the merged inputs (same code path underneath).

    Parameters
    ----------
    engine
        The model's batch engine.
    inputs, return_vars, final_time
        As for :meth:`BatchEngine.run`; these inputs are the base every run starts from.
    backend
        ``None`` for the numpy path, ``"c"`` or ``"numba"`` for a compiled one.
    """

    def __init__(self, engine: BatchEngine, inputs: Mapping[str, xr.DataArray] | None = None, *,
                 return_vars: Sequence[str] | None = None, final_time: float | None = None,
                 backend: str | None = None):
        self.engine = engine
        self.setup = engine._setup(inputs, return_vars, final_time)
        self.backend = backend
        self._shapes = {k: np.shape(v) for k, v in self.setup.arrays.items()}
        self._compiled: CompiledEngine | None = None
        if backend is not None:
            self._compiled = engine.compiled(backend)
            self._fn = self._compiled.function(self.setup.plan)
            self._packed = self._compiled.pack(self.setup, self._fn)
        else:
            self._fn, _ = engine._function(self.setup.plan)

    @property
    def times(self) -> np.ndarray:
        """Saved times (Year), shape ``(n_save,)``."""
        return self.setup.saved

    def _changed(self, changed: Mapping[str, xr.DataArray]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for raw, da in changed.items():
            name = self.engine.resolve(raw)
            if name not in self._shapes:
                raise ModelError(f"'{name}' is not one of the prepared inputs; prepare a new run for it")
            arr, has_time, _ = self.engine._prepare(name, da, self.setup.grid)
            if np.shape(arr) != self._shapes[name] or has_time != (name in self.setup.plan.time_inputs):
                raise ModelError(f"input '{name}' has shape {np.shape(arr)}, the prepared run has "
                                 f"{self._shapes[name]}; prepare a new run for it")
            out[name] = arr
        return out

    def run(self, changed: Mapping[str, xr.DataArray] | None = None) -> dict[str, np.ndarray]:
        """Run with some base inputs replaced; ``{output: array (n_save, member, *dims)}``."""
        arrays = self._changed(changed or {})
        s = self.setup
        if self._compiled is None:
            with np.errstate(all="ignore"):
                result: dict[str, np.ndarray] = self._fn(s.n, s.grid, s.flags, {**s.arrays, **arrays})
            full = {}
            for name in s.plan.outputs:
                var = self.engine.model.variables[name]
                full[name] = np.broadcast_to(result[name], (len(s.saved), s.n) + self.engine.model.shape(var.dims))
            return full
        p = self._packed
        cin, tin = p.cin, p.tin
        if any(k in s.plan.const_inputs for k in arrays):
            cin = cin.copy()
        if any(k in s.plan.time_inputs for k in arrays):
            tin = tin.copy()
        for name, arr in arrays.items():
            if name in s.plan.const_inputs:
                self._compiled.put_const(cin, self._fn, name, arr)
            else:
                self._compiled.put_time(tin, self._fn, name, arr)
        run = _Packed(cin, tin, p.ds, np.empty_like(p.out), p.save, p.offsets, p.flags)
        return self._compiled.call(s, self._fn, run)

    def dataset(self, result: Mapping[str, np.ndarray]) -> xr.Dataset:
        """``run``'s arrays as the engine's Dataset (dims ``(member, time, …)``)."""
        return self.engine._dataset(self.setup, result)


def codegen_data_at(grid: np.ndarray, times: np.ndarray, values: np.ndarray, method: str) -> np.ndarray:
    """A data series on the integration grid, ``(T, elements)``, with PySD's interpolation rules."""
    namespace: dict[str, Any] = {}
    exec(compile(codegen.PRELUDE, "<prelude>", "exec"), namespace)  # noqa: S102 - our own helpers
    out = namespace["_data_at"](grid.reshape(len(grid), 1), times, values, method)
    return np.asarray(out).reshape(len(grid), -1)
