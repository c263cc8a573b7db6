"""PySD run-by-run versus the batch engine, side by side (not a test; run it by hand).

    python benchmarks/bench_batch.py [--model models/sdmission.mdl] [--sizes 1 100 1000 10000]
                                     [--pysd-samples 2] [--all-vars-up-to 1000]

For every ensemble size N: wall time of the batch engine (N members in one call) and of PySD
(N separate runs; for N larger than the number of timed PySD runs the PySD time is *extrapolated*
from the median of the sampled runs, and the table says so), their ratio, nanoseconds per
equation-step per member, and peak memory (tracemalloc: numpy allocations included). Members draw
every scalar constant independently from U(0.9, 1.1) x default. Up to ``--all-vars-up-to`` members
every variable is returned (timed runs without tracemalloc; peak memory from one more run); above that only the headline outputs (a 10,000-member run returning
all of this model's ~2,000 values per saved time would itself need ~6 GB of results).
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import xarray as xr

from sdmission.constants import HEADLINE_OUTPUTS, MEMBER
from sdmission.model import translate
from sdmission.model.engines.batch import BatchEngine
from sdmission.model.engines.batch.crosscheck import member_params

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "sdmission.mdl")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 1000, 10000])
    ap.add_argument("--pysd-samples", type=int, default=2)
    ap.add_argument("--all-vars-up-to", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3, help="batch repeats for N <= 100 (median)")
    args = ap.parse_args()

    engine = BatchEngine(args.model)
    n_eq = len(engine.variables)
    headline = [v for v in HEADLINE_OUTPUTS if v in engine.model.variables] or list(engine.variables)[:5]
    grid_steps = None
    print(f"model: {args.model} ({n_eq} equations, {len(engine.model.statefuls)} stateful objects)")
    engine.run()  # generate + compile once (not timed)
    engine.run(return_vars=headline)

    max_n = max(args.sizes)
    inputs_all = draw(engine, max_n)
    ps = pysd_seconds(args.model, inputs_all, args.pysd_samples)
    pysd_run = statistics.median(ps)
    print(f"PySD: {args.pysd_samples} timed runs, median {pysd_run:.3f} s/run "
          f"(each run on a freshly loaded model; runs: {', '.join(f'{x:.2f}' for x in ps)})")

    header = (f"{'N':>7} {'outputs':>8} {'batch s':>9} {'PySD s':>11} {'ratio':>8} "
              f"{'ns/eq-step/member':>18} {'peak MB':>9}  note")
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        inputs = {k: v.isel({MEMBER: slice(0, n)}) for k, v in inputs_all.items()}
        ret = None if n <= args.all_vars_up_to else headline
        repeats = args.repeats if n <= 100 else 1
        walls = []
        for _ in range(repeats):
            gc.collect()
            t = time.perf_counter()
            ds = engine.run(inputs, return_vars=ret)
            walls.append(time.perf_counter() - t)
            del ds
        wall = statistics.median(walls)
        # Peak memory in a separate run: tracemalloc slows allocation-heavy code down.
        gc.collect()
        tracemalloc.start()
        ds = engine.run(inputs, return_vars=ret)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if grid_steps is None:
            c = engine._controls
            grid_steps = int(round((c["final_time"] - c["initial_time"]) / c["time_step"])) + 1
        pysd_total = pysd_run * n
        note = "PySD measured" if n <= args.pysd_samples else f"PySD extrapolated from {args.pysd_samples} runs"
        ns = wall / (n_eq * grid_steps * n) * 1e9
        outputs = "all" if ret is None else "headline"
        print(f"{n:>7} {outputs:>8} {wall:>9.3f} {pysd_total:>11.1f} {pysd_total / wall:>8.0f} "
              f"{ns:>18.1f} {peak / 2**20:>9.0f}  {note}; batch median of {repeats}")
        del ds
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          f"{grid_steps} integration steps")


if __name__ == "__main__":
    main()
