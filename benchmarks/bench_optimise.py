"""Optimiser benchmark (not part of the test run).

Measures model evaluations per second through ``OptimisationProblem.outcomes`` (one engine call per
population) and the time to solve the known-answer problem of tests/unit/test_optimise.py, with the
PySD engine and, when present, the batch engine. ``--scenario PATH`` also times the scenario's own
problem (e.g. scenarios/mission-mix.yaml; slow with PySD: one run of models/sdmission.mdl takes
about 10 s here).

    python benchmarks/bench_optimise.py [--engines pysd batch] [--pop 32] [--scenario PATH]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from sdmission.analysis import optimise as opt
from sdmission.errors import SdmissionError
from sdmission.model.catalogue import load_catalogue
from sdmission.model.engines.factory import load_engine
from sdmission.scenario.load import load_scenario
from sdmission.study.targets import Target, TargetSet

ROOT = Path(__file__).resolve().parents[1]
MDL = ROOT / "tests" / "data" / "models" / "opt_linear.mdl"


BLOCK = {
    "start": 2025,
    "levers": {"co2_levy_tariff": {"knots": [2030, 2040], "bounds": [0, 150]},
               "sde_budget": {"knots": [2030, 2040], "bounds": [0, 3000]}},
    "objective": {"discount_rate": 0.03},
    "method": {"popsize": 6, "maxiter": 15, "seed": 3},
}


def _problem(engine: str) -> opt.OptimisationProblem:
    """The known-answer problem, built the way ``optimise`` builds it (from a scenario file)."""
    ts = TargetSet("bench", "", "", (
        Target("a", "industry_ghg", 2030, 60.0, "<=", "MtCO2/Year", "", ""),
        Target("b", "industry_ghg", 2040, 50.0, "<=", "MtCO2/Year", "", "")))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-optimise.yaml"
        path.write_text(f"model: {json.dumps(str(MDL))}\noptimise: {json.dumps(BLOCK)}\n")
        scn = load_scenario(path)
    spec = scn.blocks["optimise"]
    return opt.build_problem(scn, spec, load_catalogue(MDL), load_engine(MDL, engine), ts)


def bench(engine: str, pop: int) -> None:
    try:
        p = _problem(engine)
    except SdmissionError as exc:
        print(f"{engine:6s}: not available ({exc})")
        return
    rng = np.random.default_rng(0)
    X = p.lower + rng.random((pop, p.n)) * (p.upper - p.lower)
    t0 = time.perf_counter()
    p.outcomes(X)
    dt = time.perf_counter() - t0
    p2 = _problem(engine)
    t1 = time.perf_counter()
    res = opt.solve(p2, pareto=False)
    solve_s = time.perf_counter() - t1
    print(f"{engine:6s}: {pop / dt:8.1f} evaluations/s (population of {pop} in one call); "
          f"known-answer solve {solve_s:.2f} s, {res.n_evals} evaluations in {res.n_calls} calls, "
          f"feasible={res.feasible}, x={np.round(res.best.x, 3).tolist()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--engines", nargs="+", default=["pysd", "batch"])
    ap.add_argument("--pop", type=int, default=32)
    ap.add_argument("--scenario", type=Path, default=None)
    args = ap.parse_args()
    for e in args.engines:
        bench(e, args.pop)
    if args.scenario is not None:
        from sdmission.commands.optimise import optimisation_problem, target_rule
        from sdmission.study.case import prepare

        for e in args.engines:
            try:
                (case,) = prepare([args.scenario], engine=e, targets=target_rule(None))
                p = optimisation_problem(case)
            except SdmissionError as exc:
                print(f"{e:6s}: {args.scenario}: {exc}")
                continue
            t0 = time.perf_counter()
            res = opt.solve(p, progress=opt.stderr_progress)
            print(f"{e:6s}: {args.scenario.name}: {time.perf_counter() - t0:.1f} s, "
                  f"{res.n_evals} evaluations, feasible={res.feasible}")


if __name__ == "__main__":
    main()
