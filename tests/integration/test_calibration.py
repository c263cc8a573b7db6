"""The project model's historical fit meets the bar of issue #2 (MAPE <= 5 %), and the statistics are right."""

from __future__ import annotations

import numpy as np
import pytest

from sdmission.analysis.calibrate import evaluate, fit_statistics
from tests.conftest import PROJECT_MODEL


def test_fit_statistics_known_case() -> None:
    actual = np.array([10.0, 12.0, 11.0, 13.0])
    f = fit_statistics(actual + 1.0, actual)  # pure bias
    assert f.mape == pytest.approx(np.mean(1.0 / actual))
    assert (f.um, f.us, f.uc) == pytest.approx((1.0, 0.0, 0.0))
    g = fit_statistics(np.array([10.5, 11.0, 12.5, 12.0]), actual)
    assert g.um + g.us + g.uc == pytest.approx(1.0)
    assert fit_statistics(actual, actual).theil_u == 0.0


def test_project_model_reproduces_history() -> None:
    cal = evaluate(PROJECT_MODEL)
    assert list(cal.observed["industry_ghg"].index) == list(range(2015, 2024))
    assert cal.fits["industry_ghg"].mape <= 0.05
    assert cal.fits["circular_share"].mape <= 0.05
    assert cal.fits["industry_ghg"].theil_u < 0.05
