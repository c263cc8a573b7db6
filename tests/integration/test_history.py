"""Shared history (issue #14 item 1): before ``policy_start`` every scenario follows baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sdmission.cli import main
from sdmission.settings import discover
from sdmission.study.case import check_file, prepare
from sdmission.study.results import headline_frame
from sdmission.study.run import simulate_case

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="module")
def shipped() -> dict[str, pd.DataFrame]:
    cases = prepare([], engine="batch", settings=discover(ROOT))
    return {c.name: headline_frame(simulate_case(c)) for c in cases}


def test_every_shipped_scenario_shares_the_baseline_history(shipped: dict[str, pd.DataFrame]) -> None:
    base = shipped["baseline"]
    past = base[base.year <= 2024]
    assert list(past.year) == list(range(2015, 2025))
    assert len(shipped) >= 6
    for name, frame in shipped.items():
        mine = frame[frame.year <= 2024]
        pd.testing.assert_frame_equal(mine.reset_index(drop=True), past.reset_index(drop=True),
                                      check_exact=True, obj=name)
    # and the policies do act from 2025 on
    after = {n: f[f.year == 2035].industry_ghg.item() for n, f in shipped.items()}
    assert after["mission-mix"] < after["baseline"] - 0.5


def test_validate_accepts_every_shipped_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in SCENARIOS.glob("*.yaml"))
    assert main(["validate", *files]) == 0
    assert capsys.readouterr().out.count("ok: ") == len(files)


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "scenarios"
    d.mkdir()
    for name in ("base", "baseline"):
        text = (SCENARIOS / f"{name}.yaml").read_text()
        (d / f"{name}.yaml").write_text(text.replace("../models/", f"{ROOT}/models/"))
    return d


LEVY = """name: {name}
extends: baseline
{extra}levers:
  co2_levy_tariff:
    interpolation: step
    knots: {{2021: 30.48, 2026: 150, 2030: 250}}
"""


def _levy(d: Path, name: str, extra: str = "") -> Path:
    p = d / f"{name}.yaml"
    p.write_text(LEVY.format(name=name, extra=extra))
    return p


def _levy_input(d: Path, name: str) -> np.ndarray:
    (case,) = prepare([name], engine="batch", settings=discover(d.parent))
    da = case.inputs["co2_levy_tariff"]
    return np.asarray(da.sel(time=[2015.0, 2020.0, 2021.0, 2024.75, 2025.0, 2026.0]).values)


def test_a_path_that_rewrites_history_is_reported_and_not_used(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    f = _levy(d, "my-levy")
    _, problems = check_file(f, {}, history=True)
    (p,) = problems
    assert p.key == "levers.co2_levy_tariff" and p.line == 4
    assert "would change history" in p.message and "'baseline' in 2015-2024" in p.message
    assert "counterfactual_history: true" in p.message
    # the run uses baseline's path before 2025 (0 until 2021, then the legislated steps)
    assert _levy_input(d, "my-levy").tolist() == [0.0, 0.0, 30.48, 62.67, 30.48, 150.0]


def test_counterfactual_history_keeps_the_own_path(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    f = _levy(d, "what-if", "counterfactual_history: true\n")
    assert check_file(f, {}, history=True)[1] == []
    assert _levy_input(d, "what-if").tolist() == [30.48, 30.48, 30.48, 30.48, 30.48, 150.0]


def test_policy_start_moves_the_boundary(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    f = _levy(d, "late", "policy_start: 2021\n")
    assert check_file(f, {}, history=True)[1] == []  # the knots start at policy_start
    assert _levy_input(d, "late").tolist() == [0.0, 0.0, 30.48, 30.48, 30.48, 150.0]


def test_a_lever_baseline_does_not_set_follows_the_model_default(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    (d / "cp.yaml").write_text("extends: baseline\nlevers:\n  conventional_phaseout_year: 2040\n"
                               "  regional_experiments: {knots: {2025: 40}}\n")
    _, problems = check_file(d / "cp.yaml", {}, history=True)
    assert [p.key for p in problems] == ["levers.conventional_phaseout_year"]
    assert "given 2040 in 2015; allowed: 2100 in 2015" in problems[0].message
    (case,) = prepare(["cp"], engine="batch", settings=discover(tmp_path))
    year = case.inputs["conventional_phaseout_year"]
    assert year.sel(time=2024.75).item() == 2100 and year.sel(time=2025.0).item() == 2040
    reg = case.inputs["regional_experiments"]
    assert reg.dims == ("time", "cluster")
    assert reg.sel(time=2015.0).values.tolist() == [2, 1, 1, 1, 0.5, 0.5]
    assert reg.sel(time=2030.0).values.tolist() == [40] * 6


def test_a_history_scenario_can_be_named_and_baseline_itself_is_untouched(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    (d / "other-past.yaml").write_text(
        (d / "baseline.yaml").read_text().replace("name: baseline", "name: other-past"))
    (d / "baseline.yaml").unlink()
    f = _levy(d, "named", "history: other-past\n")
    f.write_text(f.read_text().replace("extends: baseline", "extends: other-past"))
    assert "'other-past' in 2015-2024" in check_file(f, {}, history=True)[1][0].message
    assert _levy_input(d, "named")[0] == 0.0
    # no baseline and no history: nothing to follow, the own path is used
    g = _levy(d, "alone")
    g.write_text(g.read_text().replace("extends: baseline", "extends: other-past"))
    assert check_file(g, {}, history=True)[1] == []
    assert _levy_input(d, "alone")[0] == 30.48
