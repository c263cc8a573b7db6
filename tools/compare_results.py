"""Compare two results folders written by ``python -m sdmission run``: every variable identical.

Used to show that a refactoring changes no behaviour (issue #10)::

    python -m sdmission run --out /tmp/before     # on the old commit
    python -m sdmission run --out /tmp/after      # on the new one
    python tools/compare_results.py /tmp/before /tmp/after

Exit 0 when every ``.nc`` holds the same variables with bit-identical values (NaN equal to NaN) and
every headline CSV is byte-identical; else 1 with a list of differences. Provenance attributes
(time stamps, commands, versions) are not compared.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import xarray as xr


def compare(a: Path, b: Path, rtol: float = 0.0) -> list[str]:
    """Differences between results folders ``a`` and ``b`` (empty when identical)."""
    out: list[str] = []
    names_a = {p.name for p in a.iterdir() if p.suffix in (".nc", ".csv")}
    names_b = {p.name for p in b.iterdir() if p.suffix in (".nc", ".csv")}
    out += [f"only in {a}: {n}" for n in sorted(names_a - names_b)]
    out += [f"only in {b}: {n}" for n in sorted(names_b - names_a)]
    for name in sorted(names_a & names_b):
        pa, pb = a / name, b / name
        if pa.suffix == ".csv":
            if pa.read_bytes() != pb.read_bytes():
                out.append(f"{name}: files differ")
            continue
        with xr.open_dataset(pa) as da, xr.open_dataset(pb) as db:
            va, vb = set(da.data_vars), set(db.data_vars)
            out += [f"{name}: variable {v} only in {a}" for v in sorted(va - vb)]
            out += [f"{name}: variable {v} only in {b}" for v in sorted(vb - va)]
            for v in sorted(va & vb):
                x, y = da[v], db[v]
                if x.dims != y.dims or x.shape != y.shape:
                    out.append(f"{name}: {v} dims {x.dims}{x.shape} vs {y.dims}{y.shape}")
                    continue
                if x.attrs.get("units") != y.attrs.get("units"):
                    out.append(f"{name}: {v} units {x.attrs.get('units')!r} vs {y.attrs.get('units')!r}")
                xv, yv = np.asarray(x.values), np.asarray(y.values)
                if xv.dtype.kind in "fc":
                    same = np.isclose(xv, yv, rtol=rtol, atol=0.0, equal_nan=True)
                else:
                    same = xv == yv
                if not np.all(same):
                    diff = np.nanmax(np.abs(xv - yv)) if xv.dtype.kind in "fc" else "n/a"
                    out.append(f"{name}: {v} differs (max abs difference {diff})")
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    diffs = compare(Path(args[0]), Path(args[1]))
    for d in diffs:
        print(d)
    print("identical" if not diffs else f"{len(diffs)} difference(s)")
    return 0 if not diffs else 1


if __name__ == "__main__":
    raise SystemExit(main())
