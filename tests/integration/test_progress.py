"""Progress bars (issue #14 item 4): count, total and ETA on stderr on a terminal; none when stderr
is not a terminal or with ``--quiet``. Run in-process: ``capsys`` stands in for the terminal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sdmission.cli import main
from sdmission.commands import _options

DATA = Path(__file__).resolve().parents[1] / "data" / "models"
TOY = f"""\
model: {DATA / "unc_toy.mdl"}
levers:
  levy: 20
uncertainties:
  defaults: all
"""
OPT = f"""\
name: opt-test
model: {DATA / "opt_linear.mdl"}
targets: klimaatakkoord-industry
levers:
  sde_budget: 0
optimise:
  start: 2025
  levers:
    co2_levy_tariff: {{knots: [2030], bounds: [0, 150]}}
    sde_budget: {{knots: [2030], bounds: [0, 5000]}}
  objective: {{discount_rate: 0.03}}
  method: {{popsize: 4, maxiter: 6, seed: 2}}
"""
#: tqdm's bar line: "desc:  40%|████      | 2/5 [00:01<00:02, …]" (count/total, elapsed<remaining).
BAR = re.compile(r"(\d+)/(\d+) \[\d\d:\d\d<\d\d:\d\d")


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """stderr counts as a terminal (capsys replaces it with a buffer that is not one)."""
    monkeypatch.setattr(_options, "_stderr_is_tty", lambda: True)


def _bars(err: str, desc: str) -> list[tuple[int, int]]:
    """(count, total) of every redraw of the bar called ``desc``."""
    return [(int(m.group(1)), int(m.group(2))) for line in re.split(r"[\r\n]", err)
            if line.startswith(desc) for m in [BAR.search(line)] if m]


def test_sensitivity_shows_chunks_done_of_total_with_eta(
        tmp_path: Path, terminal: None, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "toy.yaml").write_text(TOY)
    assert main(["sensitivity", str(tmp_path / "toy.yaml"), "--members", "4", "--engine", "batch",
                 "--chunk-size", "8", "--out", str(tmp_path / "s")]) == 0
    err = capsys.readouterr().err
    runs = int(re.search(r"(\d+) runs, engine", err).group(1))  # type: ignore[union-attr]
    chunks = -(-runs // 8)
    bars = _bars(err, "sensitivity runs")
    assert chunks > 1 and bars[-1] == (chunks, chunks), err
    assert {total for _, total in bars} == {chunks}


def test_sensitivity_is_silent_off_a_terminal_and_with_quiet(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "toy.yaml").write_text(TOY)
    args = ["sensitivity", str(tmp_path / "toy.yaml"), "--members", "4", "--engine", "batch",
            "--chunk-size", "8", "--out", str(tmp_path / "s")]
    assert main(args) == 0  # capsys: not a terminal
    assert not _bars(capsys.readouterr().err, "sensitivity runs")
    monkeypatch.setattr(_options, "_stderr_is_tty", lambda: True)
    assert main([*args[:1], "--quiet", *args[1:]]) == 0
    assert not _bars(capsys.readouterr().err, "sensitivity runs")


def test_optimise_draws_one_bar_of_generations_with_total_not_a_line_each(
        tmp_path: Path, terminal: None, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "opt.yaml").write_text(OPT)
    assert main(["optimise", str(tmp_path / "opt.yaml"), "--out", str(tmp_path / "o"),
                 "--engine", "batch"]) in (0, 2)
    err = capsys.readouterr().err
    bars = _bars(err, "DE")
    assert bars and {total for _, total in bars} == {6}, err
    assert not re.search(r"^DE gen\s+\d+:", err, re.MULTILINE)  # no line per generation
    assert main(["-q", "optimise", str(tmp_path / "opt.yaml"), "--out", str(tmp_path / "o"),
                 "--engine", "batch"]) in (0, 2)
    assert not _bars(capsys.readouterr().err, "DE")


def test_run_of_several_scenarios_counts_them(
        tmp_path: Path, terminal: None, capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[2]
    assert main(["run", "baseline", "invest-nl", "--scenarios-dir", str(root / "scenarios"),
                 "--out", str(tmp_path)]) == 0
    assert _bars(capsys.readouterr().err, "scenarios")[-1] == (2, 2)
