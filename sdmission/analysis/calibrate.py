"""Calibration of the project model against observed history, with the SD fit statistics.

Fit statistics follow Sterman (1984), 'Appropriate summary statistics for evaluating the historical
fit of system dynamics models', Dynamica 10(2): MAPE, RMSPE, Theil's inequality coefficient U and
the decomposition of the mean squared error into bias (U^M), unequal variation (U^S) and unequal
covariation (U^C) shares, which sum to 1.

The observed series are declared as data (``sdmission/data/observed/calibration_series.csv``: name,
model variable(s), subscript elements summed, observed file(s) summed, scale to model units, whether
the series enters the fit). A series whose variable or elements the model does not have is left out
with a note, so the machinery works on whatever model is there.

Fitting (:func:`fit`) estimates the model's scalar ``[calibrated]`` parameters within their ranges
by bounded least squares on relative errors over a fit window, and evaluates the fitted model on a
later holdout window (out of sample, Sterman 2000 ch. 21). The batch engine runs the base point and
every finite-difference point of the Jacobian as members of one call.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sdmission.errors import InputError, ModelError, Problem
from sdmission.model.parameters import Parameter, parameter_table

CALIBRATION_YEARS = (2015, 2023)
SERIES_FILE = "calibration_series.csv"
#: A fitted parameter within this fraction of its range from a bound counts as 'at the bound'.
BOUND_TOLERANCE = 0.01
#: Forward-difference step of the Jacobian, as a fraction of each parameter's range.
JACOBIAN_STEP = 0.01
#: Relative observation error of the emission inventories (fraction): the 2015-2021 national totals of
#: the Klimaatwet-scope and the KEV-harmonised series differ by up to 0.9 Mt of 200, industry vintages
#: and provisional-to-final revisions by about 1 Mt of 55; 2 % covers both. Scales data residuals
#: against the prior in the penalised fit.
OBSERVATION_ERROR = 0.02


# --------------------------------------------------------------------------------------- data


def _bad(message: str, key: str | None = None, file: Path | str | None = None, line: int | None = None) -> InputError:
    return InputError([Problem(message, file=file, line=line, key=key)])


@dataclass(frozen=True)
class SeriesSpec:
    """One observed series: which model output it is compared with, and from which files."""

    name: str
    variables: tuple[str, ...]  # candidate model variables (first one the model has is used)
    elements: tuple[str, ...]  # subscript elements summed ('' = scalar variable)
    files: tuple[str, ...]  # observed CSV files summed (year,value,...)
    scale: float  # observed units -> model units
    fit: bool  # enters the least-squares objective by default
    note: str = ""


def _data_dir() -> Path:
    return Path(str(resources.files("sdmission.data").joinpath("observed")))


def series_specs(path: Path | str | None = None) -> list[SeriesSpec]:
    """Read the series registry (default: the packaged ``calibration_series.csv``)."""
    p = Path(path) if path else _data_dir() / SERIES_FILE
    specs = []
    with open(p, newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                specs.append(SeriesSpec(
                    name=row["name"], variables=tuple(row["variables"].split("|")),
                    elements=tuple(e for e in row["elements"].split("+") if e),
                    files=tuple(row["observed"].split("+")), scale=float(row["scale"]),
                    fit=row["fit"].strip() in ("1", "true", "yes"), note=row.get("note", "") or ""))
            except (KeyError, ValueError, AttributeError) as exc:
                raise _bad(f"bad series row ({exc!r}); need name, variables, elements, observed, scale, fit",
                           file=p, line=line) from exc
    return specs


def read_observed(files: Sequence[str], scale: float = 1.0, data_dir: Path | None = None) -> pd.Series:
    """Sum of observed CSV series (index: year) over the years they all cover, in model units."""
    parts = []
    for name in files:
        p = (data_dir or _data_dir()) / name
        try:
            df = pd.read_csv(p)
        except FileNotFoundError as exc:
            raise _bad("observed series not found", file=p) from exc
        if not {"year", "value"} <= set(df.columns):
            raise _bad(f"needs columns 'year' and 'value', has {list(df.columns)}", file=p, line=1)
        parts.append(df.set_index("year")["value"].astype(float))
    total = pd.concat(parts, axis=1).dropna().sum(axis=1)
    total.index = total.index.astype(int)
    return total * scale


# Kept for callers of the first version: model variable -> (file, scale).
OBSERVED: dict[str, tuple[str, float]] = {
    "industry_ghg": ("nl_ghg_industry_klimaatsector_mt.csv", 1.0),
    "circular_share": ("nl_circular_material_use_rate_pct.csv", 0.01),
}


def observed_series(variable: str, years: tuple[int, int] = CALIBRATION_YEARS) -> pd.Series:
    """Observed values of a model variable (index: year, model units), from the packaged data."""
    fname, scale = OBSERVED[variable]
    return read_observed([fname], scale).loc[years[0] : years[1]]


# --------------------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class FitStatistics:
    """Summary statistics of a simulated series against data (same years)."""

    n: int
    mape: float  # mean absolute percent error, fraction
    rmspe: float  # root mean squared percent error, fraction
    r2: float  # squared correlation
    theil_u: float  # Theil inequality coefficient, 0 = perfect
    um: float  # bias share of MSE
    us: float  # unequal-variation share of MSE
    uc: float  # unequal-covariation share of MSE


def fit_statistics(simulated: np.ndarray, actual: np.ndarray) -> FitStatistics:
    """MAPE, RMSPE, R² and Theil's U with its MSE decomposition (U^M + U^S + U^C = 1).

    Both arrays have shape (n,) and the same units.
    """
    s = np.asarray(simulated, dtype=float)
    a = np.asarray(actual, dtype=float)
    if s.shape != a.shape or s.ndim != 1 or s.size < 2:
        raise ValueError("simulated and actual must be 1-D arrays of the same length >= 2")
    err = s - a
    mse = float(np.mean(err**2))
    ss, sa = float(np.std(s)), float(np.std(a))
    r = float(np.corrcoef(s, a)[0, 1]) if ss > 0 and sa > 0 else 0.0
    if mse > 0:
        um = (s.mean() - a.mean()) ** 2 / mse
        us = (ss - sa) ** 2 / mse
        uc = 2 * (1 - r) * ss * sa / mse
    else:
        um = us = uc = 0.0
    theil_u = np.sqrt(mse) / (np.sqrt(np.mean(s**2)) + np.sqrt(np.mean(a**2)))
    return FitStatistics(
        n=int(s.size),
        mape=float(np.mean(np.abs(err / a))),
        rmspe=float(np.sqrt(np.mean((err / a) ** 2))),
        r2=r**2,
        theil_u=float(theil_u),
        um=float(um),
        us=float(us),
        uc=float(uc),
    )


def naive_statistics(actual: pd.Series, window: tuple[int, int]) -> FitStatistics | None:
    """Fit of the constant (naive) forecast: the last observed value before ``window`` held flat.

    None when no observation precedes the window or fewer than two fall inside it.
    """
    before = actual.loc[: window[0] - 1]
    inside = actual.loc[window[0] : window[1]]
    if before.empty or inside.size < 2:
        return None
    return fit_statistics(np.full(inside.size, float(before.iloc[-1])), inside.to_numpy())


# --------------------------------------------------------------------------------------- model runs


@dataclass(frozen=True)
class ModelSeries:
    """A series the model can be compared with: spec, resolved variable, observed values."""

    spec: SeriesSpec
    variable: str
    observed: pd.Series  # index: year, model units (every observed year)


def resolve_series(engine_vars: xr.Dataset | Mapping[str, xr.DataArray], specs: Sequence[SeriesSpec],
                   data_dir: Path | None = None) -> tuple[list[ModelSeries], list[str]]:
    """Match each spec to a model variable (by name) and its elements; notes for those left out."""
    found, notes = [], []
    for spec in specs:
        var = next((v for v in spec.variables if v in engine_vars), None)
        if var is None:
            notes.append(f"{spec.name}: the model has none of {', '.join(spec.variables)}; left out")
            continue
        if spec.elements:
            da = engine_vars[var]
            dims = [d for d in da.dims if d not in ("member", "time")]
            have = {str(e) for d in dims for e in da[d].values}
            missing = [e for e in spec.elements if e not in have]
            if missing:
                notes.append(f"{spec.name}: {var} has no element {', '.join(missing)}; left out")
                continue
        found.append(ModelSeries(spec, var, read_observed(spec.files, spec.scale, data_dir)))
    return found, notes


def _select(da: xr.DataArray, elements: Sequence[str]) -> xr.DataArray:
    """Sum of ``da`` over the named elements of its one subscript dim (or ``da`` itself)."""
    if not elements:
        return da
    dims = [d for d in da.dims if d not in ("member", "time")]
    for d in dims:
        if set(elements) <= {str(e) for e in da[d].values}:
            out = da.sel({d: list(elements)}).sum(str(d))
            return out.sum([x for x in out.dims if x not in ("member", "time")])
    raise ModelError(f"{da.name}: no subscript has all of {', '.join(elements)}")


class HistoryRunner:
    """Runs the model (batch engine by default, its own historical settings) over history.

    ``run(params)`` takes ``{name: array of shape (members,)}`` and returns, per series, a frame of
    shape (years, members) in model units.
    """

    def __init__(self, mdl_path: Path | str, series: Sequence[SeriesSpec] | None = None,
                 engine: str = "batch", final_year: int = CALIBRATION_YEARS[1],
                 data_dir: Path | None = None) -> None:
        from sdmission.model.engines.factory import load_engine

        self.mdl_path = Path(mdl_path)
        self.engine = load_engine(self.mdl_path, engine)
        self.final_year = final_year
        specs = list(series) if series is not None else series_specs()
        candidates = sorted({v for s in specs for v in s.variables})
        probe = self._raw({}, candidates, probe=True)
        self.series, self.notes = resolve_series(probe, specs, data_dir)
        self.return_vars = sorted({s.variable for s in self.series})
        if not self.series:
            raise ModelError(f"{self.mdl_path}: the model has no variable of any observed series")

    def _raw(self, inputs: Mapping[str, xr.DataArray], names: Sequence[str], probe: bool = False) -> xr.Dataset:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if probe:  # keep only names the model has (the engine refuses unknown names)
                ds = self.engine.run({}, final_time=self.initial_year() + 1)
                return ds[[n for n in names if n in ds]]
            return self.engine.run(dict(inputs), return_vars=list(names), final_time=self.final_year)

    def initial_year(self) -> int:
        from sdmission.model.catalogue import load_catalogue

        return int(round(load_catalogue(self.mdl_path).time_grid(self.final_year)[0]))

    def run(self, params: Mapping[str, np.ndarray] | None = None) -> dict[str, pd.DataFrame]:
        inputs = {k: xr.DataArray(np.atleast_1d(np.asarray(v, dtype=float)), dims=["member"])
                  for k, v in (params or {}).items()}
        ds = self._raw(inputs, self.return_vars)
        years = np.round(ds["time"].values.astype(float), 6)
        keep = np.isclose(years % 1, 0)
        out = {}
        for s in self.series:
            da = _select(ds[s.variable], s.spec.elements).transpose("time", "member")
            out[s.spec.name] = pd.DataFrame(da.values[keep], index=years[keep].astype(int))
        return out


# --------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ParameterEstimate:
    """A calibrated parameter after the fit, with its range and (approximate) standard error."""

    name: str
    value: float
    low: float
    high: float
    start: float  # value in the model before the fit
    stderr: float | None = None  # from the Jacobian at the optimum; None if not identifiable

    @property
    def at_bound(self) -> str:
        """'lower', 'upper' or '' (within BOUND_TOLERANCE of the range)."""
        span = self.high - self.low
        if self.value <= self.low + BOUND_TOLERANCE * span:
            return "lower"
        if self.value >= self.high - BOUND_TOLERANCE * span:
            return "upper"
        return ""


@dataclass
class Calibration:
    """Result of a calibration run: fit per series and window, parameters, identifiability."""

    parameters: dict[str, float]
    fits: dict[str, FitStatistics] = field(default_factory=dict)  # in-sample (window 'fit')
    simulated: dict[str, pd.Series] = field(default_factory=dict)
    observed: dict[str, pd.Series] = field(default_factory=dict)
    holdout: dict[str, FitStatistics] = field(default_factory=dict)
    naive_holdout: dict[str, FitStatistics] = field(default_factory=dict)
    fit_window: tuple[int, int] = CALIBRATION_YEARS
    holdout_window: tuple[int, int] | None = None
    fitted_series: tuple[str, ...] = ()
    estimates: list[ParameterEstimate] = field(default_factory=list)
    correlation: pd.DataFrame | None = None
    n_observations: int = 0
    notes: list[str] = field(default_factory=list)

    def _years(self, name: str, window: tuple[int, int]) -> str:
        idx = self.observed[name].loc[window[0] : window[1]].index
        return f"{idx[0]}-{idx[-1]}" if len(idx) else "-"

    def rows(self) -> list[dict[str, object]]:
        """One row per series and window (for the CSV table)."""
        out: list[dict[str, object]] = []
        windows = [("in-sample", self.fit_window, self.fits)]
        if self.holdout_window:
            windows.append(("holdout", self.holdout_window, self.holdout))
        for name in self.observed:
            for label, window, stats in windows:
                f = stats.get(name)
                if f is None:
                    continue
                naive = self.naive_holdout.get(name) if label == "holdout" else None
                out.append({
                    "series": name, "window": label, "years": self._years(name, window), "n": f.n,
                    "fitted": "yes" if name in self.fitted_series else "no",
                    "mape": f.mape, "rmspe": f.rmspe, "r2": f.r2, "theil_u": f.theil_u,
                    "um": f.um, "us": f.us, "uc": f.uc,
                    "naive_mape": naive.mape if naive else float("nan"),
                })
        return out

    def table(self) -> str:
        """Plain-text table of the fit statistics (in-sample and holdout)."""
        head = (f"{'series':<16}{'window':>10}{'years':>11}{'MAPE':>8}{'RMSPE':>8}{'R2':>7}{'Theil U':>9}"
                f"{'U^M':>7}{'U^S':>7}{'U^C':>7}{'naive':>8}")
        lines = [head, "-" * len(head)]
        for r in self.rows():
            naive = r["naive_mape"]
            naive_s = f"{naive:>8.1%}" if isinstance(naive, float) and np.isfinite(naive) else f"{'':>8}"
            mark = "" if r["fitted"] == "yes" else "*"
            lines.append(
                f"{str(r['series']) + mark:<16}{r['window']:>10}{r['years']:>11}{r['mape']:>8.1%}{r['rmspe']:>8.1%}"
                f"{r['r2']:>7.2f}{r['theil_u']:>9.3f}{r['um']:>7.2f}{r['us']:>7.2f}{r['uc']:>7.2f}{naive_s}"
            )
        lines.append("(* not in the fit objective; 'naive' = MAPE of holding the last observed value "
                     "before the holdout flat)")
        return "\n".join(lines)

    def markdown(self) -> str:
        """The fit table as Markdown (for the model README)."""
        lines = ["| series | window | years | MAPE | RMSPE | R² | Theil U | U^M | U^S | U^C | naive MAPE |",
                 "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in self.rows():
            naive = r["naive_mape"]
            naive_s = f"{naive:.1%}" if isinstance(naive, float) and np.isfinite(naive) else ""
            name = f"{r['series']}" + ("" if r["fitted"] == "yes" else " (not fitted)")
            lines.append(f"| {name} | {r['window']} | {r['years']} | {r['mape']:.1%} | {r['rmspe']:.1%} | "
                         f"{r['r2']:.2f} | {r['theil_u']:.3f} | {r['um']:.2f} | {r['us']:.2f} | {r['uc']:.2f} | "
                         f"{naive_s} |")
        return "\n".join(lines).replace("%", " %")

    def parameter_rows(self) -> list[dict[str, object]]:
        return [{"parameter": e.name, "value": e.value, "low": e.low, "high": e.high, "start": e.start,
                 "stderr": e.stderr if e.stderr is not None else float("nan"), "at_bound": e.at_bound}
                for e in self.estimates]

    def parameter_table(self) -> str:
        """Fitted parameters, ranges, standard errors, bounds; observations against parameters."""
        lines = [f"{'parameter':<34}{'value':>10}{'range':>18}{'start':>9}{'std err':>10}  bound"]
        for e in self.estimates:
            se = f"{e.stderr:10.3g}" if e.stderr is not None else f"{'n/a':>10}"
            lines.append(f"{e.name:<34}{e.value:>10.4g}{f'[{e.low:g}, {e.high:g}]':>18}{e.start:>9.4g}{se}  "
                         f"{e.at_bound or '-'}")
        lines.append(f"{len(self.estimates)} parameters against {self.n_observations} observations "
                     f"({len(self.fitted_series)} series x years in {self.fit_window[0]}-{self.fit_window[1]})")
        if self.correlation is not None and len(self.correlation) > 1:
            c = self.correlation.to_numpy().copy()
            np.fill_diagonal(c, 0.0)
            i, j = np.unravel_index(np.nanargmax(np.abs(c)), c.shape)
            lines.append(f"largest correlation of estimates: {self.correlation.index[i]} ~ "
                         f"{self.correlation.columns[j]}: {c[i, j]:+.2f}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------- API


def calibrated_parameters(mdl_path: Path | str) -> tuple[list[Parameter], list[str]]:
    """The model's scalar ``[calibrated]`` rows, and notes on subscripted ones (not fitted)."""
    rows = [p for p in parameter_table(mdl_path) if p.kind == "calibrated"]
    notes = [f"{p.name}[{p.element}]: subscripted calibrated parameters are not fitted" for p in rows if p.element]
    return [p for p in rows if not p.element], notes


