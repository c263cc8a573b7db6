"""PySD run-by-run, the numpy batch engine and a compiled path (C by default), side by side in one run.

    python benchmarks/bench_batch.py [--model models/sdmission.mdl] [--sizes 1 1000 10000]
                                     [--pysd-samples 2] [--all-vars-up-to 1000] [--backend c|numba]
                                     [--write-readme]

For every ensemble size N: wall time of PySD (N separate runs; for N larger than the number of
timed PySD runs the PySD time is *extrapolated* from the median of the sampled runs, and the table
says so), of the numpy batch engine (N members in one call, ``SDMISSION_COMPILED=0``) and of the
compiled path (the same IR as scalar code: C through the system compiler, or numba with members in
parallel), their ratios, and nanoseconds per equation-step per member.
N = 1 runs the model's defaults (a slider redraw); larger N draw every scalar constant independently
from U(0.9, 1.1) x default. Up to ``--all-vars-up-to`` members every variable is returned, above that
only the headline outputs (10,000 members x every variable would itself be ~6 GB of results). The
first compiled run (compile from cold, or load of the on-disk cache) is reported apart, and so is
one slider run on the compiled path with its inputs prepared (``BatchEngine.prepare``: the kernel
and the headline outputs, no xarray).
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import xarray as xr

from sdmission.constants import HEADLINE_OUTPUTS, MEMBER
from sdmission.model import translate
from sdmission.model.engines.batch import BatchEngine
from sdmission.model.engines.batch.crosscheck import max_rel_diff, member_params

ROOT = Path(__file__).resolve().parents[1]


def draw(engine: BatchEngine, n: int, seed: int = 1) -> dict[str, xr.DataArray]:
    rng = np.random.default_rng(seed)
    out = {}
    for name in engine.constants:
        var = engine.model.variables[name]
        if var.dims:
            continue
        default = var.components[0].expr.value  # type: ignore[union-attr]
        out[name] = xr.DataArray(default * rng.uniform(0.9, 1.1, n), dims=[MEMBER])
    return out


def pysd_seconds(mdl: Path, inputs: dict[str, xr.DataArray], samples: int) -> list[float]:
    times = []
    for i in range(samples):
        model = translate.load(mdl)  # fresh model: PySD keeps params between runs otherwise
        params = member_params(inputs, i)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.run(params=params, progress=False)
        times.append(time.perf_counter() - t)
    return times


def timed(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    walls = []
    for _ in range(repeats):
        gc.collect()
        t = time.perf_counter()
        ds = fn()
        walls.append(time.perf_counter() - t)
        del ds
    return statistics.median(walls)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "sdmission.mdl")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 1000, 10000])
    ap.add_argument("--pysd-samples", type=int, default=2)
    ap.add_argument("--all-vars-up-to", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5, help="repeats for N <= 100 (median)")
    ap.add_argument("--no-compiled", action="store_true", help="skip the compiled path")
    ap.add_argument("--backend", choices=("c", "numba"), default="c", help="compiled path (default: c)")
    ap.add_argument("--write-readme", action="store_true", help="replace the benchmark table in docs/engines.md")
    args = ap.parse_args()
    os.environ["SDMISSION_COMPILED"] = "0"  # the numpy column is the numpy path (run's default may be C)

    engine = BatchEngine(args.model)
    n_eq = len(engine.variables)
    headline = [v for v in HEADLINE_OUTPUTS if v in engine.model.variables] or list(engine.variables)[:5]
    c = engine._controls
    grid_steps = int(round((c["final_time"] - c["initial_time"]) / c["time_step"])) + 1
    print(f"model: {args.model} ({n_eq} equations, {len(engine.model.statefuls)} stateful objects, "
          f"{grid_steps} integration steps)")
    engine.run()  # generate the numpy function once (not timed)
    engine.run(return_vars=headline)
    compiled = None if args.no_compiled else engine.compiled(args.backend)
    compile_note = f"compiled path: {args.backend}; " if compiled is not None else ""
    if compiled is not None:
        for ret in (None, headline):
            t = time.perf_counter()
            compiled.run(return_vars=ret)  # compile (or load from the disk cache) and run once
            first = time.perf_counter() - t
            how = ("the same library" if ret is not None else "compiled from cold"
                   if compiled.compile_seconds.get(tuple(engine.variables)) else "from the disk cache")
            compile_note += f"first compiled run ({'all' if ret is None else 'headline'} outputs): {first:.1f} s, {how}; "
        draw1 = draw(engine, 2)
        for ret in (None, headline):  # the parallel (ensemble) variant
            compiled.run(draw1, return_vars=ret)
        # the compiled path must equal the numpy path (rtol 1e-9), defaults and a 2-member draw
        worst = 0.0
        for inp in ({}, draw1):
            a, b = engine.run(inp), compiled.run(inp)
            worst = max([worst] + [max_rel_diff(b[v].values, a[v].values) for v in a.data_vars])
        compile_note += f"compiled vs numpy: max rel diff {worst:.1e}; "
        prep = engine.prepare({}, return_vars=headline, backend=args.backend)
        kernel = timed(prep.run, 50)
        compile_note += f"one prepared compiled run (headline outputs, no xarray): {kernel * 1000:.2f} ms; "
        if not worst <= 1e-9:
            raise SystemExit(f"compiled path differs from numpy: {worst}")
        print(compile_note + "(compile from cold, or load of the on-disk cache; not in the timings below)")

    max_n = max(args.sizes)
    inputs_all = draw(engine, max_n)
    ps = pysd_seconds(args.model, inputs_all, args.pysd_samples)
    pysd_run = statistics.median(ps)
    print(f"PySD: {args.pysd_samples} timed runs, median {pysd_run:.3f} s/run "
          f"(each run on a freshly loaded model; runs: {', '.join(f'{x:.2f}' for x in ps)})")

    rows = []
    header = (f"{'N':>7} {'outputs':>8} {'PySD s':>10} {'numpy s':>9} {'compiled s':>10} {'PySD/numpy':>10} "
              f"{'PySD/comp':>10} {'numpy/comp':>10} {'ns numpy':>9} {'ns comp':>8}  note")
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        inputs = {k: v.isel({MEMBER: slice(0, n)}) for k, v in inputs_all.items()}
        ret = None if n <= args.all_vars_up_to else headline
        repeats = args.repeats if n <= 100 else 1
        # a single run is timed with the model's defaults, as a slider redraw would run it
        batch_in = inputs if n > 1 else {}
        wall = timed(lambda b=batch_in, r=ret: engine.run(b, return_vars=r), repeats)
        cwall = (timed(lambda b=batch_in, r=ret: compiled.run(b, return_vars=r), repeats)  # type: ignore[union-attr]
                 if compiled is not None else float("nan"))
        pysd_total = pysd_run * n
        note = "PySD measured" if n <= args.pysd_samples else f"PySD extrapolated from {args.pysd_samples} runs"
        ns = wall / (n_eq * grid_steps * n) * 1e9
        cns = cwall / (n_eq * grid_steps * n) * 1e9
        outputs = "all" if ret is None else "headline"
        print(f"{n:>7} {outputs:>8} {pysd_total:>10.2f} {wall:>9.4f} {cwall:>10.4f} {pysd_total / wall:>10.0f} "
              f"{pysd_total / cwall:>10.0f} {wall / cwall:>10.1f} {ns:>9.1f} {cns:>8.1f}  {note}; median of {repeats}")
        rows.append((n, outputs, pysd_total, wall, cwall, ns, cns, n <= args.pysd_samples))
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.write_readme:
        write_readme(rows, args, n_eq, grid_steps, pysd_run, compile_note)


def _s(x: float) -> str:
    return f"{x * 1000:.2f} ms" if x < 0.1 else f"{x:,.2f} s"


def write_readme(rows: list[tuple], args: argparse.Namespace, n_eq: int, steps: int, pysd_run: float,
                 compile_note: str) -> None:
    readme = ROOT / "docs" / "engines.md"
    text = readme.read_text()
    start, end = "<!-- bench_batch:start -->", "<!-- bench_batch:end -->"
    if start not in text or end not in text:
        raise SystemExit("docs/engines.md has no bench_batch markers")
    lines = [start,
             f"`python benchmarks/bench_batch.py --write-readme` ({time.strftime('%Y-%m-%d')}, {args.model.name}: "
             f"{n_eq} equations, {steps} integration steps; members draw every scalar constant from "
             f"U(0.9, 1.1) x default; PySD {_s(pysd_run)} a run, measured for N <= {args.pysd_samples}, "
             f"extrapolated beyond; {compile_note.strip()}):",
             "",
             "| N | outputs | PySD run-by-run | numpy batch | compiled | PySD / numpy | PySD / compiled "
             "| numpy / compiled | ns / eq-step / member, numpy | compiled |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n, outputs, p, w, cw, ns, cns, measured in rows:
        ext = "" if measured else " (extrap.)"
        lines.append(f"| {n:,} | {outputs} | {_s(p)}{ext} | {_s(w)} | {_s(cw)} | {p / w:,.0f}x | {p / cw:,.0f}x "
                     f"| {w / cw:,.1f}x | {ns:,.1f} | {cns:,.1f} |")
    lines.append(end)
    a, b = text.index(start), text.index(end) + len(end)
    readme.write_text(text[:a] + "\n".join(lines) + text[b:])
    print(f"wrote the table into {readme}")


if __name__ == "__main__":
    main()
