"""Members per second: in-process vs a 2-worker local Dask cluster (not part of the test run).

    python benchmarks/bench_ensemble.py [--model models/sdmission.mdl] [--members 8]
        [--chunk-size 2] [--engine auto|batch|pysd]

Each variant runs the same seeded ensemble (defaults: all uncertain parameters of the table)
without chunk files; the cluster variant starts ``LocalCluster(n_workers=2, processes=True)`` on
loopback first and warms each worker's engine with one chunk that is not timed, so that both
variants measure simulation, not model loading. Prints one line per variant and the ratio.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sdmission.analysis import ensemble as E
from sdmission.analysis.uncertainty import load_parameter_table, load_uncertainties, sample
from sdmission.constants import HEADLINE_OUTPUTS
from sdmission.model.catalogue import load_catalogue
from sdmission.model.engines.factory import resolve_engine_name
from sdmission.study.targets import get_target_set

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "sdmission.mdl")
    ap.add_argument("--members", type=int, default=8)
    ap.add_argument("--chunk-size", type=int, default=2)
    ap.add_argument("--engine", default="auto")
    a = ap.parse_args()
    engine = resolve_engine_name(a.model, a.engine)
    space = load_uncertainties({"defaults": "all"}, "bench", load_parameter_table(a.model))
    cat = load_catalogue(a.model)
    rvars = [v for v in (*HEADLINE_OUTPUTS, "public_cost_total") if v in cat]
    sc = E.EnsembleScenario("bench", a.model, {}, space, get_target_set("design"))
    samples = sample({"bench": sc.space}, a.members, "lhs", seed=1)
    warm = sample({"bench": sc.space}, a.chunk_size, "lhs", seed=2)
    kw = dict(return_vars=rvars, engine=engine, chunk_size=a.chunk_size)
    print(f"model {a.model.name}: {len(space)} uncertainties, {a.members} members, chunks of "
          f"{a.chunk_size}, engine {engine}")

    E.run_ensemble([sc], warm, **kw)  # type: ignore[arg-type]  # load the engine in-process
    t0 = time.perf_counter()
    local = E.run_ensemble([sc], samples, **kw)  # type: ignore[arg-type]
    t_local = time.perf_counter() - t0
    print(f"in-process          : {a.members / t_local:8.3f} members/s ({t_local:.1f} s)")

    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        big = sample({"bench": sc.space}, 2 * a.chunk_size, "lhs", seed=3)
        E.run_ensemble([sc], big, scheduler=client, **kw)  # type: ignore[arg-type]  # warm workers
        t0 = time.perf_counter()
        remote = E.run_ensemble([sc], samples, scheduler=client, **kw)  # type: ignore[arg-type]
        t_dask = time.perf_counter() - t0
    same = all(np.array_equal(local[v].values, remote[v].values, equal_nan=True) for v in rvars)
    print(f"dask, 2 workers     : {a.members / t_dask:8.3f} members/s ({t_dask:.1f} s)")
    print(f"speed-up            : {t_local / t_dask:8.2f}x   results identical: {same}")


if __name__ == "__main__":
    main()
