"""``validate`` warns (exit 0) about inputs whose meaning the model narrowed (issue #11)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sdmission.cli import main
from sdmission.scenario.check import NARROWED

ROOT = Path(__file__).resolve().parents[2]


def test_setting_industry_non_co2_ghg_is_a_warning_at_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parent = os.path.relpath(ROOT / "scenarios" / "baseline.yaml", tmp_path)
    path = tmp_path / "old-total.yaml"
    path.write_text(f"extends: {parent}\n"
                    "levers:\n"
                    "  co2_levy_tariff: {knots: {2025: 80}}\n"
                    "assumptions:\n"
                    "  industry_non_co2_ghg: {knots: {2025: 6.0}}\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr()
    assert f"ok: {path}" in out.out
    assert f"warning: {path}:5: assumptions.industry_non_co2_ghg: its meaning narrowed" in out.err
    assert "1.9 Mt" in out.err and "industry_n2o_nitric_acid" in out.err


def test_shipped_scenarios_raise_no_warning(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    assert main(["validate", "--no-model", *files]) == 0
    assert "warning" not in capsys.readouterr().err
    assert set(NARROWED) == {"industry_non_co2_ghg"}
