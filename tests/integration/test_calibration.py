"""Calibration (issue #12 item 3): fit statistics, fit and holdout windows, bounds, the command.

Runs the batch engine (a fit is a few dozen batch calls, seconds).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sdmission.analysis.calibrate import (
    CALIBRATION_YEARS,
    HistoryRunner,
    SeriesSpec,
    calibrated_parameters,
    evaluate,
    fit,
    fit_statistics,
    naive_statistics,
    series_specs,
)
from sdmission.cli import main
from sdmission.errors import InputError
from tests.conftest import PROJECT_MODEL

HOLDOUT_TARGET = 0.05  # issue #12: holdout industry MAPE <= 5 %


def test_fit_statistics_known_case() -> None:
    actual = np.array([10.0, 12.0, 11.0, 13.0])
    f = fit_statistics(actual + 1.0, actual)  # pure bias
    assert f.mape == pytest.approx(np.mean(1.0 / actual))
    assert (f.um, f.us, f.uc) == pytest.approx((1.0, 0.0, 0.0))
    g = fit_statistics(np.array([10.5, 11.0, 12.5, 12.0]), actual)
    assert g.um + g.us + g.uc == pytest.approx(1.0)
    assert fit_statistics(actual, actual).theil_u == 0.0


def test_naive_forecast_holds_the_last_value_before_the_window() -> None:
    obs = pd.Series([1.0, 2.0, 4.0, 5.0], index=[2018, 2019, 2020, 2021])
    f = naive_statistics(obs, (2020, 2021))
    assert f is not None and f.mape == pytest.approx(np.mean([2 / 4, 3 / 5]))
    assert naive_statistics(obs, (2018, 2019)) is None  # nothing observed before the window


def test_project_model_reproduces_history() -> None:
    cal = evaluate(PROJECT_MODEL)
    assert list(cal.observed["industry_ghg"].index) == list(range(2015, 2024))
    assert cal.fits["industry_ghg"].mape <= 0.05
    assert cal.fits["circular_share"].mape <= 0.05
    assert cal.fits["industry_ghg"].theil_u < 0.05


def test_every_registered_series_resolves_on_the_model() -> None:
    """Series are matched to the model by name; industry GHG and each CRF sector the model has must be."""
    runner = HistoryRunner(PROJECT_MODEL)
    names = {s.spec.name for s in runner.series}
    assert "industry_ghg" in names
    assert {"crf_iron_steel", "crf_refining", "crf_chemicals", "crf_minerals"} <= names
    assert len(names) + len(runner.notes) == len(series_specs())  # each one found or explained
    crf = next(s for s in runner.series if s.spec.name == "crf_iron_steel")
    assert crf.observed.index.max() == 2019  # the CRF files end in 2019


def test_a_missing_variable_is_left_out_with_a_note() -> None:
    ghost = SeriesSpec("ghost", ("no_such_variable",), (), ("nl_ghg_industry_klimaatsector_mt.csv",), 1.0, True)
    runner = HistoryRunner(PROJECT_MODEL, [*series_specs()[:1], ghost])
    assert [s.spec.name for s in runner.series] == ["industry_ghg"]
    assert any("ghost" in n and "no_such_variable" in n for n in runner.notes)


def test_shipped_calibrated_values_are_inside_their_ranges_not_at_a_bound() -> None:
    rows, _ = calibrated_parameters(PROJECT_MODEL)
    assert rows
    for p in rows:
        span = p.high - p.low
        assert p.low + 0.01 * span < p.value < p.high - 0.01 * span, f"{p.name} = {p.value} at a bound"


@pytest.fixture(scope="module")
def holdout_fit():
    return fit(PROJECT_MODEL, 40, fit_window=(2015, 2019), holdout=(2020, 2023))


def test_holdout_fit_reports_both_windows(holdout_fit) -> None:
    cal = holdout_fit
    assert cal.fits["industry_ghg"].n == 5 and cal.holdout["industry_ghg"].n == 4
    assert "crf_refining" in cal.fits and "crf_refining" not in cal.holdout  # CRF ends in 2019
    rows, _ = calibrated_parameters(PROJECT_MODEL)
    assert [e.name for e in cal.estimates] == [p.name for p in rows]
    for e in cal.estimates:
        assert e.low <= e.value <= e.high
    # Observations in the objective: only the fit window of the fitted series.
    assert cal.n_observations == sum(cal.fits[n].n for n in cal.fitted_series)
    assert set(cal.fitted_series) == {s.name for s in series_specs() if s.fit}
    assert {"industry_ghg"} <= {r["series"] for r in cal.rows() if r["window"] == "holdout"}


def test_the_fit_never_sees_the_holdout_years(tmp_path: Path) -> None:
    """Changing the observed 2020-2023 values changes the holdout statistics, not the fitted parameters."""
    data = tmp_path / "observed"
    shutil.copytree(Path(__file__).resolve().parents[2] / "sdmission" / "data" / "observed", data)
    f = data / "nl_ghg_industry_klimaatsector_mt.csv"
    df = pd.read_csv(f)
    df.loc[df["year"] >= 2020, "value"] *= 1.2
    df.to_csv(f, index=False)
    a = fit(PROJECT_MODEL, 15, fit_window=(2015, 2019), holdout=(2020, 2023))
    b = fit(PROJECT_MODEL, 15, fit_window=(2015, 2019), holdout=(2020, 2023), data_dir=data)
    assert a.parameters == b.parameters
    assert a.holdout["industry_ghg"].mape != pytest.approx(b.holdout["industry_ghg"].mape)


@pytest.mark.xfail(strict=True, reason="issue #12 target not met: fitted on 2015-2019 the cost response is "
                   "unidentified and overshoots the 2022-2023 gas crisis (models/README.md, Calibration)")
def test_holdout_industry_mape_meets_the_target(holdout_fit) -> None:
    assert holdout_fit.holdout["industry_ghg"].mape <= HOLDOUT_TARGET
    assert not [e.name for e in holdout_fit.estimates if e.at_bound]


@pytest.mark.parametrize(("argv", "key"), [
    (["--fit-window", "2019", "2015"], "--fit-window"),
    (["--fit-window", "2010", "2019"], "--fit-window"),
    (["--fit-window", "2015", "2015"], "--fit-window"),
    (["--fit-window", "2015", "2019", "--holdout", "2019", "2023"], "--holdout"),
    (["--fit-window", "2015", "2019", "--holdout", "2020", "2030"], "--holdout"),
    (["--holdout", "2020", "2023"], "--holdout"),
    (["--fit-window", "2015", "2019", "--fit-series", "nonsense"], "--fit-series"),
])
def test_bad_windows_are_clear_errors(argv: list[str], key: str, tmp_path: Path, capsys) -> None:
    assert main(["calibrate", str(PROJECT_MODEL), *argv, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert key in err and "error" in err


def test_check_windows_message_names_the_years() -> None:
    from sdmission.analysis.calibrate import check_windows

    with pytest.raises(InputError, match="2015-2023"):
        check_windows((2012, 2019), None, *CALIBRATION_YEARS)


def test_command_writes_the_tables(tmp_path: Path, capsys) -> None:
    rc = main(["calibrate", str(PROJECT_MODEL), "--fit-window", "2015", "2019", "--holdout", "2020", "2023",
               "--max-evaluations", "10", "--out", str(tmp_path)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "holdout" in text and "U^M" in text and "parameters against" in text
    table = pd.read_csv(tmp_path / "calibration.csv")
    row = table[(table.series == "industry_ghg") & (table.window == "holdout")].iloc[0]
    assert row["years"] == "2020-2023" and 0 <= row["um"] <= 1
    assert row["um"] + row["us"] + row["uc"] == pytest.approx(1.0, abs=1e-4)
    params = pd.read_csv(tmp_path / "parameters.csv")
    assert set(params.columns) >= {"parameter", "value", "low", "high", "at_bound", "stderr"}
    proj = pd.read_csv(tmp_path / "projections.csv")
    assert "kev2024_national_2030" in set(proj["check"])