def check_windows(fit_window: tuple[int, int], holdout: tuple[int, int] | None,
                  first: int, last: int) -> None:
    """Raise InputError unless first <= A <= B <= last and a holdout follows the fit window inside it."""
    a, b = fit_window
    if a > b:
        raise _bad(f"{a} {b}: the first year is after the last", "--fit-window")
    if a < first or b > last:
        raise _bad(f"{a} {b}: must lie within the model's history {first}-{last}", "--fit-window")
    if b - a < 1:
        raise _bad(f"{a} {b}: needs at least two years", "--fit-window")
    if holdout is None:
        return
    c, d = holdout
    if c > d:
        raise _bad(f"{c} {d}: the first year is after the last", "--holdout")
    if c < first or d > last:
        raise _bad(f"{c} {d}: must lie within the model's history {first}-{last}", "--holdout")
    if c <= b:
        raise _bad(f"{c} {d}: must start after the fit window ends ({b}); "
                         "out-of-sample years may not be fitted", "--holdout")


def _evaluate_windows(cal: Calibration, runner: HistoryRunner, sims: dict[str, pd.DataFrame],
                      member: int = 0) -> None:
    for s in runner.series:
        name = s.spec.name
        obs = s.observed.loc[runner.initial_year() : runner.final_year]
        sim = sims[name][member].reindex(obs.index)
        cal.observed[name], cal.simulated[name] = obs, sim
        for window, target in ((cal.fit_window, cal.fits), (cal.holdout_window, cal.holdout)):
            if window is None:
                continue
            o = obs.loc[window[0] : window[1]]
            if o.size >= 2:
                target[name] = fit_statistics(sim.loc[o.index].to_numpy(), o.to_numpy())
        if cal.holdout_window:
            naive = naive_statistics(s.observed, cal.holdout_window)
            if naive is not None:
                cal.naive_holdout[name] = naive


