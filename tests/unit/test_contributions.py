"""Instrument contributions (issue #14 item 3): Shapley and leave-one-out decompositions."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sdmission.analysis import contributions as C
from sdmission.constants import MEMBER, TIME
from sdmission.errors import InputError

T = np.arange(2015.0, 2021.0)


class Toy:
    """A small model: industry_ghg = 50 - sum_i a_i x_i (+ b x_0 x_1), in one call for all members."""

    name = "toy"

    def __init__(self, a: Sequence[float], b: float = 0.0) -> None:
        self.a, self.b, self.calls = np.asarray(a), b, 0

    def run(self, inputs: Mapping[str, xr.DataArray], *, return_vars: Sequence[str] | None = None,
            final_time: float | None = None) -> xr.Dataset:
        self.calls += 1
        grid = xr.DataArray(np.zeros(T.size), dims=TIME, coords={TIME: T})
        xs = list(xr.broadcast(grid, *[inputs[f"x{i}"] for i in range(len(self.a))]))[1:]
        xs = [x if MEMBER in x.dims else x.expand_dims({MEMBER: 1}) for x in xs]
        n = max(x.sizes[MEMBER] for x in xs)
        xs = [x.isel({MEMBER: [0] * n}) if x.sizes[MEMBER] == 1 else x for x in xs]
        ghg = 50 - sum(a * x for a, x in zip(self.a, xs, strict=True)) - self.b * xs[0] * xs[1]
        ghg = ghg.transpose(MEMBER, TIME)
        return xr.Dataset({"industry_ghg": ghg, "circular_share": 0.01 * xs[0] + 0 * ghg,
                           "public_cost_total": 10 * xs[1] + 0 * ghg})


def _const(v: float) -> xr.DataArray:
    return xr.DataArray(v)


def _ramp(v: float) -> xr.DataArray:
    return xr.DataArray(np.where(T >= 2018, v, 0.0), dims=TIME, coords={TIME: T})


def test_additive_effects_are_recovered_exactly() -> None:
    toy = Toy([1.0, 2.0, 3.0])
    ref = {"x0": _const(0.0), "x1": _const(0.0), "x2": _const(1.0), "other": _const(7.0)}
    scn = {"x0": _const(2.0), "x1": _ramp(1.0), "x2": _const(1.0), "other": _const(7.0)}
    for method in C.METHODS:
        dec = C.contributions(toy, scn, ref, method=method)  # type: ignore[arg-type]
        assert list(dec.instruments) == ["x0", "x1"]  # x2 and 'other' do not differ
        assert dec.members == 4 and toy.calls == (1 if method == "shapley" else 2)
        c = dec.ds["industry_ghg_contribution"]
        np.testing.assert_allclose(c.sel(instrument="x0"), -2.0 * np.ones(T.size))
        np.testing.assert_allclose(c.sel(instrument="x1"), -2.0 * (T >= 2018))
        np.testing.assert_allclose(dec.ds["industry_ghg_interaction"], 0.0, atol=1e-12)
    rows = C.summary(dec, start=2015, years=(2016, 2020))
    assert rows["x0"]["ghg_reduction_2050"] == pytest.approx(2.0)
    assert rows["x1"]["ghg_reduction_cumulative"] == pytest.approx(2.0 * 3)
    assert rows["x1"]["cost_effectiveness"] == pytest.approx(10 * 3 / 6)
    assert rows["x0"]["cost_effectiveness"] == pytest.approx(0.0)


def test_an_interaction_is_shared_equally_by_shapley() -> None:
    toy = Toy([0.0, 0.0], b=4.0)  # ghg = 50 - 4 x0 x1: neither alone does anything
    ref = {"x0": _const(0.0), "x1": _const(0.0)}
    scn = {"x0": _const(1.0), "x1": _const(1.0)}
    dec = C.contributions(toy, scn, ref)
    c = dec.ds["industry_ghg_contribution"].isel(time=0)
    np.testing.assert_allclose(c.values, [-2.0, -2.0])
    np.testing.assert_allclose(dec.ds["industry_ghg_solo"].isel(time=0).values, [0.0, 0.0])
    assert float(dec.ds["industry_ghg_interaction"].isel(time=0)) == pytest.approx(-4.0)
    loo = C.contributions(toy, scn, ref, method="loo")
    np.testing.assert_allclose(loo.ds["industry_ghg_contribution"].isel(time=0).values, [-4, -4])
    assert float(loo.ds["industry_ghg_interaction"].isel(time=0)) == pytest.approx(4.0)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_shapley_weights_and_masks(k: int) -> None:
    assert C.shapley_weights(k).dot([math.comb(k - 1, s) for s in range(k)]) == pytest.approx(1)
    masks = C.subset_masks(k, "shapley")
    assert masks.shape == (2**k, k) and not masks[0].any() and masks[-1].all()
    assert len({tuple(m) for m in masks}) == 2**k
    loo = C.subset_masks(k, "loo")
    assert loo.shape == (k + 2, k) and (loo[2:].sum(axis=1) == k - 1).all()


def test_random_outcomes_add_up() -> None:
    rng = np.random.default_rng(3)
    k = 4
    masks = C.subset_masks(k, "shapley")
    f = rng.normal(size=(2**k, 7))
    phi, solo, inter = C.decompose(f, masks, "shapley")
    assert solo is not None
    np.testing.assert_allclose(phi.sum(axis=0), f[-1] - f[0], rtol=1e-12)
    np.testing.assert_allclose(solo.sum(axis=0) + inter, f[-1] - f[0], rtol=1e-12)


def test_nothing_to_decompose_and_too_many_instruments() -> None:
    toy = Toy([1.0])
    same = {"x0": _const(1.0)}
    with pytest.raises(InputError, match="nothing to decompose"):
        C.contributions(toy, same, same)
    many_ref = {f"x{i}": _const(0.0) for i in range(13)}
    many = {f"x{i}": _const(1.0) for i in range(13)}
    with pytest.raises(InputError, match="use --method loo"):
        C.contributions(Toy([1.0] * 13), many, many_ref)


ROOT = Path(__file__).resolve().parents[2]


def test_mission_mix_contributions_add_up_to_scenario_minus_baseline(tmp_path: Path) -> None:
    from sdmission.cli import main
    from sdmission.settings import discover
    from sdmission.study.case import prepare
    from sdmission.study.results import read_netcdf
    from sdmission.study.run import simulate_case

    out = tmp_path / "c"
    assert main(["contributions", "mission-mix", "--out", str(out), "--scenarios-dir",
                 str(ROOT / "scenarios")]) == 0
    ds = read_netcdf(out / "contributions.nc")
    assert (out / "wedge.png").stat().st_size > 10_000 and (out / "contributions.csv").is_file()
    assert ds.attrs["method"] == "shapley" and int(ds.attrs["members"]) == 2 ** ds.sizes["instrument"]
    mix, base = prepare(["mission-mix", "baseline"], engine="batch", settings=discover(ROOT))
    runs = {c.name: simulate_case(c, return_vars=list(C.OUTCOMES)) for c in (mix, base)}
    for var in C.OUTCOMES:
        total = (runs["mission-mix"][var] - runs["baseline"][var]).values
        np.testing.assert_allclose(ds[f"{var}_total"].values, total, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(ds[f"{var}_contribution"].sum("instrument").values, total,
                                   rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose((ds[f"{var}_solo"].sum("instrument")
                                    + ds[f"{var}_interaction"]).values, total, rtol=1e-9, atol=1e-9)
        # history is shared: nothing is contributed before 2025
        assert np.abs(ds[f"{var}_contribution"].sel(time=slice(None, 2024))).max() < 1e-9
    loo = tmp_path / "loo"
    assert main(["contributions", "mission-mix", "--method", "loo", "--out", str(loo),
                 "--scenarios-dir", str(ROOT / "scenarios")]) == 0
    ds2 = read_netcdf(loo / "contributions.nc")
    for var in C.OUTCOMES:
        np.testing.assert_allclose(
            (ds2[f"{var}_contribution"].sum("instrument") + ds2[f"{var}_interaction"]).values,
            ds[f"{var}_total"].values, rtol=1e-9, atol=1e-9)


def test_dutch_wedge_figure_ends_in_nl_beside_the_english_one(tmp_path: Path) -> None:
    from sdmission.cli import main

    out = tmp_path / "c"
    for lang in ("en", "nl"):
        assert main(["contributions", "mission-mix", "--method", "loo", "--lang", lang, "--out", str(out),
                     "--scenarios-dir", str(ROOT / "scenarios")]) == 0
    assert sorted(p.name for p in out.glob("wedge*")) == ["wedge.png", "wedge_nl.png"]
