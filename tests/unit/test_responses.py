"""Policy-response table maths (issue #12 item 4) on small fakes: verdicts, signs, ratios, the
estimates reader's errors, member stacking and one run through a fake engine."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sdmission.analysis import responses as R
from sdmission.errors import InputError

NAN = math.nan
HEADER = ",".join(R.COLUMNS)


def est(low: float = NAN, central: float = NAN, high: float = NAN, tol: float = NAN,
        sign: int | None = 1, experiment: str = "levy_neutralised", metric: str = "ghg_effect",
        year: float = 2030) -> R.Estimate:
    return R.Estimate("x", "levy", experiment, metric, year, "Mt", low, central, high, tol, sign,
                      "src", "citation", "notes", "reason", 2)


def test_verdict_uses_the_published_range_else_central_with_tolerance() -> None:
    e = est(1.0, 1.5, 2.0)
    assert R.bounds(e) == (1.0, 2.0)
    assert R.verdict(e, 1.0) == "within" and R.verdict(e, 2.0) == "within"
    assert R.verdict(e, 0.36) == "outside" and R.verdict(e, 2.01) == "outside"
    t = est(central=224.0, tol=2.0)
    assert R.bounds(t) == (112.0, 448.0)
    assert R.verdict(t, 407.0) == "within" and R.verdict(t, 100.0) == "outside"
    assert R.verdict(est(), 3.0) == "no estimate"
    assert R.verdict(e, NAN) == "not computed"


def test_ratio_is_against_the_central_or_the_middle_of_the_range() -> None:
    assert R.row_of(est(1.0, 1.5, 2.0), 0.36)["ratio"] == pytest.approx(0.24)
    assert R.row_of(est(0.0, NAN, 4.0), 0.2)["ratio"] == pytest.approx(0.1)
    assert math.isnan(float(R.row_of(est(), 0.2)["ratio"]))  # type: ignore[arg-type]


def test_sign_check() -> None:
    assert R.sign_ok(est(sign=1), 0.3) is True
    assert R.sign_ok(est(sign=-1), 0.08) is False
    assert R.sign_ok(est(sign=None), 0.3) is None
    assert R.sign_ok(est(0.0, NAN, 4.0, sign=1), 0.0) is True   # zero is published as possible
    assert R.sign_ok(est(1.0, NAN, 2.0, sign=1), 0.0) is False
    assert R.row_of(est(sign=-1), 0.08)["sign"] == "wrong sign"


def _write(tmp_path: Path, *rows: str) -> Path:
    p = tmp_path / "estimates.csv"
    p.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return p


GOOD = "a,levy,levy_neutralised,ghg_effect,2030,Mt,1,1.5,2,,1,PBL,full citation,notes,reason"


def test_reader_accepts_the_shipped_file_and_a_good_row(tmp_path: Path) -> None:
    shipped = R.read_estimates()
    assert len(shipped) >= 10 and len({e.id for e in shipped}) == len(shipped)
    (e,) = R.read_estimates(_write(tmp_path, GOOD))
    assert (e.low, e.central, e.high, e.expected_sign, e.line) == (1.0, 1.5, 2.0, 1, 2)


def test_reader_reports_every_problem_with_line_and_key(tmp_path: Path) -> None:
    bad = _write(tmp_path, GOOD,
                 "a,levy,levy_neutralized,ghg_efect,20x0,Mt,3,,2,0.5,2,,,notes,reason",
                 "b,levy,baseline,levy_revenue,2030,Mt,1,,,,,PBL,cit,n,r")
    with pytest.raises(InputError) as info:
        R.read_estimates(bad)
    text = str(info.value)
    for piece in (":3: id: id 'a' is empty or repeated", ":3: experiment: unknown experiment "
                  "'levy_neutralized'", ":3: metric: unknown metric 'ghg_efect'",
                  ":3: year: '20x0' is not a number", ":3: published_low: published_low 3 > "
                  "published_high 2", ":3: tolerance_factor: tolerance_factor 0.5 must be > 1",
                  ":3: expected_sign: expected_sign '2' must be 1, -1 or empty",
                  ":3: citation: source_short and citation are required",
                  ":4: published_low: give both published_low and published_high, or neither"):
        assert piece in text, piece
    assert str(bad) in text


def test_reader_rejects_wrong_columns(tmp_path: Path) -> None:
    p = tmp_path / "e.csv"
    p.write_text("id,instrument\na,b\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"e.csv:1: columns must be .*missing: experiment"):
        R.read_estimates(p)


T = np.arange(2015.0, 2050.25, 0.25)


def _path(v: float | np.ndarray) -> xr.DataArray:
    return xr.DataArray(np.broadcast_to(v, T.shape).astype(float), dims=("time",), coords={"time": T})


def test_stack_members_fills_from_defaults_and_broadcasts() -> None:
    a = {"x": _path(1.0)}
    b = {"x": _path(2.0), "y": xr.DataArray(3.0)}
    out = R.stack_members([a, b], {"y": xr.DataArray(9.0)})
    assert out["x"].dims[0] == "member" and out["x"].shape == (2, T.size)
    assert out["y"].values.tolist() == [9.0, 3.0]
    with pytest.raises(InputError, match="'y' is set by one experiment only"):
        R.stack_members([a, b], {})


class FakeEngine:
    """industry_ghg = 50 - 0.01 * levy tariff - 0.002 * sde budget (Mt/yr): linear on purpose."""

    def run(self, inputs: dict[str, xr.DataArray], *, return_vars: list[str],
            final_time: float | None = None) -> xr.Dataset:
        tariff, sde = xr.broadcast(inputs["co2_levy_tariff"], inputs["sde_budget"])
        ghg = 50.0 - 0.01 * tariff - 0.002 * sde
        ds = xr.Dataset({"industry_ghg": ghg, "levy_revenue": 2.0 * tariff,
                         "sde_coverage": xr.ones_like(sde), "sde_requested_commitment": sde})
        return ds[[v for v in return_vars]]


def test_run_responses_on_a_fake_engine() -> None:
    tariff = _path(np.where(T >= 2021, 100.0, 0.0))
    base = {"co2_levy_tariff": tariff, "sde_budget": _path(1000.0)}
    estimates = [est(0.5, 1.0, 1.5),                                       # levy off: +1 Mt
                 est(0.0, NAN, 4.0, experiment="levy_plus20"),             # +20 EUR/t: +0.2 Mt
                 est(central=200.0, tol=2.0, experiment="baseline", metric="levy_revenue"),
                 est(0.38, 0.5, 0.72, experiment="no_sde", metric="ghg_per_sde_commitment")]
    res = R.run_responses(FakeEngine(), base, {}, estimates, grid=T, start=2025.0,
                          available=lambda v: True, defaults=lambda v: None)
    assert res.experiments == ["baseline", "levy_neutralised", "levy_plus20", "no_sde"]
    values = [float(r["model"]) for r in res.rows]  # type: ignore[arg-type]
    assert values[0] == pytest.approx(1.0)            # 0.01 Mt per EUR/t x 100 EUR/t
    assert values[1] == pytest.approx(0.2)
    assert values[2] == pytest.approx(200.0)
    # no SDE from 2025: +2 Mt in 2030 for 6 years x 1000 MEUR = 6 bn committed -> 0.333 Mt per bn
    assert values[3] == pytest.approx(2.0 / 6.0)
    assert [r["verdict"] for r in res.rows] == ["within", "within", "within", "outside"]
    missing = R.run_responses(FakeEngine(), base, {}, estimates[:1], grid=T, start=2025.0,
                              available=lambda v: v != "industry_ghg", defaults=lambda v: None)
    assert missing.rows[0]["verdict"] == "not computed"


def test_markdown_table_in_both_languages() -> None:
    rows = [R.row_of(est(central=224.0, tol=2.0), 407.0), R.row_of(est(), 0.2)]
    en = R.markdown_table(rows, "en")
    assert en.count("\n") == 4 and "(accepted 112–448)" in en and "| within |" in en
    assert "no published estimate found" in en
    nl = R.markdown_table(rows, "nl")
    assert "| binnen |" in nl and "geen gepubliceerde schatting gevonden" in nl
    with pytest.raises(InputError, match="unknown language 'de'"):
        R.markdown_table(rows, "de")


def test_command_reports_a_bad_estimates_file_with_its_line(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from sdmission import cli

    bad = _write(tmp_path, GOOD.replace("ghg_effect", "ghg_efect"))
    assert cli.main(["responses", "--estimates", str(bad), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: metric: unknown metric 'ghg_efect'" in err
    assert not (tmp_path / "out" / "responses.csv").exists()