def evaluate(mdl_path: Path | str, params: dict[str, float] | None = None, *,
             fit_window: tuple[int, int] = CALIBRATION_YEARS, holdout: tuple[int, int] | None = None,
             engine: str = "batch", series: Sequence[SeriesSpec] | None = None,
             data_dir: Path | None = None) -> Calibration:
    """Fit statistics of the model (optional parameter overrides) against every observed series.

    ``data_dir`` replaces the packaged observed data (same file names).
    """
    runner = HistoryRunner(mdl_path, series, engine, final_year=CALIBRATION_YEARS[1],
                           data_dir=data_dir)
    check_windows(fit_window, holdout, runner.initial_year(), CALIBRATION_YEARS[1])
    sims = runner.run({k: np.array([v]) for k, v in (params or {}).items()})
    cal = Calibration(parameters=dict(params or {}), fit_window=fit_window, holdout_window=holdout,
                      fitted_series=tuple(s.spec.name for s in runner.series if s.spec.fit),
                      notes=list(runner.notes))
    _evaluate_windows(cal, runner, sims)
    return cal


def _targets(runner: HistoryRunner, fit_series: Sequence[str] | None,
             fit_window: tuple[int, int]) -> dict[str, pd.Series]:
    """Observed values in the fit window of each series in the objective."""
    known = {s.spec.name for s in runner.series}
    if fit_series is not None:
        unknown = [n for n in fit_series if n not in known]
        if unknown:
            raise _bad(f"unknown series {', '.join(unknown)}; the model has {', '.join(sorted(known))}",
                       "--fit-series")
        chosen = tuple(fit_series)
    else:
        chosen = tuple(s.spec.name for s in runner.series if s.spec.fit)
    targets = {}
    for s in runner.series:
        o = s.observed.loc[fit_window[0] : fit_window[1]]
        if s.spec.name in chosen and o.size:
            targets[s.spec.name] = o
    if not targets:
        raise _bad(f"{fit_window[0]} {fit_window[1]}: no fitted series has data in it", "--fit-window")
    return targets


