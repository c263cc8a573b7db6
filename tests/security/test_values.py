"""Values checked against the model's limits and common sense, every problem at once (issue #13, part 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdmission.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
REGISTRY = ROOT / "sdmission" / "data" / "targets.yaml"
ROBUST = ROOT / "tests" / "data" / "models" / "opt_robust.mdl"


def test_uncertainty_range_outside_the_model_limits(tmp_path: Path) -> None:
    from sdmission.scenario.load import load_scenario
    from sdmission.study.case import uncertainty_space

    scn = tmp_path / "unc.yaml"
    scn.write_text(f"name: unc\nextends: {BASELINE}\nuncertainties:\n  parameters:\n"
                   "    - {name: capture_rate, low: -50, high: 50}\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        uncertainty_space(load_scenario(scn))
    text = str(info.value)
    assert "low -50 is outside the model's limits (allowed: [0.5, 0.95]" in text
    assert "high 50 is outside" in text
    assert "unc.yaml:5" in text and len(info.value.problems) == 2


@pytest.mark.parametrize("threshold", ["2.0", "-1.5", "1.01"])
def test_share_targets_outside_0_1(threshold: str, tmp_path: Path) -> None:
    from sdmission.study.targets import load_target_sets

    text = REGISTRY.read_text(encoding="utf-8")
    lines = text.splitlines()
    # the first threshold of a dimensionless metric (ghg_reduction_vs_1990) in the design set
    i = next(k for k, line in enumerate(lines) if "metric: ghg_reduction_vs_1990" in line)
    j = next(k for k in range(i, len(lines)) if "threshold:" in lines[k])
    lines[j] = lines[j].split("threshold:")[0] + f"threshold: {threshold}"
    reg = tmp_path / "targets.yaml"
    reg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"outside \[0, 1\]"):
        load_target_sets(reg)


def test_registry_reports_every_problem_at_once(tmp_path: Path) -> None:
    """Schema problems and cross-checks in one report (formerly 3 of 5)."""
    from sdmission.study.targets import load_target_sets

    text = REGISTRY.read_text(encoding="utf-8")
    text = text.replace("year: 2030", "year: 2500", 1)                       # schema: range
    text = text.replace("metric: ghg_reduction_vs_1990", "metric: ghg_reductoin", 1)  # cross: metric
    text = text.replace("default: ", "default: nosuchset\n#", 1)             # cross: default
    reg = tmp_path / "targets.yaml"
    reg.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_target_sets(reg)
    msg = str(info.value)
    assert "out of range (given 2500; allowed: at most 2100)" in msg
    assert "unknown metric 'ghg_reductoin'" in msg
    assert "default set 'nosuchset' is not defined" in msg
    assert "allowed: text" not in msg


OPT = """\
name: opt
description: optimiser horizon checks
model: {model}
targets: klimaatakkoord-industry
optimise:
  start: 2025
  levers:
    abatement_effort: {{knots: [2025, 2090, 2100], bounds: [[0, 100], [5, 1], [0, 1.0e400]]}}
  objective: {{discount_rate: 0.03, window: [2040, 2030]}}
"""


def test_optimiser_bounds_knots_and_windows_all_reported(tmp_path: Path) -> None:
    from sdmission.cli import main

    scn = tmp_path / "opt.yaml"
    scn.write_text(OPT.format(model=ROBUST), encoding="utf-8")
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["optimise", str(scn), "--out", str(tmp_path / "o"), "--quiet"])
    text = err.getvalue()
    assert code == 1, text
    assert "[5, 1]" in text and "inf" in text, text  # both bad bound pairs
    assert "reversed" in text, text


def test_optimiser_knots_beyond_the_horizon(tmp_path: Path) -> None:
    from sdmission.cli import main

    scn = tmp_path / "opt.yaml"
    scn.write_text(OPT.format(model=ROBUST).replace("[[0, 100], [5, 1], [0, 1.0e400]]", "[0, 100]")
                   .replace("window: [2040, 2030]", "window: [2200, 2300]"), encoding="utf-8")
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["optimise", str(scn), "--out", str(tmp_path / "o"), "--quiet"])
    text = err.getvalue()
    assert code == 1, text
    assert "knots [2090, 2100] are outside the run" in text, text
    assert "holds no year of the run" in text, text


def test_string_errors_never_say_allowed_text() -> None:
    from pydantic import BaseModel, Field, ValidationError

    from sdmission.schema.problems import validation_problems

    class M(BaseModel):
        label: str = Field(min_length=1)
        year: int = Field(ge=1990, le=2100)

    data = {"label": "", "year": 1800}
    with pytest.raises(ValidationError) as info:
        M.model_validate(data)
    found = validation_problems(info.value, data, file="f.yaml", line_of=lambda _k: None,
                                allowed_for=lambda _k: [])
    text = "\n".join(map(str, found))
    assert "allowed: text" not in text
    assert "text too short" in text and "allowed: at least 1990" in text


def test_empty_bounds_found_by_the_fuzzer() -> None:
    """``bounds: []`` was an IndexError (exit 3); found by tests/security/test_fuzz_readers.py."""
    from pydantic import ValidationError

    from sdmission.schema.optimise import LeverSearch

    with pytest.raises(ValidationError, match="bounds must not be empty"):
        LeverSearch.model_validate({"knots": [], "bounds": []})
