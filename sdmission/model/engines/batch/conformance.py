"""Conformance of the batch engine against PySD and against Vensim's own output.

The SDXorg test-models suite (``tests/data/test-models``, MIT licence) holds small models, one Vensim
feature each, with ``output.tab``/``output.csv`` written by Vensim. For each model:

1. run it on the batch engine (numpy, and the compiled path where asked);
2. if it ran, run it once on PySD (the reference) and compare every value of every variable
   (``RTOL_PYSD``: the batch engine replays PySD's arithmetic, so only rounding may differ);
3. compare both engines with Vensim's output on Vensim's columns, with PySD's own test tolerance
   (``|vensim - x| <= ATOL + RTOL * |x|``, rtol = atol = 1e-5, ``pysd.tools.benchmarking``), after
   Vensim's habit of writing constants only in the first row is undone (as PySD does).

Each model ends in one state: ``agrees``; ``refused`` (``UnsupportedFunctionError`` naming the
feature and the variable: the CLI exits 1 with that message); or ``known difference`` (listed in
``KNOWN_DIFFERENCES`` with the reason). Anything else — ``disagrees`` (an unexplained difference)
or ``error`` (any other exception, which the CLI would report as exit 3) — is a bug.

``python -m sdmission.model.engines.batch.conformance --write docs/conformance.md`` regenerates the
table.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sdmission.errors import SdmissionError, UnsupportedFunctionError

ROOT = Path(__file__).resolve().parents[4]
TEST_MODELS = ROOT / "tests" / "data" / "test-models" / "tests"
RTOL_PYSD = 1e-9
# PySD's own comparison with Vensim output (pysd.tools.benchmarking.assert_allclose defaults).
RTOL_VENSIM = 1e-5
ATOL_VENSIM = 1e-5
# Per-model tolerances PySD's own integration suite uses for the same files.
VENSIM_RTOL_OVERRIDES = {"arguments": 1e-2}

# Models whose batch (and PySD) numbers differ from Vensim's for a reason we understand.
KNOWN_DIFFERENCES: dict[str, str] = {
    "data_from_other_model/model_to_generate_data": (
        "unverified: PySD 3.14.3 fails on it (broadcast error) and the folder's Vensim output belongs "
        "to test_data_from_other_model"),
}
# Folders with several models: the one Vensim's output belongs to.
CANON_OWNER = {"data_from_other_model": "test_data_from_other_model", "get_time_value": "test_get_time_value"}

# What the conformance test checks: every compiled path must equal the numpy one.
CHECKED_ENGINES: tuple[str, ...] = ("numpy",)

STATES = ("agrees", "refused", "known difference", "disagrees", "error")


@dataclass(frozen=True)
class Case:
    """One test model: a name (its folder, or folder/stem when a folder has several models)."""

    name: str
    mdl: Path
    canon: Path | None


@dataclass
class Outcome:
    """Where one model ended, with the measured differences (``None`` when not compared)."""

    case: Case
    state: str
    detail: str = ""
    engines: tuple[str, ...] = ()
    batch_vs_pysd: float | None = None
    batch_vs_vensim: float | None = None
    pysd_vs_vensim: float | None = None
    pysd_runs: bool | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def discover(root: Path = TEST_MODELS) -> list[Case]:
    """Every ``.mdl`` under ``root`` (one folder per feature), with its Vensim output if any."""
    cases: list[Case] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        mdls = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".mdl")
        canon = next((folder / f for f in ("output.csv", "output.tab") if (folder / f).is_file()), None)
        for mdl in mdls:
            name = folder.name if len(mdls) == 1 else f"{folder.name}/{mdl.stem}"
            owner = CANON_OWNER.get(folder.name, mdl.stem)
            cases.append(Case(name, mdl, canon if owner == mdl.stem else None))
    return cases


# -- PySD reference ---------------------------------------------------------------------------------
def _pysd_folder(mdl: Path) -> Path:
    """A copy of the model's folder (model and data files) in the cache; PySD writes its .py there."""
    from sdmission.model.translate import cache_dir

    digest = hashlib.sha256()
    for f in sorted(mdl.parent.iterdir()):
        if f.is_file():
            digest.update(f.name.encode() + f.read_bytes())
    dst = cache_dir() / "conformance" / digest.hexdigest()[:16]
    if not dst.exists():
        tmp = dst.with_name(dst.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(mdl.parent, tmp, ignore=shutil.ignore_patterns("*.py"))
        tmp.rename(dst)
    return dst / mdl.name


def pysd_series(mdl: Path, names: Sequence[str], dims: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """One PySD run of the model's defaults: ``{py_name: array (time, *dims)}`` and ``__time__``."""
    import pysd

    copy = _pysd_folder(mdl)
    py = copy.with_suffix(".py")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pysd.load(str(py)) if py.exists() else pysd.read_vensim(str(copy))
        df = model.run(return_columns=list(names), flatten_output=False, progress=False)
    by_py = {p: r for r, p in model.namespace.items()}
    out: dict[str, Any] = {"__time__": np.asarray(df.index, dtype=float)}
    coords: dict[str, dict[str, list[str]]] = {}
    for name in names:
        col = df[by_py[name]] if by_py.get(name) in df.columns else df[name]
        rows = []
        for v in col:
            if hasattr(v, "dims") and set(v.dims) == set(dims[name]):
                v = v.transpose(*dims[name])
                # PySD keeps a variable defined on part of a range on that part only
                coords[name] = {d: [str(x) for x in v.coords[d].values] for d in v.dims}
            rows.append(np.asarray(getattr(v, "values", v), dtype=float))
        out[name] = np.broadcast_to(np.stack(rows), (len(df),) + (rows[0].shape if rows else ()))
    out.update({f"__coords__{n}": c for n, c in coords.items()})
    return out


def _on_pysd_coords(a: np.ndarray, coords: Any, dims: tuple[str, ...],
                    subscripts: dict[str, tuple[str, ...]]) -> np.ndarray:
    """The batch values restricted to the elements PySD defines the variable on."""
    if not isinstance(coords, dict):
        return a
    for axis, d in enumerate(dims, start=1):
        elems = coords.get(d)
        if elems is not None and list(elems) != list(subscripts[d]):
            a = np.take(a, [list(subscripts[d]).index(e) for e in elems], axis=axis)
    return a


# -- comparisons ------------------------------------------------------------------------------------
def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest ``|a - b| / (|b| + 1e-12 * max|b|)``; ``inf`` where NaN/inf patterns differ."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    same_nonfinite = (np.isnan(a) & np.isnan(b)) | ((a == b) & ~np.isfinite(b))
    fin = np.isfinite(a) & np.isfinite(b)
    if not np.all(fin | same_nonfinite):
        return float("inf")
    if not fin.any():
        return 0.0
    scale = 1e-12 * max(float(np.max(np.abs(b[fin]))), 1e-300)
    return float(np.max(np.abs(a[fin] - b[fin]) / (np.abs(b[fin]) + scale)))


def _norm(s: str) -> str:
    return re.sub(r"[\s_]+", " ", s.strip().strip('"')).lower()


def vensim_frame(canon: Path) -> pd.DataFrame:
    """Vensim's output as (time x column), constants repeated from the first row."""
    from pysd.py_backend.utils import detect_encoding, load_outputs

    df = load_outputs(canon, encoding=detect_encoding(canon))
    df = df.apply(pd.to_numeric, errors="coerce")
    nan_cols = df.iloc[1:].isna().all().to_numpy() if len(df) > 1 else np.zeros(df.shape[1], bool)
    for col in df.columns[nan_cols]:
        df[col] = df[col].iloc[0]
    return df


def vensim_columns(df: pd.DataFrame, real_names: dict[str, str], dims: dict[str, tuple[str, ...]],
                   subscripts: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Map Vensim columns (``Name[a,b]``) to ``(py_name, element positions)``; others are skipped."""
    by_norm = {_norm(r): p for p, r in real_names.items()}
    out: dict[str, tuple[str, tuple[int, ...]]] = {}
    for col in df.columns:
        name, _, rest = str(col).partition("[")
        py = by_norm.get(_norm(name))
        if py is None:
            continue
        elems = [e.strip() for e in rest.rstrip("]").split(",")] if rest else []
        if len(elems) != len(dims[py]):
            continue
        pos: list[int] = []
        for d, e in zip(dims[py], elems, strict=True):
            names = [_norm(x) for x in subscripts[d]]
            if _norm(e) not in names:
                break
            pos.append(names.index(_norm(e)))
        else:
            out[str(col)] = (py, tuple(pos))
    return out


def vensim_diff(df: pd.DataFrame, cols: dict[str, tuple[str, tuple[int, ...]]], times: np.ndarray,
                series: dict[str, np.ndarray], rtol: float) -> tuple[float, str]:
    """Worst ``|x - vensim| / (ATOL + rtol |x|)`` (≤ 1 passes) over Vensim's columns, and where."""
    idx = np.asarray(df.index, dtype=float)
    tol = 1e-6 * max(1.0, float(np.abs(times).max()))
    rows = np.searchsorted(times, idx - tol)
    rows = np.clip(rows, 0, len(times) - 1)
    if not np.all(np.abs(times[rows] - idx) <= tol):
        return float("inf"), f"save times differ: Vensim {len(idx)} rows, engine {len(times)}"
    worst, where = 0.0, ""
    for col, (py, pos) in cols.items():
        x = np.asarray(series[py], dtype=float)[(rows,) + pos]
        v = df[col].to_numpy(dtype=float)
        both_nan = np.isnan(v) & np.isnan(x)
        err = np.where(both_nan, 0.0, np.abs(v - x) / (ATOL_VENSIM + rtol * np.abs(x)))
        err = np.where(np.isnan(err), np.inf, err)
        m = float(err.max()) if err.size else 0.0
        if m > worst:
            worst, where = m, col
    return worst, where


# -- one model --------------------------------------------------------------------------------------
def _batch_series(engine: Any) -> tuple[dict[str, np.ndarray], np.ndarray]:
    from sdmission.constants import MEMBER, TIME

    ds = engine.run()
    return {n: ds[n].isel({MEMBER: 0}).values for n in ds.data_vars}, np.asarray(ds[TIME].values, float)


def run_case(case: Case, engines: Sequence[str] = ("numpy",), pysd_for_refused: bool = False) -> Outcome:
    """Run one model on the batch engine(s), PySD where needed, and Vensim's output; classify it."""
    from sdmission.model.engines.batch import BatchEngine

    out = Outcome(case, "error", engines=tuple(engines))
    t0 = time.perf_counter()
    try:
        engine = BatchEngine(case.mdl)
        series, times = _batch_series(engine)
    except Exception as exc:  # noqa: BLE001 - classified, never hidden
        _classify_failure(out, exc, pysd_for_refused)
        return out
    out.seconds["batch"] = time.perf_counter() - t0
    notes = _compare_compiled(engine, series, engines[1:])
    t1 = time.perf_counter()
    ref = _compare_pysd(out, engine, series, times, notes)
    out.seconds["pysd"] = time.perf_counter() - t1
    if case.canon is not None:
        _compare_vensim(out, engine, series, times, ref, notes)
    if not notes:
        out.state = "agrees"
    elif case.name in KNOWN_DIFFERENCES:
        out.state, notes = "known difference", [KNOWN_DIFFERENCES[case.name]] + notes
    else:
        out.state = "disagrees"
    out.detail = "; ".join(notes)
    return out


def _classify_failure(out: Outcome, exc: Exception, pysd_for_refused: bool) -> None:
    if isinstance(exc, UnsupportedFunctionError):
        out.state, out.detail = "refused", f"{exc.function} (variable '{exc.variable}')"
        if pysd_for_refused:
            out.pysd_runs = _pysd_runs(out.case)
    elif isinstance(exc, SdmissionError):
        # A clear error (exit 1) is a refusal only when PySD cannot run the model either
        # (e.g. a data file the model names is missing); otherwise it is a bug.
        out.pysd_runs = _pysd_runs(out.case)
        if out.pysd_runs:
            out.detail = f"{type(exc).__name__} (not a clear refusal): {exc}"
        else:
            out.state, out.detail = "refused", f"{exc} (PySD cannot run it either)"
    else:
        out.detail = f"{type(exc).__name__} (unexpected: the CLI exits 3): {exc}"
        if pysd_for_refused:
            out.pysd_runs = _pysd_runs(out.case)


def _compare_compiled(engine: Any, series: dict[str, np.ndarray], others: Sequence[str]) -> list[str]:
    """Every compiled result equals the numpy result (rtol 1e-9); a compiled refusal is noted."""
    notes: list[str] = []
    for kind in others:
        try:
            got, _ = _batch_series(engine.compiled())
        except UnsupportedFunctionError as exc:
            notes.append(f"{kind} path refuses {exc.function}")
            continue
        d = max((rel_diff(got[n], series[n]) for n in series), default=0.0)
        if not d <= RTOL_PYSD:
            notes.append(f"{kind} differs from numpy by {d:.2g}")
    return notes


def _compare_pysd(out: Outcome, engine: Any, series: dict[str, np.ndarray], times: np.ndarray,
                  notes: list[str]) -> dict[str, Any] | None:
    model = engine.model
    dims = {n: v.dims for n, v in model.variables.items()}
    try:
        ref = pysd_series(out.case.mdl, list(series), dims)
        out.pysd_runs = True
    except Exception as exc:  # noqa: BLE001 - PySD failing is recorded, not fatal
        out.pysd_runs = False
        notes.append(f"PySD cannot run it ({type(exc).__name__})")
        return None
    if len(ref["__time__"]) != len(times) or not np.allclose(ref["__time__"], times, atol=1e-9):
        out.batch_vs_pysd = float("inf")
        notes.append("save times differ from PySD")
        return ref
    subs = dict(model.subscripts)
    diffs = {n: rel_diff(_on_pysd_coords(series[n], ref.get(f"__coords__{n}"), dims[n], subs), ref[n])
             for n in series}
    out.batch_vs_pysd = max(diffs.values(), default=0.0)
    if not out.batch_vs_pysd <= RTOL_PYSD:
        worst = max(diffs, key=lambda k: diffs[k])
        notes.append(f"differs from PySD by {out.batch_vs_pysd:.2g} ('{worst}')")
    return ref


def _compare_vensim(out: Outcome, engine: Any, series: dict[str, np.ndarray], times: np.ndarray,
                    ref: dict[str, Any] | None, notes: list[str]) -> None:
    assert out.case.canon is not None
    model = engine.model
    dims = {n: v.dims for n, v in model.variables.items()}
    df = vensim_frame(out.case.canon)
    real = {n: v.real_name for n, v in model.variables.items() if n in series}
    cols = vensim_columns(df, real, dims, dict(model.subscripts))
    rtol = VENSIM_RTOL_OVERRIDES.get(out.case.name, RTOL_VENSIM)
    out.batch_vs_vensim, where = vensim_diff(df, cols, times, series, rtol)
    if not out.batch_vs_vensim <= 1.0:
        notes.append(f"differs from Vensim ({where}: {out.batch_vs_vensim:.3g} x tolerance)")
    if ref is not None:
        same = {c: v for c, v in cols.items() if np.shape(ref[v[0]]) == np.shape(series[v[0]])}
        out.pysd_vs_vensim, _ = vensim_diff(df, same, times, ref, rtol)
    if not cols:
        notes.append("no Vensim column matched")


def _pysd_runs(case: Case) -> bool:
    import pysd

    try:
        copy = _pysd_folder(case.mdl)
        py = copy.with_suffix(".py")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = pysd.load(str(py)) if py.exists() else pysd.read_vensim(str(copy))
            model.run(progress=False)
        return True
    except Exception:  # noqa: BLE001 - only whether it runs is recorded
        return False


# -- the table --------------------------------------------------------------------------------------
def _fmt(x: float | None) -> str:
    return "" if x is None else ("inf" if not np.isfinite(x) else f"{x:.1e}")


def table(outcomes: Sequence[Outcome]) -> str:
    """Markdown: counts per state, then one row per model."""
    counts = {s: sum(o.state == s for o in outcomes) for s in STATES}
    runnable = [o for o in outcomes if o.pysd_runs]
    agree = sum(o.state == "agrees" for o in runnable)
    engines = sorted({e for o in outcomes for e in o.engines})
    lines = [
        "# Batch engine conformance (SDXorg test-models)",
        "",
        "Generated by `python -m sdmission.model.engines.batch.conformance --write docs/conformance.md`;"
        " do not edit by hand. Models: `tests/data/test-models` (MIT licence, see its LICENSE/AUTHORS).",
        f"Engines checked: {', '.join(engines)}. Batch vs PySD: every value of every variable,"
        f" rtol {RTOL_PYSD:g}. Vs Vensim output: `|vensim - x| <= {ATOL_VENSIM:g} + rtol |x|`,"
        f" rtol {RTOL_VENSIM:g} (PySD's own test tolerance; `arguments` 1e-2 as in PySD's suite);"
        " columns are multiples of that tolerance (<= 1 passes).",
        "",
        "| state | models |",
        "|---|---|",
        *[f"| {s} | {counts[s]} |" for s in STATES],
        f"| **PySD-runnable models agreeing** | **{agree} / {len(runnable)}"
        f" ({100 * agree / max(len(runnable), 1):.0f} %)** |",
        "",
        "| model | state | batch vs PySD (rel) | batch vs Vensim (x tol) | PySD vs Vensim (x tol) | PySD runs | detail |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        runs = {True: "yes", False: "no", None: ""}[o.pysd_runs]
        lines.append(f"| {o.case.name} | {o.state} | {_fmt(o.batch_vs_pysd)} | {_fmt(o.batch_vs_vensim)} |"
                     f" {_fmt(o.pysd_vs_vensim)} | {runs} | {o.detail.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Batch engine conformance table over the SDXorg test models.")
    ap.add_argument("--root", type=Path, default=TEST_MODELS)
    ap.add_argument("--write", type=Path, default=None, help="write the markdown table here")
    ap.add_argument("--engines", nargs="+", default=["numpy"], choices=["numpy", "compiled"])
    ap.add_argument("models", nargs="*", help="only these models (names as in the table)")
    args = ap.parse_args(list(argv) if argv is not None else None)
    cases = [c for c in discover(args.root) if not args.models or c.name in args.models]
    outcomes = []
    for case in cases:
        o = run_case(case, args.engines, pysd_for_refused=True)
        print(f"{case.name:60s} {o.state:17s} {o.detail[:150]}", flush=True)
        outcomes.append(o)
    text = table(outcomes)
    if args.write:
        from sdmission.io import atomic_write_text

        atomic_write_text(args.write, text)
        print(f"wrote {args.write}")
    bad = [o for o in outcomes if o.state in ("disagrees", "error")]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
