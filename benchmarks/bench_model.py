"""Speed budget of the project model under PySD (issue #2 item 8).

Run: ``python benchmarks/bench_model.py [--repeats 3]``. Prints translation time, load time and the
median wall time of one full run 2015-2050 at the model's time step, all variables vs headline only.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import pysd

MODEL = Path(__file__).resolve().parents[1] / "models" / "sdmission.mdl"
HEADLINE = ["industry_ghg", "national_ghg", "circular_share", "public_cost_total"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / MODEL.name
        copy.write_bytes(MODEL.read_bytes())
        t0 = time.perf_counter()
        pysd.read_vensim(str(copy))
        t_translate = time.perf_counter() - t0
        t0 = time.perf_counter()
        model = pysd.load(str(copy.with_suffix(".py")))
        t_load = time.perf_counter() - t0
        n_vars = len(model.doc)
        for label, cols in (("headline columns", HEADLINE), ("all columns", None)):
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                model.run(return_columns=cols, reload=True)
                times.append(time.perf_counter() - t0)
            print(f"PySD run 2015-2050, dt=0.25 (144 steps), {label}: median {statistics.median(times):.2f} s "
                  f"over {args.repeats} runs")
    print(f"translate {t_translate:.2f} s, load {t_load:.3f} s, {n_vars} variables in model.doc")


if __name__ == "__main__":
    main()