def fit(mdl_path: Path | str, max_evaluations: int = 80, *, fit_window: tuple[int, int] = CALIBRATION_YEARS,
        holdout: tuple[int, int] | None = None, fit_series: Sequence[str] | None = None,
        engine: str = "batch", series: Sequence[SeriesSpec] | None = None,
        prior_weight: float = 1.0, data_dir: Path | None = None) -> Calibration:
    """Fit the model's scalar ``[calibrated]`` parameters within their ranges by least squares.

    Data residuals are relative errors of every observed year of the fit window of every fitted
    series over ``OBSERVATION_ERROR``, each series weighted to the mean number of years (equal weight
    per series). With ``prior_weight`` > 0 the fit is penalised (maximum a posteriori): each range
    is read as a 95 % prior interval, normal with its centre mid-range and standard deviation a
    quarter of the range, so a parameter the window cannot identify stays near the centre instead of
    running to a bound; 0 gives plain least squares. ``max_evaluations`` bounds the residual
    evaluations (each Jacobian is one more batch call of n+1 members).
    """
    from scipy.optimize import least_squares

    runner = HistoryRunner(mdl_path, series, engine, final_year=CALIBRATION_YEARS[1],
                           data_dir=data_dir)
    check_windows(fit_window, holdout, runner.initial_year(), CALIBRATION_YEARS[1])
    rows, notes = calibrated_parameters(mdl_path)
    if not rows:
        raise ModelError(f"{mdl_path}: no scalar [calibrated] parameter to fit")
    targets = _targets(runner, fit_series, fit_window)
    names = [p.name for p in rows]
    lo = np.array([p.low for p in rows])
    hi = np.array([p.high for p in rows])
    x0 = np.clip((np.array([p.value for p in rows]) - lo) / (hi - lo), 0, 1)

    if prior_weight < 0:
        raise _bad(f"{prior_weight}: must be >= 0", "--prior-weight")
    mean_years = float(np.mean([len(o) for o in targets.values()]))

    def residual_matrix(xs: np.ndarray) -> np.ndarray:
        """Residuals of each member (rows of xs, normalised parameters): shape (members, m)."""
        vals = lo + np.clip(xs, 0, 1) * (hi - lo)
        sims = runner.run({n: vals[:, i] for i, n in enumerate(names)})
        parts = []
        for name, obs in targets.items():
            s = sims[name].loc[obs.index].to_numpy()  # (years, members)
            w = np.sqrt(mean_years / len(obs)) / OBSERVATION_ERROR
            parts.append(((s - obs.to_numpy()[:, None]) / obs.to_numpy()[:, None] * w).T)
        if prior_weight > 0:
            parts.append(np.sqrt(prior_weight) * (np.clip(xs, 0, 1) - 0.5) / 0.25)
        return np.concatenate(parts, axis=1)

    def steps(x: np.ndarray) -> np.ndarray:
        return np.where(x + JACOBIAN_STEP <= 1, JACOBIAN_STEP, -JACOBIAN_STEP)

    def fun(x: np.ndarray) -> np.ndarray:
        return residual_matrix(x[None, :])[0]

    def jac(x: np.ndarray) -> np.ndarray:
        h = steps(x)
        xs = np.vstack([x, x + np.diag(h)])
        r = residual_matrix(xs)
        return ((r[1:] - r[0]) / h[:, None]).T

    res = least_squares(fun, x0, jac=jac, bounds=(0, 1), max_nfev=max_evaluations, x_scale=1.0)
    best = lo + res.x * (hi - lo)
    # Identifiability: covariance of the normalised estimates from the Jacobian at the optimum.
    J = jac(res.x)
    m, n = J.shape
    s2 = float(res.fun @ res.fun) / max(m - n, 1)
    stderr: list[float | None] = [None] * n
    corr = None
    jtj = J.T @ J
    if np.linalg.matrix_rank(jtj) == n:
        cov = np.linalg.inv(jtj) * s2
        sd = np.sqrt(np.clip(np.diag(cov), 0, None))
        stderr = [float(v * (hi[i] - lo[i])) for i, v in enumerate(sd)]
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = pd.DataFrame(cov / np.outer(sd, sd), index=names, columns=names)
    else:
        notes.append("the Jacobian is rank-deficient: some parameters do not affect the fitted series")
    params = {k: float(f"{v:.4g}") for k, v in zip(names, best, strict=True)}
    cal = evaluate(mdl_path, params, fit_window=fit_window, holdout=holdout, engine=engine, series=series,
                   data_dir=data_dir)
    cal.fitted_series = tuple(targets)
    cal.n_observations = int(sum(len(o) for o in targets.values()))
    cal.estimates = [ParameterEstimate(p.name, params[p.name], p.low, p.high, p.value, stderr[i])
                     for i, p in enumerate(rows)]
    cal.correlation = corr
    cal.notes = list(runner.notes) + notes
    return cal


