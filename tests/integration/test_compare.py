"""``compare`` (issue #14 item 2): targets side by side, headline deltas, xlsx and CSV dialects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sdmission.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    en = tmp_path_factory.mktemp("en")
    nl = tmp_path_factory.mktemp("nl")
    args = ["compare", "baseline", "invest-nl", "mission-mix", "--scenarios-dir",
            str(ROOT / "scenarios")]
    assert main([*args, "--out", str(en)]) == 0
    assert main([*args, "--out", str(nl), "--lang", "nl", "--dialect", "nl"]) == 0
    return en, nl, ""


def test_workbook_has_the_four_sheets(compared: tuple[Path, Path, str]) -> None:
    from openpyxl import load_workbook

    en, _, _ = compared
    wb = load_workbook(en / "comparison.xlsx", read_only=True)
    assert wb.sheetnames == ["headline", "targets", "deltas", "provenance"]
    sheets = pd.read_excel(en / "comparison.xlsx", sheet_name=None, engine="openpyxl")
    head = sheets["headline"]
    assert sorted(set(head.scenario)) == ["baseline", "invest-nl", "mission-mix"]
    assert head.year.dtype.kind == "i" and head.year.min() == 2015
    prov = sheets["provenance"]
    assert {"scenario_chain", "model_sha256", "git_commit"} <= set(prov.key)


def test_deltas_are_scenario_minus_the_first(compared: tuple[Path, Path, str]) -> None:
    en, _, _ = compared
    head = pd.read_csv(en / "comparison_headline.csv")
    deltas = pd.read_csv(en / "comparison_deltas.csv")
    assert sorted(set(deltas.scenario)) == ["invest-nl minus baseline", "mission-mix minus baseline"]
    base = head[head.scenario == "baseline"].set_index("year")
    mix = head[head.scenario == "mission-mix"].set_index("year")
    d = deltas[deltas.scenario == "mission-mix minus baseline"].set_index("year")
    np.testing.assert_allclose(d.industry_ghg, mix.industry_ghg - base.industry_ghg,
                               rtol=0, atol=1e-3)  # CSVs keep 6 digits
    # shared history: nothing differs before 2025
    past = deltas[deltas.year < 2025].drop(columns=["scenario", "year"])
    assert (past.abs().to_numpy() < 1e-9).all()
    assert (d.loc[2040].drop("scenario").abs() > 0).any()


def test_targets_in_percent_with_first_year_and_gap(compared: tuple[Path, Path, str]) -> None:
    en, _, _ = compared
    t = pd.read_csv(en / "comparison_targets.csv")
    assert list(t.columns[:5]) == ["target", "metric", "target year", "threshold", "units"]
    red = t[t.metric == "ghg_reduction_vs_1990"].iloc[0]
    assert red["units"] == "%" and red["threshold"] == ">= 49"
    assert 20 < red["baseline: value"] < 80  # a percentage, not a fraction
    assert red["baseline: gap"] == pytest.approx(max(0.0, 49 - red["baseline: value"]), abs=1e-4)
    assert "mission-mix: first met" in t.columns


def test_dutch_dialect_opens_like_the_english_one(compared: tuple[Path, Path, str]) -> None:
    en, nl, _ = compared
    raw = (nl / "comparison_headline.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the accents right
    first = raw.decode("utf-8-sig").splitlines()[1]
    assert ";" in first and "," in first.split(";", 2)[2]
    a = pd.read_csv(en / "comparison_headline.csv")
    b = pd.read_csv(nl / "comparison_headline.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert list(b.columns[:2]) == ["scenario", "jaar"]
    np.testing.assert_allclose(b.industry_ghg, a.industry_ghg)
    t = pd.read_csv(nl / "comparison_targets.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert t.columns[0] == "doel" and set(t["baseline: gehaald"]) <= {"ja", "nee"}


def test_compare_needs_two_different_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    d = ["--scenarios-dir", str(ROOT / "scenarios")]
    assert main(["compare", "baseline", *d]) == 1
    assert "at least two scenarios" in capsys.readouterr().err
    assert main(["compare", "baseline", "baseline", *d]) == 1
    assert "given twice" in capsys.readouterr().err


def test_run_saves_its_target_table(tmp_path: Path) -> None:
    assert main(["run", "baseline", "--out", str(tmp_path), "--scenarios-dir",
                 str(ROOT / "scenarios")]) == 0
    t = pd.read_csv(tmp_path / "baseline_targets.csv")
    assert "baseline: first met" in t.columns and len(t) >= 4
