"""Calibration of the project model against observed history, with the SD fit statistics.

Fit statistics follow Sterman (1984), 'Appropriate summary statistics for evaluating the historical
fit of system dynamics models', Dynamica 10(2): MAPE, RMSPE, Theil's inequality coefficient U and
the decomposition of the mean squared error into bias (U^M), unequal variation (U^S) and unequal
covariation (U^C) shares, which sum to 1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from sdmission.model import translate
from sdmission.model.parameters import parameter_table

# Observed series the model is calibrated against: model variable -> (file, scale to model units).
OBSERVED: dict[str, tuple[str, float]] = {
    "industry_ghg": ("nl_ghg_industry_klimaatsector_mt.csv", 1.0),  # Mt CO2-eq/yr
    "circular_share": ("nl_circular_material_use_rate_pct.csv", 0.01),  # % -> fraction
}
CALIBRATION_YEARS = (2015, 2023)


def observed_series(variable: str, years: tuple[int, int] = CALIBRATION_YEARS) -> pd.Series:
    """Observed values of a model variable (index: year, model units), from the packaged data."""
    fname, scale = OBSERVED[variable]
    with resources.files("sdmission.data").joinpath("observed").joinpath(fname).open() as fh:
        df = pd.read_csv(fh)
    s = df.set_index("year")["value"].astype(float) * scale
    return s.loc[years[0] : years[1]]


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


@dataclass
class Calibration:
    """Result of a calibration run: fit per variable and the parameter values used."""

    parameters: dict[str, float]
    fits: dict[str, FitStatistics] = field(default_factory=dict)
    simulated: dict[str, pd.Series] = field(default_factory=dict)
    observed: dict[str, pd.Series] = field(default_factory=dict)

    def table(self) -> str:
        """Plain-text table of the fit statistics."""
        head = f"{'variable':<16}{'years':>11}{'MAPE':>8}{'RMSPE':>8}{'R2':>7}{'Theil U':>9}{'U^M':>7}{'U^S':>7}{'U^C':>7}"
        lines = [head, "-" * len(head)]
        for name, f in self.fits.items():
            yrs = self.observed[name].index
            lines.append(
                f"{name:<16}{f'{yrs[0]}-{yrs[-1]}':>11}{f.mape:>8.1%}{f.rmspe:>8.1%}{f.r2:>7.2f}"
                f"{f.theil_u:>9.3f}{f.um:>7.2f}{f.us:>7.2f}{f.uc:>7.2f}"
            )
        return "\n".join(lines)


def simulate_history(
    mdl_path: Path | str, params: dict[str, float] | None = None, years: tuple[int, int] = CALIBRATION_YEARS
) -> dict[str, pd.Series]:
    """Run the model (PySD, its own historical instrument settings) to the last calibration year."""
    model = translate.load(mdl_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = model.run(params=params or {}, final_time=years[1], return_columns=list(OBSERVED))
    out.index = np.round(out.index.astype(float), 6)
    result = {}
    for var in OBSERVED:
        s = out[var].astype(float)
        s = s[np.isclose(s.index % 1, 0)]
        s.index = s.index.astype(int)
        result[var] = s.loc[years[0] : years[1]]
    return result


def evaluate(mdl_path: Path | str, params: dict[str, float] | None = None) -> Calibration:
    """Fit statistics of the model (with optional parameter overrides) against every observed series."""
    sim = simulate_history(mdl_path, params)
    cal = Calibration(parameters=dict(params or {}))
    for var in OBSERVED:
        obs = observed_series(var)
        s = sim[var].reindex(obs.index)
        cal.simulated[var], cal.observed[var] = s, obs
        cal.fits[var] = fit_statistics(s.to_numpy(), obs.to_numpy())
    return cal


def fit(mdl_path: Path | str, max_evaluations: int = 80) -> Calibration:
    """Fit the model's ``[calibrated]`` parameters within their ranges by least squares.

    Residuals are relative errors of every observed year of every series (equal weight per series).
    """
    from scipy.optimize import least_squares

    rows = [p for p in parameter_table(mdl_path) if p.kind == "calibrated" and not p.element]
    names = [p.name for p in rows]
    lo = np.array([p.low for p in rows])
    hi = np.array([p.high for p in rows])
    x0 = (np.array([p.value for p in rows]) - lo) / (hi - lo)
    observed = {var: observed_series(var) for var in OBSERVED}

    def residuals(x: np.ndarray) -> np.ndarray:
        params = dict(zip(names, lo + np.clip(x, 0, 1) * (hi - lo), strict=True))
        sim = simulate_history(mdl_path, params)
        parts = []
        for var, obs in observed.items():
            s = sim[var].reindex(obs.index).to_numpy()
            parts.append((s - obs.to_numpy()) / obs.to_numpy() / np.sqrt(len(obs)))
        return np.concatenate(parts)

    res = least_squares(residuals, x0, bounds=(0, 1), max_nfev=max_evaluations, diff_step=0.02)
    best = dict(zip(names, (lo + res.x * (hi - lo)).round(4), strict=True))
    return evaluate(mdl_path, best)