def simulate_history(mdl_path: Path | str, params: dict[str, float] | None = None,
                     years: tuple[int, int] = CALIBRATION_YEARS) -> dict[str, pd.Series]:
    """The model's history of every observed series (batch engine), index: year."""
    runner = HistoryRunner(mdl_path, final_year=years[1])
    sims = runner.run({k: np.array([v]) for k, v in (params or {}).items()})
    return {k: v[0].loc[years[0] : years[1]] for k, v in sims.items()}


# --------------------------------------------------------------------------------------- projections

PROJECTIONS_FILE = "projection_checks.csv"


@dataclass(frozen=True)
class ProjectionCheck:
    """A model projection against a published range (e.g. the KEV's 2030 national GHG)."""

    name: str
    variable: str
    year: int
    low: float
    high: float
    source: str
    model: float
    tolerance: float | None = None  # model units; None = no tolerance defended
    tolerance_basis: str = ""

    @property
    def distance(self) -> float:
        """0 inside the range; otherwise model minus the nearer end (model units)."""
        if self.model > self.high:
            return self.model - self.high
        if self.model < self.low:
            return self.model - self.low
        return 0.0

    @property
    def within_tolerance(self) -> bool | None:
        return None if self.tolerance is None else abs(self.distance) <= self.tolerance

    def row(self) -> dict[str, object]:
        ok = self.within_tolerance
        return {"check": self.name, "variable": self.variable, "year": self.year, "model": self.model,
                "low": self.low, "high": self.high, "distance": self.distance,
                "tolerance": self.tolerance if self.tolerance is not None else float("nan"),
                "tolerance_basis": self.tolerance_basis,
                "within_tolerance": "" if ok is None else ("yes" if ok else "no"), "source": self.source}


