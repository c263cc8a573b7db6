"""PRIM (scenario discovery) and Sobol' indices on data with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from sdmission.analysis.discovery import describe, prim
from sdmission.analysis.sensitivity import Metric, design, sobol_indices
from sdmission.analysis.uncertainty import ParameterTable, Uncertainty, UncertaintySpace
from sdmission.errors import InputError
from sdmission.report.uncertainty import prim_plot, sobol_bars


def _box_data(n: int = 2000, noise: float = 0.02, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 4)) * [1, 10, 1, 100]
    y = ((x[:, 0] < 0.3) & (x[:, 2] > 0.6)) | (rng.random(n) < noise)
    return x, y


def test_prim_recovers_a_known_box():
    x, y = _box_data()
    res = prim(x, y, ["a", "b", "c", "d"])
    assert set(res.box.restricted) == {"a", "c"}
    assert res.box.limits["a"][1] == pytest.approx(0.3, abs=0.03)
    assert res.box.limits["c"][0] == pytest.approx(0.6, abs=0.03)
    assert res.box.density > 0.9 and res.box.coverage > 0.7
    inside = (x[:, 0] <= res.box.limits["a"][1]) & (x[:, 2] >= res.box.limits["c"][0])
    assert res.box.mass == pytest.approx(inside.mean())
    assert res.box.density == pytest.approx(y[inside].mean())
    # the trajectory starts with the whole space and only ever shrinks
    masses = [b.mass for b in res.trajectory]
    assert masses[0] == 1.0 and all(m2 < m1 for m1, m2 in zip(masses, masses[1:], strict=False))
    text = describe(res, scenario="s")
    assert text.startswith("In scenario 's' the outcome fails in ")
    assert "a is below 0.29" in text and "c is above 0.6" in text
    assert prim_plot(res).axes


def test_prim_handles_discrete_uncertainties():
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.integers(0, 3, 600).astype(float), rng.random(600)])
    y = x[:, 0] == 0
    res = prim(x, y, ["k", "u"])
    assert res.box.restricted == ("k",) and res.box.limits["k"] == (0.0, 0.0)
    assert res.box.density == 1.0 and res.box.coverage == 1.0


def test_prim_refuses_nothing_to_discover():
    x, _ = _box_data(100)
    with pytest.raises(InputError, match="no case of interest"):
        prim(x, np.zeros(100, bool), ["a", "b", "c", "d"])
    with pytest.raises(InputError, match=r"alpha must lie in \(0, 0.5\) \(given 0.7\)"):
        prim(x, np.ones(100, bool), ["a", "b", "c", "d"], alpha=0.7)


def _space(d: int) -> UncertaintySpace:
    us = tuple(Uncertainty(f"x{i}", "", "uniform", 0.0, 1.0, 0.5, "") for i in range(d))
    return UncertaintySpace(us, ParameterTable(rows=(), source="test"))


def test_sobol_indices_of_an_additive_function():
    space = _space(3)
    ds = design(space, 256, seed=1)
    assert ds.sizes["member"] == 256 * (3 + 2)
    x = ds["value"].values
    y = np.column_stack([4 * x[:, 0] + 1 * x[:, 1], x[:, 2] * 0 + 1.0])  # 2nd: constant
    idx = sobol_indices(space, y, [Metric("m", "v", 2030, "M"), Metric("c", "v", 2030, "C")])
    st = idx["ST"].sel(metric="m").values
    # analytic: variances 16/12 and 1/12 -> S = 16/17, 1/17, 0
    np.testing.assert_allclose(st, [16 / 17, 1 / 17, 0.0], atol=0.05)
    np.testing.assert_allclose(idx["S1"].sel(metric="m").values, [16 / 17, 1 / 17, 0.0], atol=0.1)
    assert (idx["ST_conf"].sel(metric="m").values >= 0).all()
    assert np.isnan(idx["ST"].sel(metric="c").values).all()
    assert sobol_bars(idx).axes


def test_design_needs_a_power_of_two():
    with pytest.raises(InputError, match="power of two >= 2 \\(given 100"):
        design(_space(3), 100)