def projection_ranges(path: Path | str | None = None) -> list[dict[str, str]]:
    """Rows of the packaged ``projection_checks.csv`` (name, variable, year, low, high, source)."""
    p = Path(path) if path else _data_dir() / PROJECTIONS_FILE
    with open(p, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for line, r in enumerate(rows, start=2):
        try:
            int(r["year"]), float(r["low"]), float(r["high"])
        except (KeyError, ValueError, TypeError) as exc:
            raise _bad(f"bad projection row ({exc!r}); need name, variable, year, low, high, source",
                       file=p, line=line) from exc
    return rows


def projection_checks(mdl_path: Path | str, params: Mapping[str, float] | None = None, *,
                      scenario: Path | str | None = None, tolerance: float | None = None,
                      tolerance_basis: str = "", engine: str = "batch") -> list[ProjectionCheck]:
    """Run the model (a scenario file's inputs, or its own defaults) and compare with each range.

    ``params`` override the scenario (e.g. freshly fitted values); variables the model lacks are
    skipped.
    """
    from sdmission.model.catalogue import load_catalogue
    from sdmission.model.engines.factory import load_engine

    rows = projection_ranges()
    inputs: dict[str, xr.DataArray] = {}
    if scenario is not None:
        from sdmission.scenario.check import scenario_inputs
        from sdmission.scenario.load import load_scenario

        inputs = scenario_inputs(load_scenario(scenario), load_catalogue(mdl_path))
    inputs.update({k: xr.DataArray(float(v)) for k, v in (params or {}).items()})
    eng = load_engine(mdl_path, engine)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        names = [r["variable"] for r in rows]
        have = set(eng.run({}, final_time=load_catalogue(mdl_path).time_grid(2016)[0] + 1).data_vars)
        wanted = [n for n in names if n in have]
        if not wanted:
            return []
        ds = eng.run(inputs, return_vars=wanted, final_time=max(int(r["year"]) for r in rows)).isel(member=0)
    out = []
    for r in rows:
        if r["variable"] not in have:
            continue
        value = float(ds[r["variable"]].sel(time=float(r["year"])).sum())
        out.append(ProjectionCheck(r["name"], r["variable"], int(r["year"]), float(r["low"]), float(r["high"]),
                                   r["source"], value, tolerance, tolerance_basis))
    return out


def holdout_rmse(cal: Calibration, name: str) -> float | None:
    """Root mean squared error (model units) of a series over the holdout window, or None."""
    if cal.holdout_window is None or name not in cal.observed:
        return None
    obs = cal.observed[name].loc[cal.holdout_window[0] : cal.holdout_window[1]]
    if obs.size < 2:
        return None
    return float(np.sqrt(np.mean((cal.simulated[name].loc[obs.index].to_numpy() - obs.to_numpy()) ** 2)))
